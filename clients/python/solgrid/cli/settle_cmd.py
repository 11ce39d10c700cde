"""``solgrid settle``: turn a meter's unsettled surplus into GRID for its owner (anyone may crank it)."""

from __future__ import annotations

import click
from solana.rpc.async_api import AsyncClient

from solgrid.cli.chain import require_meter, send
from solgrid.cli.common import (
    SERIAL,
    Settings,
    call,
    cluster_options,
    emit_json,
    format_grid,
    json_option,
    status,
)
from solgrid.errors import UserFacingError
from solgrid.sdk.energy_token import EnergyTokenClient, GridMinted
from solgrid.sdk.registry import RegistryClient


class NothingToSettle(UserFacingError):
    """The meter has no unsettled surplus."""


@click.command()
@click.argument("serial", type=SERIAL)
@cluster_options
@json_option
def settle(serial: str, settings: Settings, as_json: bool) -> None:
    """Settle meter SERIAL and mint its surplus as GRID to the owner (the wallet pays the fee)."""
    payer = settings.keypair()
    registry = RegistryClient()
    token = EnergyTokenClient()
    address = registry.meter_pda(serial).address

    async def work(rpc: AsyncClient) -> tuple[str, int, int]:
        meter = await require_meter(rpc, registry, serial)
        if meter.unsettled_wh == 0:
            raise NothingToSettle(f"meter {serial!r} has no unsettled surplus")
        status(f"settling {meter.unsettled_wh} Wh of meter {serial} ...")
        ixs = [
            token.create_grid_account(payer=payer.pubkey(), owner=meter.owner),
            token.settle_and_mint(meter=address, owner=meter.owner, zone_id=meter.zone_id),
        ]
        landed = await send(rpc, settings, ixs, payer, coders=[registry.coder, token.coder])
        minted = [e for e in token.events(landed.logs) if isinstance(e, GridMinted)]
        if not minted:
            raise UserFacingError(f"transaction {landed.signature} landed without a GridMinted event")
        return str(landed.signature), minted[0].amount_wh, minted[0].amount

    signature, amount_wh, amount = call(settings, work)
    if as_json:
        emit_json(
            {
                "signature": signature,
                "meter": str(address),
                "serial": serial,
                "amount_wh": amount_wh,
                "grid_base_units": amount,
                "grid": format_grid(amount),
            }
        )
    else:
        click.echo(f"settled {amount_wh} Wh of meter {serial}: minted {format_grid(amount)} GRID")
        click.echo(f"signature: {signature}")
