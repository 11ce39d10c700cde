"""Creating a proposal from the command line, shared by ``solgrid gov propose ...``, ``solgrid gov resume``
and ``solgrid regulator revoke-cert``: the options every proposal takes (title, timelock, lifetime,
whether the proposer approves in the same transaction), the checks made before sending (the wallet is a
current regulator, the registry names governance, the durations are within the Config's bounds) and
what is printed."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from functools import wraps
from typing import Any, TypeVar

import click
from solana.rpc.async_api import AsyncClient
from solders.instruction import Instruction
from solders.keypair import Keypair

from solgrid.cli.chain import send
from solgrid.cli.common import Settings, call, cluster_options, emit_json, json_option, status
from solgrid.cli.governance import (
    DURATION,
    proposal_json,
    require_current_regulator,
    require_governed,
    standing_now,
)
from solgrid.errors import UserFacingError
from solgrid.sdk.clock import duration
from solgrid.sdk.governance import Config, GovernedActions, upgrade_authority
from solgrid.sdk.governance.accounts import TEXT_LEN
from solgrid.sdk.registry import RegistryClient

T = TypeVar("T")
DEFAULT_LIFETIME_SECS = 7 * 86_400
"""A proposal stays open a week unless ``--lifetime`` says otherwise (or the Config allows less)."""


class InvalidDurations(UserFacingError):
    """A proposal's timelock or lifetime is outside the governance Config's bounds."""


@dataclass(frozen=True)
class ProposalOptions:
    title: str | None
    timelock_secs: int | None
    lifetime_secs: int | None
    approve: bool


def proposal_options(f: Callable[..., T]) -> Callable[..., T]:
    """``--title``, ``--timelock``, ``--lifetime``, ``--approve/--no-approve``, the cluster options and
    ``--json``; the command receives ``options: ProposalOptions``, ``settings`` and ``as_json``."""

    @click.option("--title", help="Up to 64 bytes shown to the regulators (default: what it does).")
    @click.option(
        "--timelock", "timelock_secs", type=DURATION, help="Wait after the quorum (default: the minimum)."
    )
    @click.option("--lifetime", "lifetime_secs", type=DURATION, help="Open for this long (default: 7 days).")
    @click.option(
        "--approve/--no-approve",
        default=True,
        show_default=True,
        help="The wallet approves in the same transaction.",
    )
    @cluster_options
    @json_option
    @wraps(f)
    def wrapper(
        *args: Any,
        title: str | None,
        timelock_secs: int | None,
        lifetime_secs: int | None,
        approve: bool,
        **kwargs: Any,
    ) -> T:
        if title is not None and len(title.encode()) > TEXT_LEN:
            raise click.BadParameter(f"at most {TEXT_LEN} bytes of UTF-8", param_hint="--title")
        return f(*args, options=ProposalOptions(title, timelock_secs, lifetime_secs, approve), **kwargs)

    return wrapper


def clip_title(text: str) -> str:
    """``text`` cut to 64 bytes of UTF-8 (at a character boundary)."""
    raw = text.encode()[:TEXT_LEN]
    return raw.decode(errors="ignore")


def durations(config: Config, options: ProposalOptions) -> tuple[int, int]:
    """The timelock and lifetime of a new proposal, checked against the Config as the program checks
    them."""
    params = config.params
    timelock = params.min_timelock_secs if options.timelock_secs is None else options.timelock_secs
    lifetime = (
        min(DEFAULT_LIFETIME_SECS, params.max_lifetime_secs)
        if options.lifetime_secs is None
        else options.lifetime_secs
    )
    if timelock < params.min_timelock_secs:
        raise InvalidDurations(
            f"the timelock must be at least {duration(params.min_timelock_secs)} (the governance Config's "
            f"minimum), got {duration(timelock)}"
        )
    if not 1 <= lifetime <= params.max_lifetime_secs:
        raise InvalidDurations(
            f"the lifetime must be 1 s to {duration(params.max_lifetime_secs)}, got {duration(lifetime)}"
        )
    if timelock >= lifetime:
        raise InvalidDurations(
            f"the timelock ({duration(timelock)}) must be shorter than the lifetime ({duration(lifetime)}): "
            "the proposal could never execute"
        )
    return timelock, lifetime


Build = Callable[[AsyncClient, GovernedActions], Awaitable[tuple[Instruction, str]]]
"""Builds a proposal's action from the chain's state: the instruction and its default title."""


async def create_proposal(
    rpc: AsyncClient,
    settings: Settings,
    wallet: Keypair,
    options: ProposalOptions,
    build: Build,
) -> dict[str, Any]:
    """Proposes what ``build`` makes (the wallet, a current regulator, approving unless told not to)
    and returns the proposal's JSON document with the signature."""
    actions = GovernedActions()
    gov, registry = actions.governance, RegistryClient()
    config, registry_config = await require_governed(rpc, gov, registry, settings.url)
    require_current_regulator(registry_config, wallet.pubkey())
    action, default_title = await build(rpc, actions)
    timelock, lifetime = durations(config, options)
    proposal_id = config.proposal_count
    title = options.title if options.title is not None else clip_title(default_title)
    ixs = [
        *upgrade_authority.compute_budget(action),
        gov.propose(
            proposer=wallet.pubkey(),
            proposal_id=proposal_id,
            action=action,
            title=title,
            timelock_secs=timelock,
            lifetime_secs=lifetime,
        ),
    ]
    if options.approve:
        ixs.append(gov.approve(regulator=wallet.pubkey(), proposal_id=proposal_id))
    status(f"proposing {proposal_id}: {title} ...")
    landed = await send(rpc, settings, ixs, wallet, coders=[gov.coder, actions.registry.coder])
    proposal = await gov.fetch_proposal(rpc, proposal_id)
    if proposal is None:
        raise UserFacingError(
            f"proposal {proposal_id} was created ({landed.signature}) but cannot be read back"
        )
    document = proposal_json(proposal, await standing_now(rpc, proposal, registry_config), actions)
    return {"signature": str(landed.signature), **document}


def reported(document: dict[str, Any], as_json: bool) -> bool:
    """For a command that acts at once when a quorum signs and proposes otherwise: prints the new
    proposal (:func:`report_proposal`) or, with ``--json``, the document. False when neither, and the
    command prints its own text."""
    if document["proposal"] is not None:
        report_proposal(document, as_json)
        return True
    if as_json:
        emit_json(document)
        return True
    return False


def report_proposal(document: dict[str, Any], as_json: bool) -> None:
    """Prints a new proposal: what it does, where it stands and what comes next."""
    if as_json:
        emit_json(document)
        return
    proposal_id = document["proposal"]
    click.echo(f"proposal {proposal_id}: {document['title']}")
    click.echo(f"action: {document['program']}.{document['instruction']} {document['args']}")
    approvals = f"{len(document['approvals'])} of {document['threshold']} approvals"
    click.echo(f"state: {document['state']} ({approvals}); expires at {document['expires_at']}")
    if document["state"] == "open":
        click.echo(f"next: other regulators run `solgrid gov approve {proposal_id}`")
    else:
        click.echo(f"next: `solgrid gov execute {proposal_id}` once executable ({document['executable_at']})")
    click.echo(f"signature: {document['signature']}")


def run_proposal(settings: Settings, options: ProposalOptions, as_json: bool, build: Build) -> None:
    """``solgrid gov propose ...``: creates the proposal ``build`` describes and reports it."""
    wallet = settings.keypair()

    async def work(rpc: AsyncClient) -> dict[str, Any]:
        return await create_proposal(rpc, settings, wallet, options, build)

    report_proposal(call(settings, work), as_json)
