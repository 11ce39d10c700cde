"""``solgrid cert``: renewable-energy certificates of the wallet's meters: request, list, show, transfer
(whole, or part of it with ``--volume``), retire for a beneficiary, expire.

``request`` computes from the meter's registry fields what a certificate would cover before sending, so
a meter with nothing to certify, or a battery or grid meter, is one line and no transaction.
"""

from __future__ import annotations

from typing import Any

import click
from solana.rpc.async_api import AsyncClient
from solders.pubkey import Pubkey

from solgrid.cli.certs import (
    certificate_document,
    certificate_json,
    certificate_line,
    require_certificate,
    require_spendable,
    serials_of,
)
from solgrid.cli.chain import NotRegistered, require_meter, send
from solgrid.cli.common import PUBKEY, SERIAL, Settings, call, cluster_options, emit_json, json_option, status
from solgrid.cli.governance import TIME, require_governed
from solgrid.errors import UserFacingError
from solgrid.sdk.certificates import CertificatesClient, CertificateStatus
from solgrid.sdk.clock import cluster_time, utc
from solgrid.sdk.registry import UserStatus

STATUSES = {s.name.lower(): s for s in CertificateStatus}
U64 = click.IntRange(1, 2**64 - 1)


@click.group()
def cert() -> None:
    """Renewable-energy certificates: request, list, show, transfer, retire, expire."""


@cert.command("request")
@click.argument("serial", type=SERIAL)
@cluster_options
@json_option
def request(serial: str, settings: Settings, as_json: bool) -> None:
    """Request a certificate for meter SERIAL's renewable production that no certificate covers yet
    (the wallet owns the meter and pays the account)."""
    wallet = settings.keypair()
    client = CertificatesClient()
    registry = client.registry

    async def work(rpc: AsyncClient) -> dict[str, Any]:
        await require_governed(rpc, client.governance, registry, settings.url)
        meter = await require_meter(rpc, registry, serial)
        if meter.owner != wallet.pubkey():
            raise UserFacingError(
                f"wallet {wallet.pubkey()} does not own meter {serial} (its owner is {meter.owner})"
            )
        user = await registry.fetch_user(rpc, wallet.pubkey())
        if user is None or user.status != UserStatus.VERIFIED:
            found = "not registered" if user is None else user.status.name
            raise NotRegistered(
                f"wallet {wallet.pubkey()} is {found}: only a verified user's meters are certified"
            )
        built = client.request(meter_address=registry.meter_pda(serial).address, meter=meter, serial=serial)
        c = built.certifiable
        status(
            f"requesting a certificate for {c.volume_wh} Wh of meter {serial} ({utc(c.start)} .. "
            f"{utc(c.end)}) ..."
        )
        landed = await send(rpc, settings, [built.instruction], wallet, coders=[client.coder, registry.coder])
        certificate = await require_certificate(rpc, client, built.certificate)
        now = await cluster_time(rpc)
        return {"signature": str(landed.signature), **certificate_json(certificate, now, serial)}

    document = call(settings, work)
    if as_json:
        emit_json(document)
        return
    click.echo(
        f"requested certificate {document['address']}: {document['volume_wh']} Wh of meter {serial}, "
        f"{document['generation_start']} .. {document['generation_end']}"
    )
    click.echo("status: PENDING until a regulator validates it (`solgrid regulator validate-cert`)")
    click.echo(f"signature: {document['signature']}")


