"""``solgrid gov pause|resume``: the emergency pause. Any one regulator pauses at once (readings, minting
and/or trading, in a zone or market-wide); resuming takes a quorum: a proposal once governance is set,
else regulators co-signing."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click
from solana.rpc.async_api import AsyncClient
from solders.instruction import Instruction

from solgrid.cli.chain import require_config, send
from solgrid.cli.common import (
    Settings,
    call,
    cluster_options,
    emit_json,
    json_option,
    status,
)
from solgrid.cli.governance import (
    flags_text,
    pause_flag_options,
    require_current_regulator,
    require_quorum,
    scope_text,
)
from solgrid.cli.markets import cosigner_option, read_cosigners
from solgrid.cli.proposing import ProposalOptions, create_proposal, proposal_options, reported
from solgrid.errors import UserFacingError
from solgrid.sdk.governance import (
    GovernanceClient,
    GovernedActions,
)
from solgrid.sdk.registry import RegistryClient
from solgrid.sdk.registry_governance import flag_names


@click.command("pause")
@pause_flag_options
@cluster_options
@json_option
def pause(flags: int, zone_id: int | None, settings: Settings, as_json: bool) -> None:
    """Pause at once, in one zone or market-wide, readings, minting and/or trading (none of the three
    flags: all); one regulator signs. Cancelling orders and withdrawing keep working."""
    wallet = settings.keypair()
    registry = RegistryClient()

    async def work(rpc: AsyncClient) -> dict[str, Any]:
        registry_config = await require_config(rpc, registry, settings.url)
        require_current_regulator(registry_config, wallet.pubkey())
        if zone_id is None:
            ix = registry.pause_market(regulator=wallet.pubkey(), flags=flags)
        else:
            if await registry.fetch_zone(rpc, zone_id) is None:
                raise UserFacingError(f"grid zone {zone_id} does not exist")
            ix = registry.pause_zone(regulator=wallet.pubkey(), zone_id=zone_id, flags=flags)
        status(f"pausing {flags_text(flags)} {scope_text(zone_id)} ...")
        landed = await send(rpc, settings, [ix], wallet, coders=[registry.coder])
        return {
            "signature": str(landed.signature),
            "zone_id": zone_id,
            "flags": flag_names(flags),
            "paused": flag_names(await _paused(rpc, registry, zone_id)),
        }

    document = call(settings, work)
    if as_json:
        emit_json(document)
        return
    click.echo(
        f"paused {flags_text(flags)} {scope_text(zone_id)}; paused now: "
        f"{', '.join(document['paused']).lower()}"
    )
    click.echo(
        f"resuming takes a quorum: `solgrid gov resume{'' if zone_id is None else f' --zone {zone_id}'} ...`"
    )
    click.echo(f"signature: {document['signature']}")


async def _paused(rpc: AsyncClient, registry: RegistryClient, zone_id: int | None) -> int:
    if zone_id is None:
        config = await require_config(rpc, registry, "")
        return config.paused
    zone = await registry.fetch_zone(rpc, zone_id)
    return 0 if zone is None else zone.paused


@click.command("resume")
@pause_flag_options
@cosigner_option
@proposal_options
def resume(
    flags: int,
    zone_id: int | None,
    cosigner_paths: tuple[Path, ...],
    options: ProposalOptions,
    settings: Settings,
    as_json: bool,
) -> None:
    """Resume what a pause stopped (a quorum): once governance is set, this proposes it (as `gov propose
    resume`); before, the wallet and --cosigner keys co-sign it directly."""
    wallet = settings.keypair()
    cosigners = read_cosigners(cosigner_paths)
    registry, gov_client = RegistryClient(), GovernanceClient()

    async def work(rpc: AsyncClient) -> dict[str, Any]:
        registry_config = await require_config(rpc, registry, settings.url)
        if zone_id is not None and await registry.fetch_zone(rpc, zone_id) is None:
            raise UserFacingError(f"grid zone {zone_id} does not exist")
        if registry_config.governance_program == gov_client.program_id:

            async def build(_rpc: AsyncClient, actions: GovernedActions) -> tuple[Instruction, str]:
                return actions.resume(flags, zone_id), f"resume {flags_text(flags)} {scope_text(zone_id)}"

            return await create_proposal(rpc, settings, wallet, options, build)
        if registry_config.governance_program is not None:
            raise UserFacingError(
                f"the registry is governed by {registry_config.governance_program}: "
                "resume through its proposals"
            )
        regulators = require_quorum(registry_config, [wallet, *cosigners])
        if zone_id is None:
            ix = registry.resume_market(flags=flags, cosigners=regulators)
        else:
            ix = registry.resume_zone(zone_id=zone_id, flags=flags, cosigners=regulators)
        landed = await send(rpc, settings, [ix], wallet, [registry.coder], cosigners)
        return {
            "signature": str(landed.signature),
            "proposal": None,
            "zone_id": zone_id,
            "flags": flag_names(flags),
            "paused": flag_names(await _paused(rpc, registry, zone_id)),
        }

    document = call(settings, work)
    if reported(document, as_json):
        return
    still = ", ".join(document["paused"]).lower() or "nothing"
    click.echo(f"resumed {flags_text(flags)} {scope_text(zone_id)}; still paused: {still}")
    click.echo(f"signature: {document['signature']}")
