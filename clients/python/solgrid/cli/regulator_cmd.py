"""``solgrid regulator``: setting up a market and the regulator's day-to-day actions.

``init`` is run once per cluster by the programs' upgrade authority: it initializes the registry, makes
the wallet its only regulator (threshold 1), names energy_token's settlement PDA as the registry's
settlement authority and creates the GRID mint (each step skipped when already done). ``create-zone``
needs the threshold's signatures, so one wallet suffices only with threshold 1; ``verify-user`` and
``activate-meter`` are routine actions any one regulator signs. Multi-signature regulation goes through
the SDK, or once governance is set through proposals (``solgrid gov``).

``validate-cert`` validates a pending certificate (any one regulator but its owner); ``revoke-cert``
revokes one with a reason: as a proposal once the registry names a governance program; before that
co-signed at once when the wallet and ``--cosigner`` keys are a quorum, else as a proposal.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click
from solana.rpc.async_api import AsyncClient
from solders.instruction import Instruction
from solders.keypair import Keypair
from solders.pubkey import Pubkey

from solgrid.cli.certs import certificate_document, require_certificate
from solgrid.cli.chain import (
    NotRegulator,
    check_zone_name,
    require_meter,
    require_regulator,
    require_user,
    send,
)
from solgrid.cli.common import (
    PUBKEY,
    SERIAL,
    Settings,
    call,
    cluster_options,
    emit_json,
    json_option,
    status,
)
from solgrid.cli.gov_propose import check_reason, require_revocable
from solgrid.cli.governance import quorum_among, require_quorum
from solgrid.cli.markets import cosigner_option, read_cosigners
from solgrid.cli.proposing import ProposalOptions, create_proposal, proposal_options, reported
from solgrid.errors import UserFacingError
from solgrid.sdk.anchor import ProgramCoder
from solgrid.sdk.certificates import CertificatesClient, CertificateStatus
from solgrid.sdk.energy_token import EnergyTokenClient
from solgrid.sdk.governance import GovernedActions
from solgrid.sdk.registry import Limits, RegistryClient


@click.group()
def regulator() -> None:
    """Market setup and regulator actions: init, create zones, verify users, activate meters, validate
    and revoke certificates."""


@regulator.command("init")
@cluster_options
@json_option
def init(settings: Settings, as_json: bool) -> None:
    """Set up the market on a cluster where the programs are deployed (run by their upgrade authority,
    which becomes the registry's authority and only regulator). Steps already done are skipped."""
    wallet = settings.keypair()
    registry, token = RegistryClient(), EnergyTokenClient()

    async def work(rpc: AsyncClient) -> tuple[list[dict[str, str | None]], list[Pubkey]]:
        steps: list[dict[str, str | None]] = []

        async def step(name: str, done: bool, ix: Instruction, coder: ProgramCoder) -> None:
            if done:
                status(f"{name}: already done")
                steps.append({"step": name, "signature": None})
                return
            status(f"{name} ...")
            landed = await send(rpc, settings, [ix], wallet, coders=[coder])
            steps.append({"step": name, "signature": str(landed.signature)})

        me = wallet.pubkey()
        config = await registry.fetch_config(rpc)
        await step(
            "initialize registry",
            config is not None,
            registry.initialize(payer=me, authority=me, limits=Limits()),
            registry.coder,
        )
        config = await registry.fetch_config(rpc)
        assert config is not None
        if not config.regulators and config.authority != me:
            raise NotRegulator(f"the registry's authority is {config.authority}, not wallet {me}")
        await step(
            "appoint the wallet sole regulator",
            bool(config.regulators),
            registry.set_regulators(regulators=[me], threshold=1, cosigners=[me]),
            registry.coder,
        )
        config = await registry.fetch_config(rpc)
        assert config is not None
        settlement = token.settlement_pda().address
        if config.settlement_authority is None:
            await require_regulator(rpc, registry, settings.url, me, privileged=True)
        elif config.settlement_authority != settlement:
            raise UserFacingError(
                f"the registry settles through {config.settlement_authority}, not energy_token's "
                f"{settlement}: GRID cannot be minted from this registry"
            )
        await step(
            "name energy_token the settlement authority",
            config.settlement_authority is not None,
            registry.set_settlement_authority(settlement_authority=settlement, cosigners=[me]),
            registry.coder,
        )
        await step(
            "create the GRID mint",
            await token.fetch_config(rpc) is not None,
            token.initialize(payer=me, authority=me),
            token.coder,
        )
        return steps, config.regulators

    steps, regulators = call(settings, work)
    if as_json:
        emit_json(
            {
                "registry_config": str(registry.config_pda().address),
                "grid_mint": str(token.mint),
                "regulators": [str(r) for r in regulators],
                "steps": steps,
            }
        )
        return
    for done in steps:
        outcome = "already done" if done["signature"] is None else f"signature {done['signature']}"
        click.echo(f"{done['step']}: {outcome}")
    click.echo(f"GRID mint: {token.mint}")
    click.echo(f"regulators: {', '.join(str(r) for r in regulators)}")


@regulator.command("create-zone")
@click.argument("zone_id", type=click.IntRange(0, 2**32 - 1))
@click.option("--name", required=True, callback=check_zone_name, help="Zone name (up to 32 UTF-8 bytes).")
@click.option(
    "--max-capacity-kw", type=click.IntRange(0, 2**64 - 1), required=True, help="Zone capacity, kW."
)
@cluster_options
@json_option
def create_zone(zone_id: int, name: str, max_capacity_kw: int, settings: Settings, as_json: bool) -> None:
    """Create grid zone ZONE_ID (the wallet pays its rent and signs as the regulator)."""
    signer = settings.keypair()
    registry = RegistryClient()
    address = registry.zone_pda(zone_id).address

    async def work(rpc: AsyncClient) -> str:
        await require_regulator(rpc, registry, settings.url, signer.pubkey(), privileged=True)
        if await registry.fetch_zone(rpc, zone_id) is not None:
            raise UserFacingError(f"grid zone {zone_id} already exists ({address})")
        status(f"creating grid zone {zone_id} ({name}) ...")
        ix = registry.create_zone(
            payer=signer.pubkey(),
            zone_id=zone_id,
            name=name,
            max_capacity_kw=max_capacity_kw,
            cosigners=[signer.pubkey()],
        )
        landed = await send(rpc, settings, [ix], signer, coders=[registry.coder])
        return str(landed.signature)

    signature = call(settings, work)
    if as_json:
        emit_json({"signature": signature, "zone_id": zone_id, "zone": str(address), "name": name})
    else:
        click.echo(f"created grid zone {zone_id} ({address})\nsignature: {signature}")


@regulator.command("verify-user")
@click.argument("wallet", type=PUBKEY)
@cluster_options
@json_option
def verify_user(wallet: Pubkey, settings: Settings, as_json: bool) -> None:
    """Verify the registered user WALLET."""
    signer = settings.keypair()
    registry = RegistryClient()

    async def work(rpc: AsyncClient) -> str:
        await require_regulator(rpc, registry, settings.url, signer.pubkey(), privileged=False)
        await require_user(rpc, registry, wallet)
        ix = registry.verify_user(regulator=signer.pubkey(), wallet=wallet)
        return await _send_one(rpc, settings, ix, signer, registry)

    signature = call(settings, work)
    if as_json:
        emit_json({"signature": signature, "wallet": str(wallet), "status": "VERIFIED"})
    else:
        click.echo(f"verified {wallet}\nsignature: {signature}")


@regulator.command("activate-meter")
@click.argument("serial", type=SERIAL)
@cluster_options
@json_option
def activate_meter(serial: str, settings: Settings, as_json: bool) -> None:
    """Activate meter SERIAL so that it may submit readings."""
    signer = settings.keypair()
    registry = RegistryClient()
    address = registry.meter_pda(serial).address

    async def work(rpc: AsyncClient) -> str:
        await require_regulator(rpc, registry, settings.url, signer.pubkey(), privileged=False)
        await require_meter(rpc, registry, serial)
        ix = registry.activate_meter(regulator=signer.pubkey(), meter=address)
        return await _send_one(rpc, settings, ix, signer, registry)

    signature = call(settings, work)
    if as_json:
        emit_json({"signature": signature, "meter": str(address), "serial": serial, "status": "ACTIVE"})
    else:
        click.echo(f"activated meter {serial} ({address})\nsignature: {signature}")


async def _send_one(
    rpc: AsyncClient, settings: Settings, ix: Instruction, signer: Keypair, registry: RegistryClient
) -> str:
    landed = await send(rpc, settings, [ix], signer, coders=[registry.coder])
    return str(landed.signature)


@regulator.command("validate-cert")
@click.argument("certificate", type=PUBKEY)
@cluster_options
@json_option
def validate_cert(certificate: Pubkey, settings: Settings, as_json: bool) -> None:
    """Validate the pending CERTIFICATE against its meter's data: it becomes VALID, with the CO2 its
    volume avoided at its zone's emission factor."""
    signer = settings.keypair()
    client = CertificatesClient()

    async def work(rpc: AsyncClient) -> dict[str, Any]:
        config = await require_regulator(
            rpc, client.registry, settings.url, signer.pubkey(), privileged=False
        )
        if config.governance_program != client.program_id:
            raise UserFacingError(
                f"the registry does not name governance {client.program_id}: run `solgrid gov init`"
            )
        found = await require_certificate(rpc, client, certificate)
        if found.status != CertificateStatus.PENDING:
            raise UserFacingError(
                f"certificate {certificate} is {found.status.name.lower()}: only a pending one is validated"
            )
        if found.owner == signer.pubkey():
            raise UserFacingError(
                f"certificate {certificate} is owned by your wallet: a regulator cannot validate a "
                "certificate they own; another regulator must validate it"
            )
        zone = await client.registry.fetch_zone(rpc, found.zone_id)
        if zone is None or zone.emission_factor == 0:
            raise UserFacingError(
                f"grid zone {found.zone_id} has no emission factor: propose one first "
                f"(`solgrid gov propose set-emission-factor --zone {found.zone_id} --g-per-kwh N`)"
            )
        meter = await rpc.get_account_info(found.meter)
        if meter.value is None:
            raise UserFacingError(
                f"certificate {certificate} names meter {found.meter}, which does not exist"
            )
        status(
            f"validating certificate {certificate} "
            f"({found.volume_wh} Wh, {zone.emission_factor} g CO2/kWh) ..."
        )
        ix = client.validate(regulator=signer.pubkey(), certificate=certificate, zone_id=found.zone_id)
        landed = await send(rpc, settings, [ix], signer, coders=[client.coder])
        return {"signature": str(landed.signature), **await certificate_document(rpc, client, certificate)}

    document = call(settings, work)
    if as_json:
        emit_json(document)
        return
    click.echo(
        f"validated certificate {certificate}: {document['volume_wh']} Wh, {document['co2_avoided_g']} g CO2 "
        f"avoided, valid until {document['expires_at']}"
    )
    click.echo(f"signature: {document['signature']}")


@regulator.command("revoke-cert")
@click.argument("certificate", type=PUBKEY)
@click.option("--reason", required=True, help="Why (1 to 64 bytes, recorded on the certificate).")
@cosigner_option
@proposal_options
def revoke_cert(
    certificate: Pubkey,
    reason: str,
    cosigner_paths: tuple[Path, ...],
    options: ProposalOptions,
    settings: Settings,
    as_json: bool,
) -> None:
    """Revoke CERTIFICATE with --reason (pending or valid; a requested one also when retired or expired:
    it keeps its status and every certificate split from it is stopped), by creating a proposal (as `gov
    propose revoke-cert`). While the registry names no governance program, at once instead when the
    wallet and --cosigner keys are a regulator quorum."""
    check_reason(reason)
    wallet = settings.keypair()
    cosigners = read_cosigners(cosigner_paths)
    client = CertificatesClient()

    async def work(rpc: AsyncClient) -> dict[str, Any]:
        config = await require_regulator(
            rpc, client.registry, settings.url, wallet.pubkey(), privileged=False
        )
        await require_revocable(rpc, certificate)
        if config.governance_program is not None and cosigners:
            raise UserFacingError(
                "the registry names a governance program: a revocation goes through a proposal, which "
                "co-signing regulators cannot replace (run without --cosigner; others approve it)"
            )
        regulators = quorum_among(config, [wallet, *cosigners])
        if config.governance_program is not None or len(regulators) < max(config.regulator_threshold, 1):
            if cosigners:
                require_quorum(config, [wallet, *cosigners])  # says how many signatures are missing

            async def build(_rpc: AsyncClient, actions: GovernedActions) -> tuple[Instruction, str]:
                return actions.revoke_certificate(certificate, reason), f"revoke certificate: {reason}"

            return await create_proposal(rpc, settings, wallet, options, build)
        ix = client.revoke(certificate=certificate, reason=reason, cosigners=regulators)
        status(f"revoking certificate {certificate} ({len(regulators)} regulators co-sign) ...")
        landed = await send(rpc, settings, [ix], wallet, [client.coder], cosigners)
        return {
            "signature": str(landed.signature),
            "proposal": None,
            **await certificate_document(rpc, client, certificate),
        }

    document = call(settings, work)
    if reported(document, as_json):
        return
    click.echo(f"revoked certificate {certificate}: {reason}\nsignature: {document['signature']}")
