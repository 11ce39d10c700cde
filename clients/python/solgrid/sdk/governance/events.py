"""The governance program's configuration and proposal events, typed (logged with ``sol_log_data`` as
the registry does). Its certificate events are :mod:`solgrid.sdk.certificates.events`."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from solders.pubkey import Pubkey

from solgrid.sdk.decoded import from_fields, text, variant_index
from solgrid.sdk.governance.accounts import ConfigParams, ProposalStatus


def _params(raw: Any) -> ConfigParams:
    return ConfigParams(raw.min_timelock_secs, raw.max_lifetime_secs, raw.certificate_validity_secs)


@dataclass(frozen=True)
class GovernanceInitialized:
    config: Pubkey
    registry_program: Pubkey
    trading_program: Pubkey
    energy_token_program: Pubkey
    params: ConfigParams
    timestamp: int


@dataclass(frozen=True)
class GovernanceConfigUpdated:
    config: Pubkey
    params: ConfigParams


@dataclass(frozen=True)
class ProposalCreated:
    proposal: Pubkey
    id: int
    proposer: Pubkey
    target_program: Pubkey
    title: str
    created_at: int
    expires_at: int
    timelock_secs: int
    account_count: int
    data_len: int


@dataclass(frozen=True)
class VoteCast:
    proposal: Pubkey
    id: int
    regulator: Pubkey
    approve: bool
    approvals: int
    """Approvals by current regulators after the vote."""
    rejections: int
    threshold: int
    quorum_at: int
    status: ProposalStatus
    timestamp: int


@dataclass(frozen=True)
class QuorumRecorded:
    """Anyone recorded a quorum that a change of the regulator set or threshold made: the timelock
    runs from ``quorum_at``."""

    proposal: Pubkey
    id: int
    approvals: int
    """Approvals that count."""
    threshold: int
    quorum_at: int


@dataclass(frozen=True)
class ProposalExecuted:
    proposal: Pubkey
    id: int
    target_program: Pubkey
    approvals: int
    executed_at: int


@dataclass(frozen=True)
class ProposalCancelled:
    proposal: Pubkey
    id: int
    cancelled_by: Pubkey
    timestamp: int


@dataclass(frozen=True)
class ProposalClosed:
    proposal: Pubkey
    id: int
    proposer: Pubkey
    status: ProposalStatus
    expired: bool
    lamports: int


GovernanceEvent = (
    GovernanceInitialized
    | GovernanceConfigUpdated
    | ProposalCreated
    | VoteCast
    | QuorumRecorded
    | ProposalExecuted
    | ProposalCancelled
    | ProposalClosed
)


def decode_event(name: str, d: Any) -> GovernanceEvent | None:
    """The event ``name`` (anchorpy's decoded fields ``d``), or None for a certificate event."""
    if name == "GovernanceInitialized":
        return from_fields(GovernanceInitialized, d, params=_params(d.params))
    if name == "GovernanceConfigUpdated":
        return from_fields(GovernanceConfigUpdated, d, params=_params(d.params))
    if name == "ProposalCreated":
        return from_fields(ProposalCreated, d, title=text(d.title))
    if name == "VoteCast":
        return from_fields(VoteCast, d, status=ProposalStatus(variant_index(d.status)))
    if name == "QuorumRecorded":
        return from_fields(QuorumRecorded, d)
    if name == "ProposalExecuted":
        return from_fields(ProposalExecuted, d)
    if name == "ProposalCancelled":
        return from_fields(ProposalCancelled, d)
    if name == "ProposalClosed":
        return from_fields(ProposalClosed, d, status=ProposalStatus(variant_index(d.status)))
    return None
