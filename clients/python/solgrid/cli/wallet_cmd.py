"""``solgrid balance | airdrop | transfer | history``: the wallet's SOL and GRID."""

from __future__ import annotations

import click
from solana.rpc.async_api import AsyncClient
from solders.pubkey import Pubkey

from solgrid.cli.chain import send
from solgrid.cli.common import (
    PUBKEY,
    Settings,
    call,
    cluster_options,
    emit_json,
    format_grid,
    format_sol,
    json_option,
    parse_grid,
    parse_sol,
    status,
)
from solgrid.errors import UserFacingError
from solgrid.sdk.energy_token import EnergyTokenClient
from solgrid.sdk.registry import RegistryClient
from solgrid.sdk.wallet import InsufficientGrid, grid_transfer
from solgrid.sdk.wallet import history as fetch_history


class AirdropFailed(UserFacingError):
    """The cluster's faucet refused or is absent."""


@click.command()
@click.argument("address", type=PUBKEY, required=False)
@cluster_options
@json_option
def balance(address: Pubkey | None, settings: Settings, as_json: bool) -> None:
    """SOL and GRID of ADDRESS (default: the wallet)."""
    owner = address or settings.keypair().pubkey()
    token = EnergyTokenClient()

    async def work(rpc: AsyncClient) -> tuple[int, int]:
        lamports = (await rpc.get_balance(owner)).value
        return lamports, await token.fetch_balance(rpc, owner)

    lamports, grid = call(settings, work)
    if as_json:
        emit_json(
            {
                "address": str(owner),
                "lamports": lamports,
                "sol": format_sol(lamports),
                "grid_base_units": grid,
                "grid": format_grid(grid),
                "grid_account": str(token.grid_account(owner)),
            }
        )
    else:
        click.echo(f"{format_sol(lamports)} SOL")
        click.echo(f"{format_grid(grid)} GRID")


@click.command()
@click.argument("amount")
@click.argument("address", type=PUBKEY, required=False)
@cluster_options
@json_option
def airdrop(amount: str, address: Pubkey | None, settings: Settings, as_json: bool) -> None:
    """Request AMOUNT SOL from the cluster's faucet (local node, devnet) for ADDRESS (default: wallet)."""
    lamports = parse_sol(amount)
    owner = address or settings.keypair().pubkey()

    async def work(rpc: AsyncClient) -> tuple[str, int]:
        from solana.rpc.core import RPCException

        status(f"requesting {amount} SOL for {owner} ...")
        try:
            signature = (await rpc.request_airdrop(owner, lamports)).value
        except RPCException as e:
            raise AirdropFailed(f"airdrop refused by {settings.url}: {e}") from None
        await rpc.confirm_transaction(signature, settings.commitment)
        return str(signature), (await rpc.get_balance(owner)).value

    signature, after = call(settings, work)
    if as_json:
        emit_json(
            {"address": str(owner), "signature": signature, "lamports": after, "sol": format_sol(after)}
        )
    else:
        click.echo(f"signature: {signature}")
        click.echo(f"balance: {format_sol(after)} SOL")


@click.command()
@click.argument("recipient", type=PUBKEY)
@click.argument("amount")
@cluster_options
@json_option
def transfer(recipient: Pubkey, amount: str, settings: Settings, as_json: bool) -> None:
    """Send AMOUNT GRID (a decimal like 1.5) to RECIPIENT; its GRID account is created if missing."""
    units = parse_grid(amount)
    sender = settings.keypair()
    token = EnergyTokenClient()

    async def work(rpc: AsyncClient) -> str:
        held = await token.fetch_balance(rpc, sender.pubkey())
        if held < units:
            raise InsufficientGrid(
                f"insufficient GRID: {sender.pubkey()} holds {format_grid(held)}, "
                f"transfer needs {format_grid(units)}"
            )
        status(f"sending {format_grid(units)} GRID to {recipient} ...")
        ixs = grid_transfer(token, sender=sender.pubkey(), recipient=recipient, amount=units)
        landed = await send(rpc, settings, ixs, sender, coders=[token.coder])
        return str(landed.signature)

    signature = call(settings, work)
    if as_json:
        emit_json(
            {
                "signature": signature,
                "from": str(sender.pubkey()),
                "to": str(recipient),
                "grid_base_units": units,
                "grid": format_grid(units),
            }
        )
    else:
        click.echo(f"sent {format_grid(units)} GRID to {recipient}")
        click.echo(f"signature: {signature}")


@click.command()
@click.argument("address", type=PUBKEY, required=False)
@click.option("--limit", "-n", type=click.IntRange(1, 1000), default=20, show_default=True)
@cluster_options
@json_option
def history(address: Pubkey | None, limit: int, settings: Settings, as_json: bool) -> None:
    """Recent transactions of ADDRESS (default: the wallet), newest first, with SolGrid events."""
    owner = address or settings.keypair().pubkey()

    async def work(rpc: AsyncClient) -> list[dict[str, object]]:
        status(f"fetching up to {limit} transactions of {owner} ...")
        entries = await fetch_history(
            rpc,
            owner,
            limit=limit,
            registry=RegistryClient(),
            token=EnergyTokenClient(),
            commitment=settings.commitment,
        )
        return [e.as_json() for e in entries]

    entries = call(settings, work)
    if as_json:
        emit_json({"address": str(owner), "transactions": entries})
        return
    if not entries:
        click.echo("no transactions")
    for entry in entries:
        outcome = "ok" if entry["error"] is None else f"failed: {entry['error']}"
        click.echo(f"{entry['signature']}  slot {entry['slot']}  {outcome}")
        for event in entry["events"]:  # type: ignore[attr-defined]
            fields = ", ".join(f"{k}={v}" for k, v in event["fields"].items())
            click.echo(f"  {event['program']}.{event['name']}({fields})")
