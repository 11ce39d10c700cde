"""What the governance and certificate commands share: the checks they make before sending (so common
mistakes read as one clear line), proposals and their standing as JSON and text, durations, times and
pause flags on the command line."""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import wraps
from typing import Any, TypeVar

import click
from solana.rpc.async_api import AsyncClient
from solders.keypair import Keypair
from solders.pubkey import Pubkey

from solgrid.cli.chain import NotRegulator, require_config
from solgrid.errors import UserFacingError
from solgrid.sdk.clock import cluster_time, duration, utc
from solgrid.sdk.governance import (
    Config,
    GovernanceClient,
    GovernedActions,
    Proposal,
    Standing,
    describe_proposal,
    standing,
)
from solgrid.sdk.registry import Config as RegistryConfig
from solgrid.sdk.registry import RegistryClient
from solgrid.sdk.registry_governance import PauseFlag, flag_names

T = TypeVar("T")
U32_MAX = 2**32 - 1


class NotSetUp(UserFacingError):
    """Governance is not initialized, or the registry does not name it."""


class UnknownProposal(UserFacingError):
    """No proposal account at the id given."""


# -- the deployment --------------------------------------------------------------------------------------


async def require_governance(rpc: AsyncClient, gov: GovernanceClient, url: str) -> Config:
    config = await gov.fetch_config(rpc)
    if config is None:
        raise NotSetUp(
            f"governance is not initialized on {url} "
            "(the programs' upgrade authority runs `solgrid gov init`)"
        )
    return config


async def require_governed(
    rpc: AsyncClient, gov: GovernanceClient, registry: RegistryClient, url: str
) -> tuple[Config, RegistryConfig]:
    """The governance and registry Configs, after checking the registry names this governance program
    (privileged actions are then proposals, and certificates can be requested)."""
    config = await require_governance(rpc, gov, url)
    registry_config = await require_config(rpc, registry, url)
    if registry_config.governance_program != gov.program_id:
        named = (
            "no governance program"
            if registry_config.governance_program is None
            else f"governance program {registry_config.governance_program}"
        )
        raise NotSetUp(
            f"the registry names {named}, not {gov.program_id}: "
            "`solgrid gov init` hands privileged actions to it"
        )
    return config, registry_config


def require_current_regulator(registry_config: RegistryConfig, wallet: Pubkey) -> None:
    if wallet not in registry_config.regulators:
        raise NotRegulator(f"wallet {wallet} is not a registry regulator")


def quorum_among(registry_config: RegistryConfig, signers: Sequence[Keypair]) -> list[Pubkey]:
    """The distinct current regulators among ``signers``."""
    found: list[Pubkey] = []
    for signer in signers:
        key = signer.pubkey()
        if key in registry_config.regulators and key not in found:
            found.append(key)
    return found


def require_quorum(registry_config: RegistryConfig, signers: Sequence[Keypair]) -> list[Pubkey]:
    regulators = quorum_among(registry_config, signers)
    if len(regulators) < max(registry_config.regulator_threshold, 1):
        raise NotRegulator(
            f"this action needs {registry_config.regulator_threshold} regulator signature(s); the wallet and "
            f"--cosigner keys give {len(regulators)}"
        )
    return regulators


# -- proposals -------------------------------------------------------------------------------------------


async def fetch_proposal(
    rpc: AsyncClient, gov: GovernanceClient, config: Config, proposal_id: int
) -> Proposal:
    proposal = await gov.fetch_proposal(rpc, proposal_id)
    if proposal is None:
        if proposal_id >= config.proposal_count:
            known = f"ids 0 to {config.proposal_count - 1}" if config.proposal_count else "none yet"
            raise UnknownProposal(f"no proposal {proposal_id} (proposals so far: {known})")
        raise UnknownProposal(f"proposal {proposal_id} was closed (its account no longer exists)")
    return proposal


async def standing_now(rpc: AsyncClient, proposal: Proposal, registry_config: RegistryConfig) -> Standing:
    now = await cluster_time(rpc)
    return standing(
        proposal,
        registry_config.regulators,
        registry_config.regulator_threshold,
        now,
        registry_config.regulator_since,
    )


@dataclass(frozen=True)
class GovernanceConfigs:
    """The governance Config and the registry's: what a proposal is read and judged against."""

    config: Config
    registry_config: RegistryConfig

    async def proposal_now(
        self, rpc: AsyncClient, gov: GovernanceClient, proposal_id: int
    ) -> tuple[Proposal, Standing]:
        """Proposal ``proposal_id`` (one-line errors when there is none) and where it stands now."""
        proposal = await fetch_proposal(rpc, gov, self.config, proposal_id)
        return proposal, await standing_now(rpc, proposal, self.registry_config)


async def require_configs(rpc: AsyncClient, actions: GovernedActions, url: str) -> GovernanceConfigs:
    """Both configs, once governance is set up on the cluster at ``url``."""
    config = await require_governance(rpc, actions.governance, url)
    return GovernanceConfigs(config, await require_config(rpc, actions.registry, url))


def _time(value: int | None) -> str | None:
    return None if not value else utc(value)


