"""The governance program's configuration and proposal events, typed (logged with ``sol_log_data`` as
the registry does). Its certificate events are :mod:`solgrid.sdk.certificates.events`."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from solders.pubkey import Pubkey

from solgrid.sdk.governance.accounts import ConfigParams, ProposalStatus


def _index(value: Any) -> int:
    index: int = type(value).index
    return index


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
    | ProposalExecuted
    | ProposalCancelled
    | ProposalClosed
)


def decode_event(name: str, d: Any) -> GovernanceEvent | None:
    """The event ``name`` (anchorpy's decoded fields ``d``), or None for a certificate event."""
    if name == "GovernanceInitialized":
        return GovernanceInitialized(
            d.config,
            d.registry_program,
            d.trading_program,
            d.energy_token_program,
            _params(d.params),
            d.timestamp,
        )
    if name == "GovernanceConfigUpdated":
        return GovernanceConfigUpdated(d.config, _params(d.params))
    if name == "ProposalCreated":
        title = bytes(d.title).rstrip(b"\0").decode(errors="replace")
        return ProposalCreated(
            d.proposal,
            d.id,
            d.proposer,
            d.target_program,
            title,
            d.created_at,
            d.expires_at,
            d.timelock_secs,
            d.account_count,
            d.data_len,
        )
    if name == "VoteCast":
        return VoteCast(
            d.proposal,
            d.id,
            d.regulator,
            d.approve,
            d.approvals,
            d.rejections,
            d.threshold,
            d.quorum_at,
            ProposalStatus(_index(d.status)),
            d.timestamp,
        )
    if name == "ProposalExecuted":
        return ProposalExecuted(d.proposal, d.id, d.target_program, d.approvals, d.executed_at)
    if name == "ProposalCancelled":
        return ProposalCancelled(d.proposal, d.id, d.cancelled_by, d.timestamp)
    if name == "ProposalClosed":
        return ProposalClosed(
            d.proposal, d.id, d.proposer, ProposalStatus(_index(d.status)), d.expired, d.lamports
        )
    return None
