"""``solgrid gov list|show|status``: proposals with where they stand now, and governance on a cluster
(its Config, whether the registry names it, the regulators, what is paused)."""

from __future__ import annotations

from typing import Any

import base58
import click
from solana.rpc.async_api import AsyncClient
from solana.rpc.types import MemcmpOpts

from solgrid.cli.chain import require_config
from solgrid.cli.common import (
    Settings,
    call,
    cluster_options,
    emit_json,
    format_sol,
    json_option,
)
from solgrid.cli.gov_upgrade import buffer_now, upgrade_authorities
from solgrid.cli.governance import (
    proposal_argument,
    proposal_json,
    proposal_line,
    require_configs,
    standing_now,
    standing_text,
)
from solgrid.sdk.clock import duration
from solgrid.sdk.governance import (
    GovernanceClient,
    GovernedActions,
    ProposalState,
)
from solgrid.sdk.registry import RegistryClient
from solgrid.sdk.registry import Zone as RegistryZone
from solgrid.sdk.registry_governance import flag_names

STATES = {s.value: s for s in ProposalState}


@click.command("list")
@click.option("--state", "wanted", type=click.Choice(sorted(STATES)), help="Only proposals in this state.")
@cluster_options
@json_option
def list_proposals(wanted: str | None, settings: Settings, as_json: bool) -> None:
    """Every proposal not closed yet, with where it stands now."""
    actions = GovernedActions()
    gov_client = actions.governance

    async def work(rpc: AsyncClient) -> list[dict[str, Any]]:
        registry_config = (await require_configs(rpc, actions, settings.url)).registry_config
        documents = []
        for proposal in await gov_client.fetch_proposals(rpc):
            document = proposal_json(proposal, await standing_now(rpc, proposal, registry_config), actions)
            if wanted is None or document["state"] == wanted:
                documents.append(document)
        return documents

    documents = call(settings, work)
    if as_json:
        emit_json({"proposals": documents})
        return
    if not documents:
        click.echo("no proposals")
    for document in documents:
        click.echo(proposal_line(document))


@click.command("show")
@proposal_argument
@cluster_options
@json_option
def show(proposal_id: int, settings: Settings, as_json: bool) -> None:
    """PROPOSAL: what it does (its instruction read through the target program's IDL), its votes and
    where it stands."""
    actions = GovernedActions()
    gov_client = actions.governance

    async def work(rpc: AsyncClient) -> tuple[dict[str, Any], str]:
        configs = await require_configs(rpc, actions, settings.url)
        proposal, at = await configs.proposal_now(rpc, gov_client, proposal_id)
        document = proposal_json(proposal, at, actions)
        document |= await buffer_now(rpc, proposal)
        document["accounts"] = [
            {"address": str(a.address), "writable": a.writable, "signer": a.signer} for a in proposal.accounts
        ]
        return document, standing_text(proposal, at)

    document, text = call(settings, work)
    if as_json:
        emit_json(document)
        return
    click.echo(text)
    for key, value in document.items():
        if key in ("accounts",):
            continue
        click.echo(f"{key + ':':<18}{'-' if value is None or value == [] else value}")


@click.command("status")
@cluster_options
@json_option
def show_status(settings: Settings, as_json: bool) -> None:
    """Governance on this cluster: its Config, whether the registry names it, the regulators, and what
    is paused."""
    gov_client, registry = GovernanceClient(), RegistryClient()

    async def work(rpc: AsyncClient) -> dict[str, Any]:
        registry_config = await require_config(rpc, registry, settings.url)
        config = await gov_client.fetch_config(rpc)
        authority = gov_client.governance_pda().address
        zones = await _zones(rpc, registry)
        return {
            "program": str(gov_client.program_id),
            "initialized": config is not None,
            "governed": registry_config.governance_program == gov_client.program_id,
            "governance_pda": str(authority),
            "governance_pda_lamports": (await rpc.get_balance(authority)).value,
            "certificates_pda": str(gov_client.certificates_pda().address),
            "min_timelock_secs": None if config is None else config.params.min_timelock_secs,
            "max_lifetime_secs": None if config is None else config.params.max_lifetime_secs,
            "certificate_validity_secs": None if config is None else config.params.certificate_validity_secs,
            "proposal_count": None if config is None else config.proposal_count,
            "regulators": [str(r) for r in registry_config.regulators],
            "threshold": registry_config.regulator_threshold,
            "paused": flag_names(registry_config.paused),
            "upgrade_authorities": await upgrade_authorities(rpc, GovernedActions(gov_client, registry)),
            "zones": [
                {
                    "zone_id": z.zone_id,
                    "name": z.name,
                    "paused": flag_names(z.paused),
                    "emission_factor": z.emission_factor,
                }
                for z in zones
            ],
        }

    document = call(settings, work)
    if as_json:
        emit_json(document)
        return
    setup = (
        "set up"
        if document["governed"]
        else ("initialized, not named by the registry" if document["initialized"] else "not initialized")
    )
    click.echo(f"governance {document['program']}: {setup}")
    click.echo(
        f"regulators: {document['threshold']} of {len(document['regulators'])}: "
        f"{', '.join(document['regulators'])}"
    )
    if document["initialized"]:
        click.echo(
            f"proposals: {document['proposal_count']} so far; timelock at least "
            f"{duration(document['min_timelock_secs'])}, "
            f"open at most {duration(document['max_lifetime_secs'])}; "
            f"certificates valid {duration(document['certificate_validity_secs'])}"
        )
    click.echo(
        f"governance PDA {document['governance_pda']} holds "
        f"{format_sol(document['governance_pda_lamports'])} SOL"
    )
    for row in document["upgrade_authorities"]:
        holder = row["upgrade_authority"]
        who = "the governance PDA" if row["governed"] else (holder or "nobody (immutable)")
        click.echo(f"upgrade authority of {row['program']}: {who}")
    click.echo(f"market-wide pause: {', '.join(document['paused']).lower() or 'none'}")
    for zone in document["zones"]:
        paused = ", ".join(zone["paused"]).lower() or "none"
        click.echo(
            f"zone {zone['zone_id']} ({zone['name']}): paused {paused}; emission factor "
            f"{zone['emission_factor']} g/kWh"
        )


async def _zones(rpc: AsyncClient, registry: RegistryClient) -> list[RegistryZone]:
    """Every registry Zone, by id."""
    discriminator = registry.coder.account_discriminator("Zone")
    filters: list[int | MemcmpOpts] = [MemcmpOpts(offset=0, bytes=base58.b58encode(discriminator).decode())]
    reply = await rpc.get_program_accounts(registry.program_id, encoding="base64", filters=filters)
    return sorted((registry.decode_zone(bytes(a.account.data)) for a in reply.value), key=lambda z: z.zone_id)
