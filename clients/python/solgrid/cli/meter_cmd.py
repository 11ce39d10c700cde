"""``solgrid meter``: register the wallet's meters and read their on-chain totals."""

from __future__ import annotations

from pathlib import Path

import click
from solana.rpc.async_api import AsyncClient
from solders.pubkey import Pubkey

from solgrid.cli.chain import device_signer, require_meter, require_user, send
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
from solgrid.errors import UserFacingError
from solgrid.sdk.registry import EnergySource, Meter, RegistryClient
from solgrid.sdk.wallet import meters_of, plain

SOURCES = {source.name.lower(): source for source in EnergySource}


def meter_json(address: Pubkey, meter: Meter) -> dict[str, object]:
    """A meter's state with stable keys (the IDL's field names plus ``address`` and ``unsettled_wh``)."""
    document: dict[str, object] = {
        "address": str(address),
        **plain(meter),
        "unsettled_wh": meter.unsettled_wh,
    }
    document["device_key"] = str(Pubkey(meter.device_key))
    return document


@click.group()
def meter() -> None:
    """Smart meters: register, list, show."""


@meter.command("register")
@click.argument("serial", type=SERIAL)
@click.option(
    "--device-key",
    type=click.Path(path_type=Path),
    required=True,
    help="The meter's device keypair file (Solana format); its public key signs readings.",
)
@click.option("--source", type=click.Choice(sorted(SOURCES)), required=True, help="What the meter measures.")
@click.option("--capacity-w", type=click.IntRange(1, 2**64 - 1), required=True, help="Rated capacity, watts.")
@cluster_options
@json_option
def register(
    serial: str, device_key: Path, source: str, capacity_w: int, settings: Settings, as_json: bool
) -> None:
    """Register meter SERIAL for the wallet (inactive until a regulator activates it)."""
    wallet = settings.keypair()
    device = device_signer(device_key)
    registry = RegistryClient()

    async def work(rpc: AsyncClient) -> str:
        user = await require_user(rpc, registry, wallet.pubkey())
        if await registry.fetch_meter(rpc, serial) is not None:
            raise UserFacingError(f"meter {serial!r} is already registered")
        status(f"registering meter {serial} in zone {user.zone_id} ...")
        ix = registry.register_meter(
            payer=wallet.pubkey(),
            owner=wallet.pubkey(),
            zone_id=user.zone_id,
            serial=serial,
            device_key=device.public_key,
            source=SOURCES[source],
            capacity_w=capacity_w,
        )
        landed = await send(rpc, settings, [ix], wallet, coders=[registry.coder])
        return str(landed.signature)

    signature = call(settings, work)
    address = registry.meter_pda(serial).address
    if as_json:
        emit_json({"signature": signature, "serial": serial, "meter": str(address)})
    else:
        click.echo(f"registered meter {serial} ({address})")
        click.echo(f"signature: {signature}")


@meter.command("list")
@click.option("--owner", type=PUBKEY, help="Owner wallet (default: the wallet).")
@cluster_options
@json_option
def list_(owner: Pubkey | None, settings: Settings, as_json: bool) -> None:
    """Meters owned by a wallet."""
    wallet = owner or settings.keypair().pubkey()
    registry = RegistryClient()

    async def work(rpc: AsyncClient) -> list[tuple[Pubkey, Meter]]:
        return await meters_of(rpc, registry, wallet)

    found = call(settings, work)
    if as_json:
        emit_json({"owner": str(wallet), "meters": [meter_json(a, m) for a, m in found]})
        return
    if not found:
        click.echo(f"no meters owned by {wallet}")
    for address, m in found:
        click.echo(
            f"{plain(m.serial):<32} {m.source.name.lower():<8} {m.status.name.lower():<12} "
            f"produced {m.produced_wh} Wh  consumed {m.consumed_wh} Wh  "
            f"unsettled {m.unsettled_wh} Wh  {address}"
        )


@meter.command("show")
@click.argument("serial", type=SERIAL)
@cluster_options
@json_option
def show(serial: str, settings: Settings, as_json: bool) -> None:
    """The on-chain state of meter SERIAL."""
    registry = RegistryClient()

    async def work(rpc: AsyncClient) -> Meter:
        return await require_meter(rpc, registry, serial)

    document = meter_json(registry.meter_pda(serial).address, call(settings, work))
    if as_json:
        emit_json(document)
        return
    for key, value in document.items():
        click.echo(f"{key + ':':<17}{value}")