def proposal_json(proposal: Proposal, at: Standing, actions: GovernedActions) -> dict[str, Any]:
    """A proposal, its instruction read through the target's IDL and where it stands now."""
    action = describe_proposal(proposal, actions)
    stale = [str(a) for a in proposal.approvals if a not in at.approvals]
    return {
        "proposal": proposal.id,
        "address": str(proposal.address),
        "title": proposal.title,
        "proposer": str(proposal.proposer),
        "program": action.program,
        "instruction": action.instruction,
        "args": action.args,
        "state": at.state.value,
        "approvals": [str(a) for a in at.approvals],
        "stale_approvals": stale,
        "rejections": [str(r) for r in at.rejections],
        "threshold": at.threshold,
        "created_at": _time(proposal.created_at),
        "expires_at": _time(proposal.expires_at),
        "timelock_secs": proposal.timelock_secs,
        "quorum_at": _time(proposal.quorum_at),
        "executable_at": _time(at.executable_at),
        "executed_at": _time(proposal.executed_at),
    }


def proposal_line(document: dict[str, Any]) -> str:
    """One line per proposal (``gov list``)."""
    return (
        f"{document['proposal']:>4}  {document['state']:<10}  "
        f"{len(document['approvals'])}/{document['threshold']}  "
        f"{document['program']}.{document['instruction']}  {document['title']}"
    )


def standing_text(proposal: Proposal, at: Standing) -> str:
    """Where a proposal stands, in words."""
    label = f"proposal {proposal.id}"
    votes = f"{len(at.approvals)} of {at.threshold} approvals"
    if at.state.value == "open":
        return f"{label} is open: {votes}; expires at {utc(proposal.expires_at)}"
    if at.state.value == "approved":
        assert at.executable_at is not None
        return (
            f"{label} is approved ({votes}); executable at {utc(at.executable_at)} "
            f"(in {duration(at.executable_at - at.now)})"
        )
    if at.state.value == "unrecorded":
        return (
            f"{label} has a quorum ({votes}) that no approval recorded: anyone runs "
            f"`solgrid gov record-quorum {proposal.id}` to start its timelock"
        )
    if at.state.value == "executable":
        return f"{label} is executable now ({votes}): anyone runs `solgrid gov execute {proposal.id}`"
    if at.state.value == "executed":
        return f"{label} was executed at {utc(proposal.executed_at)}"
    if at.state.value == "expired":
        return f"{label} expired at {utc(proposal.expires_at)}"
    return f"{label} was {at.state.value}"


# -- command-line values ---------------------------------------------------------------------------------

_DURATION = re.compile(r"(\d+)([smhd]?)")
_UNITS = {"": 1, "s": 1, "m": 60, "h": 3600, "d": 86_400}


class DurationType(click.ParamType[int]):
    """Seconds: ``90``, ``90s``, ``15m``, ``2h``, ``7d`` or combined (``1h30m``)."""

    name = "DURATION"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> int:
        if isinstance(value, int):
            return value
        text = str(value).strip().lower()
        parts = _DURATION.findall(text)
        if not text or "".join(n + u for n, u in parts) != text:
            self.fail(f"{value!r} is not a duration (e.g. 90, 90s, 15m, 2h, 7d, 1h30m)", param, ctx)
        seconds = sum(int(n) * _UNITS[u] for n, u in parts)
        if seconds > U32_MAX:
            self.fail(f"{value!r} is longer than {U32_MAX} s", param, ctx)
        return seconds


DURATION = DurationType()


class TimeType(click.ParamType[int]):
    """A Unix time, or an ISO 8601 date (and time; UTC unless it names an offset)."""

    name = "TIME"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> int:
        if isinstance(value, int):
            return value
        text = str(value)
        if text.isdigit():
            return int(text)
        try:
            moment = datetime.fromisoformat(text)
        except ValueError:
            self.fail(f"{text!r} is neither a Unix time nor an ISO 8601 date and time", param, ctx)
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=UTC)
        return int(moment.timestamp())


TIME = TimeType()


proposal_argument = click.argument("proposal_id", metavar="PROPOSAL", type=click.IntRange(0, 2**64 - 1))
"""``PROPOSAL``: a proposal's id."""


def pause_flag_options(f: Callable[..., T]) -> Callable[..., T]:
    """``--zone``, ``--readings``, ``--minting``, ``--trading`` (none of the three: all of them); the
    command receives ``flags: int`` and ``zone_id: int | None``."""

    @click.option(
        "--zone", "zone_id", type=click.IntRange(0, U32_MAX), help="One grid zone (default: market-wide)."
    )
    @click.option("--readings", is_flag=True, help="Device-signed readings.")
    @click.option("--minting", is_flag=True, help="Minting GRID for settled production.")
    @click.option("--trading", is_flag=True, help="Placing orders and clearing auctions.")
    @wraps(f)
    def wrapper(*args: Any, readings: bool, minting: bool, trading: bool, **kwargs: Any) -> T:
        flags = (
            (PauseFlag.READINGS if readings else 0)
            | (PauseFlag.MINTING if minting else 0)
            | (PauseFlag.TRADING if trading else 0)
        )
        return f(*args, flags=int(flags) or int(PauseFlag.ALL), **kwargs)

    return wrapper


def flags_text(flags: int) -> str:
    return ", ".join(name.lower() for name in flag_names(flags)) or "nothing"


def scope_text(zone_id: int | None) -> str:
    return "market-wide" if zone_id is None else f"in grid zone {zone_id}"
