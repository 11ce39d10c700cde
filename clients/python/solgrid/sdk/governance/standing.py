"""Where a proposal stands, derived as the governance program decides it (``governance-core``'s
proposal rules): its stored status, its deadline, and the approvals and rejections that count against
the registry's current threshold (one source of truth). A vote counts while its key is a current
regulator appointed at or before the registry ``regulators_version`` the vote recorded: an approval by
a regulator who has since been removed no longer counts, nor after the regulator is appointed again.

* ``EXECUTED``, ``CANCELLED``, ``REJECTED``: final, as stored;
* ``EXPIRED``: still Open but past its deadline (final too: ``close_proposal`` returns its rent);
* ``EXECUTABLE``: a quorum of current regulators approved and the timelock since the quorum passed;
* ``APPROVED``: a quorum approved, the timelock is still running (until ``executable_at``);
* ``UNRECORDED``: a quorum stands (the regulator set or threshold changed) but no approval recorded
  its time: ``record_quorum`` (anyone) or another approval starts the timelock;
* ``OPEN``: collecting approvals.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from enum import Enum

from solders.pubkey import Pubkey

from solgrid.errors import UserFacingError
from solgrid.sdk.clock import duration, utc
from solgrid.sdk.governance.accounts import Proposal, ProposalStatus


class ProposalState(Enum):
    OPEN = "open"
    APPROVED = "approved"
    UNRECORDED = "unrecorded"
    EXECUTABLE = "executable"
    EXPIRED = "expired"
    EXECUTED = "executed"
    CANCELLED = "cancelled"
    REJECTED = "rejected"

    @property
    def final(self) -> bool:
        return self in (
            ProposalState.EXPIRED,
            ProposalState.EXECUTED,
            ProposalState.CANCELLED,
            ProposalState.REJECTED,
        )


@dataclass(frozen=True)
class Standing:
    """A proposal's derived state at ``now``."""

    state: ProposalState
    approvals: list[Pubkey]
    """Approvals by current regulators (the ones that count)."""
    rejections: list[Pubkey]
    """Rejections by current regulators."""
    threshold: int
    regulators: int
    """How many regulators the registry has now."""
    executable_at: int | None
    """When the timelock since the quorum ends (None without a standing quorum, or once final)."""
    now: int

    @property
    def needed(self) -> int:
        """Approvals by current regulators still missing for a quorum."""
        return max(0, self.threshold - len(self.approvals))


def counting(
    votes: Sequence[Pubkey],
    versions: Sequence[int],
    regulators: Sequence[Pubkey],
    since: Sequence[int] = (),
) -> list[Pubkey]:
    """The current ``regulators`` with a vote in ``votes`` (cast at ``versions``, parallel; a missing
    version reads 0) that counts: cast at or after the regulator's appointment ``since`` (the registry's
    ``regulator_since``, parallel to ``regulators``; missing entries read 0)."""
    counted = []
    for i, regulator in enumerate(regulators):
        appointed = since[i] if i < len(since) else 0
        if any(
            vote == regulator and (versions[j] if j < len(versions) else 0) >= appointed
            for j, vote in enumerate(votes)
        ):
            counted.append(regulator)
    return counted


def standing(
    proposal: Proposal,
    regulators: Sequence[Pubkey],
    threshold: int,
    now: int,
    since: Sequence[int] = (),
) -> Standing:
    """``proposal``'s state at cluster time ``now`` against the registry's current ``regulators``, their
    appointment versions ``since`` (``regulator_since``) and ``threshold``."""
    approvals = counting(proposal.approvals, proposal.approval_versions, regulators, since)
    rejections = counting(proposal.rejections, proposal.rejection_versions, regulators, since)
    executable_at: int | None = None
    if proposal.status == ProposalStatus.EXECUTED:
        state = ProposalState.EXECUTED
    elif proposal.status == ProposalStatus.CANCELLED:
        state = ProposalState.CANCELLED
    elif proposal.status == ProposalStatus.REJECTED:
        state = ProposalState.REJECTED
    elif now >= proposal.expires_at:
        state = ProposalState.EXPIRED
    elif threshold > 0 and regulators and len(approvals) >= threshold and proposal.quorum_at != 0:
        executable_at = proposal.quorum_at + proposal.timelock_secs
        state = ProposalState.EXECUTABLE if now >= executable_at else ProposalState.APPROVED
    elif threshold > 0 and regulators and len(approvals) >= threshold:
        state = ProposalState.UNRECORDED
    else:
        state = ProposalState.OPEN
    return Standing(state, approvals, rejections, threshold, len(regulators), executable_at, now)


class ProposalNotExecutable(UserFacingError):
    """A proposal cannot be executed now; the message says why and, when it will be, when."""


class ProposalFinal(UserFacingError):
    """A proposal is final: it takes no more votes and cannot be cancelled."""


def _final_reason(proposal: Proposal, state: ProposalState) -> str:
    label = f"proposal {proposal.id}"
    if state is ProposalState.EXECUTED:
        return f"{label} was executed at {utc(proposal.executed_at)}"
    if state is ProposalState.CANCELLED:
        return f"{label} was cancelled"
    if state is ProposalState.REJECTED:
        return f"{label} was rejected"
    return f"{label} expired at {utc(proposal.expires_at)}"


def require_executable(proposal: Proposal, at: Standing) -> None:
    """Raises :class:`ProposalNotExecutable` unless ``proposal`` can be executed at ``at.now``."""
    label = f"proposal {proposal.id}"
    if at.state is ProposalState.EXECUTABLE:
        return
    if at.state.final:
        raise ProposalNotExecutable(_final_reason(proposal, at.state))
    if at.state is ProposalState.APPROVED:
        assert at.executable_at is not None
        late = (
            f"; its deadline {utc(proposal.expires_at)} comes first, so it will expire unexecuted"
            if at.executable_at >= proposal.expires_at
            else ""
        )
        raise ProposalNotExecutable(
            f"{label} is not executable yet: its timelock ends at {utc(at.executable_at)} "
            f"(in {duration(at.executable_at - at.now)}){late}"
        )
    if at.state is ProposalState.UNRECORDED:
        raise ProposalNotExecutable(
            f"{label} has a quorum of current regulators that no approval recorded (the regulator set or "
            f"threshold changed): record it with `solgrid gov record-quorum {proposal.id}` (anyone may); "
            f"its timelock of {duration(proposal.timelock_secs)} runs from then"
        )
    raise ProposalNotExecutable(
        f"{label} is not executable: it has {len(at.approvals)} of the {at.threshold} approvals of current "
        f"regulators it needs (expires at {utc(proposal.expires_at)})"
    )


def require_open(proposal: Proposal, at: Standing) -> None:
    """Raises :class:`ProposalFinal` when ``proposal`` no longer takes votes or a cancel."""
    if at.state.final:
        raise ProposalFinal(_final_reason(proposal, at.state))