@cert.command("list")
@click.option("--owner", type=PUBKEY, help="Certificates of this wallet (default: the wallet's own).")
@click.option("--meter", "serial", type=SERIAL, help="Certificates of this meter (any owner).")
@click.option("--status", "wanted", type=click.Choice(sorted(STATUSES)), help="Only those in this status.")
@click.option("--all", "everyone", is_flag=True, help="Every certificate (any owner).")
@cluster_options
@json_option
def list_certificates(
    owner: Pubkey | None,
    serial: str | None,
    wanted: str | None,
    everyone: bool,
    settings: Settings,
    as_json: bool,
) -> None:
    """The wallet's certificates (or --owner's, --meter's, or --all), by generation interval."""
    client = CertificatesClient()
    if owner is None and serial is None and not everyone:
        owner = settings.keypair().pubkey()

    async def work(rpc: AsyncClient) -> list[dict[str, Any]]:
        meter = None
        if serial is not None:
            await require_meter(rpc, client.registry, serial)
            meter = client.registry.meter_pda(serial).address
        # Filtered on the stored status, then on the status the program acts on now: a valid
        # certificate past its expiry counts as expired before anyone marks it, a valid part split off
        # a revoked original as revoked (its original is read: one getMultipleAccounts for those not
        # listed).
        stored = None if wanted is None or wanted in ("expired", "revoked") else STATUSES[wanted]
        found = await client.fetch_certificates(rpc, owner=owner, meter=meter, status=stored)
        now = await cluster_time(rpc)
        originals = await client.fetch_originals(rpc, found)
        serials = await serials_of(rpc, client.registry, [c.meter for c in found])
        documents = [certificate_json(c, now, serials.get(c.meter), originals.get(c.original)) for c in found]
        if wanted is not None:
            documents = [d for d in documents if d["status"] == STATUSES[wanted].name]
        return documents

    documents = call(settings, work)
    if as_json:
        emit_json({"certificates": documents})
        return
    if not documents:
        click.echo("no certificates")
    for document in documents:
        click.echo(certificate_line(document))


@cert.command("show")
@click.argument("certificate", type=PUBKEY)
@cluster_options
@json_option
def show(certificate: Pubkey, settings: Settings, as_json: bool) -> None:
    """Every field of CERTIFICATE: header, status, owner, CO2 avoided, lineage, retirement."""
    client = CertificatesClient()

    async def work(rpc: AsyncClient) -> dict[str, Any]:
        return await certificate_document(rpc, client, certificate)

    document = call(settings, work)
    if as_json:
        emit_json(document)
        return
    for key, value in document.items():
        if key == "retirement" and value is not None:
            for field, item in value.items():
                click.echo(f"{'retirement.' + field + ':':<30}{item}")
            continue
        click.echo(f"{key + ':':<30}{'-' if value is None else value}")


@cert.command("transfer")
@click.argument("certificate", type=PUBKEY)
@click.argument("recipient", type=PUBKEY)
@click.option("--volume", "volume_wh", type=U64, help="Wh to transfer (default: all of it); less splits it.")
@cluster_options
@json_option
def transfer(
    certificate: Pubkey, recipient: Pubkey, volume_wh: int | None, settings: Settings, as_json: bool
) -> None:
    """Transfer CERTIFICATE to RECIPIENT, or with --volume part of it: a new certificate of RECIPIENT
    split off it (the wallet pays its account) while the wallet keeps the rest."""
    wallet = settings.keypair()
    client = CertificatesClient()

    async def work(rpc: AsyncClient) -> dict[str, Any]:
        found = await require_spendable(rpc, client, certificate, wallet.pubkey())
        if recipient == wallet.pubkey():
            raise UserFacingError(f"certificate {certificate} already belongs to {recipient}")
        volume = found.volume_wh if volume_wh is None else volume_wh
        if volume > found.volume_wh:
            raise UserFacingError(
                f"certificate {certificate} holds {found.volume_wh} Wh: cannot transfer {volume} Wh"
            )
        if volume == found.volume_wh:
            ix = client.transfer(
                owner=wallet.pubkey(), certificate=certificate, new_owner=recipient, original=found.original
            )
            moved = certificate
        else:
            ix, moved = client.split(certificate=found, volume_wh=volume, new_owner=recipient)
        status(f"transferring {volume} Wh of certificate {certificate} to {recipient} ...")
        landed = await send(rpc, settings, [ix], wallet, coders=[client.coder])
        return {
            "signature": str(landed.signature),
            "certificate": str(moved),
            "parent": None if moved == certificate else str(certificate),
            "recipient": str(recipient),
            "volume_wh": volume,
            "kept_wh": found.volume_wh - volume,
        }

    document = call(settings, work)
    if as_json:
        emit_json(document)
        return
    if document["parent"] is None:
        click.echo(f"transferred certificate {certificate} ({document['volume_wh']} Wh) to {recipient}")
    else:
        click.echo(
            f"transferred {document['volume_wh']} Wh to {recipient} as certificate "
            f"{document['certificate']}; "
            f"certificate {certificate} keeps {document['kept_wh']} Wh"
        )
    click.echo(f"signature: {document['signature']}")


