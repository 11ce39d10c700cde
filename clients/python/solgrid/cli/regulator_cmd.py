"""``solgrid regulator``: the regulator's day-to-day actions (the wallet must be a registry regulator
and the registry's threshold 1; multi-signature regulation goes through the SDK)."""

from __future__ import annotations

import click
from solana.rpc.async_api import AsyncClient
from solders.pubkey import Pubkey

from solgrid.cli.chain import require_meter, require_user, send
from solgrid.cli.common import PUBKEY, Settings, call, cluster_options, emit_json, json_option
from solgrid.sdk.registry import RegistryClient


@click.group()
def regulator() -> None:
    """Regulator actions: verify users, activate meters."""


@regulator.command("verify-user")
@click.argument("wallet", type=PUBKEY)
@cluster_options
@json_option
def verify_user(wallet: Pubkey, settings: Settings, as_json: bool) -> None:
    """Verify the registered user WALLET."""
    signer = settings.keypair()
    registry = RegistryClient()

    async def work(rpc: AsyncClient) -> str:
        await require_user(rpc, registry, wallet)
        ix = registry.verify_user(regulator=signer.pubkey(), wallet=wallet)
        landed = await send(rpc, settings, [ix], signer, coders=[registry.coder])
        return str(landed.signature)

    signature = call(settings, work)
    if as_json:
        emit_json({"signature": signature, "wallet": str(wallet), "status": "VERIFIED"})
    else:
        click.echo(f"verified {wallet}\nsignature: {signature}")


@regulator.command("activate-meter")
@click.argument("serial")
@cluster_options
@json_option
def activate_meter(serial: str, settings: Settings, as_json: bool) -> None:
    """Activate meter SERIAL so that it may submit readings."""
    signer = settings.keypair()
    registry = RegistryClient()
    address = registry.meter_pda(serial).address

    async def work(rpc: AsyncClient) -> str:
        await require_meter(rpc, registry, serial)
        ix = registry.activate_meter(regulator=signer.pubkey(), meter=address)
        landed = await send(rpc, settings, [ix], signer, coders=[registry.coder])
        return str(landed.signature)

    signature = call(settings, work)
    if as_json:
        emit_json({"signature": signature, "meter": str(address), "serial": serial, "status": "ACTIVE"})
    else:
        click.echo(f"activated meter {serial} ({address})\nsignature: {signature}")