@cert.command("retire")
@click.argument("certificate", type=PUBKEY)
@click.option("--beneficiary", type=PUBKEY, help="Who used the energy (default: the wallet).")
@click.option("--beneficiary-name", required=True, help="The beneficiary's name (up to 64 bytes).")
@click.option("--purpose", required=True, help="What the energy was used for (up to 64 bytes).")
@click.option(
    "--consumption-start", type=TIME, help="Start of the consumption period (default: generation's)."
)
@click.option("--consumption-end", type=TIME, help="End of the consumption period (default: generation's).")
@cluster_options
@json_option
def retire(
    certificate: Pubkey,
    beneficiary: Pubkey | None,
    beneficiary_name: str,
    purpose: str,
    consumption_start: int | None,
    consumption_end: int | None,
    settings: Settings,
    as_json: bool,
) -> None:
    """Retire CERTIFICATE for a beneficiary (final): the proof that its energy was used by them."""
    for value, hint in ((beneficiary_name, "--beneficiary-name"), (purpose, "--purpose")):
        if len(value.encode()) > 64:
            raise click.BadParameter(f"at most 64 bytes of UTF-8, got {len(value.encode())}", param_hint=hint)
    wallet = settings.keypair()
    client = CertificatesClient()

    async def work(rpc: AsyncClient) -> dict[str, Any]:
        found = await require_spendable(rpc, client, certificate, wallet.pubkey())
        start = found.generation_start if consumption_start is None else consumption_start
        end = found.generation_end if consumption_end is None else consumption_end
        if start >= end:
            raise click.BadParameter(
                f"the consumption period must start before it ends ({utc(start)} .. {utc(end)})",
                param_hint="--consumption-start/--consumption-end",
            )
        ix = client.retire(
            owner=wallet.pubkey(),
            certificate=certificate,
            beneficiary=beneficiary or wallet.pubkey(),
            beneficiary_name=beneficiary_name,
            purpose=purpose,
            consumption_start=start,
            consumption_end=end,
            original=found.original,
        )
        status(f"retiring certificate {certificate} ({found.volume_wh} Wh) for {beneficiary_name} ...")
        landed = await send(rpc, settings, [ix], wallet, coders=[client.coder])
        return {"signature": str(landed.signature), **await certificate_document(rpc, client, certificate)}

    document = call(settings, work)
    if as_json:
        emit_json(document)
        return
    r = document["retirement"]
    click.echo(
        f"retired certificate {certificate}: {document['volume_wh']} Wh ({document['co2_avoided_g']} g CO2 "
        f"avoided) for {r['beneficiary_name']} ({r['beneficiary']}), {r['purpose']}"
    )
    click.echo(f"signature: {document['signature']}")


@cert.command("expire")
@click.argument("certificate", type=PUBKEY)
@cluster_options
@json_option
def expire(certificate: Pubkey, settings: Settings, as_json: bool) -> None:
    """Mark CERTIFICATE expired once its validity period is over (anyone may)."""
    wallet = settings.keypair()
    client = CertificatesClient()

    async def work(rpc: AsyncClient) -> str:
        found = await require_certificate(rpc, client, certificate)
        now = await cluster_time(rpc)
        if found.status != CertificateStatus.VALID:
            raise UserFacingError(
                f"certificate {certificate} is {found.status.name.lower()}: only a valid one expires"
            )
        if now < found.expires_at:
            raise UserFacingError(f"certificate {certificate} is valid until {utc(found.expires_at)}")
        landed = await send(
            rpc, settings, [client.expire(certificate=certificate)], wallet, coders=[client.coder]
        )
        return str(landed.signature)

    signature = call(settings, work)
    if as_json:
        emit_json({"signature": signature, "certificate": str(certificate), "status": "EXPIRED"})
    else:
        click.echo(f"certificate {certificate} expired\nsignature: {signature}")
