"""``solgrid balance | airdrop | transfer | history``: the wallet's SOL and GRID."""

from __future__ import annotations

import click
from solana.rpc.async_api import AsyncClient
from solders.pubkey import Pubkey

from solgrid.cli.chain import SIGNATURE_FEE_LAMPORTS, InsufficientSol, send
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
from solgrid.sdk.wallet import HistoryEntry, InsufficientGrid, Recipient, check_recipient, grid_transfer
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
    """Send AMOUNT GRID (a decimal like 1.5) to the wallet RECIPIENT. When RECIPIENT has no GRID account
    yet it is created in the same transaction, the sender paying its rent (said on stderr)."""
    units = parse_grid(amount)
    sender = settings.keypair()
    token = EnergyTokenClient()

    async def work(rpc: AsyncClient) -> tuple[str, Recipient]:
        held = await token.fetch_balance(rpc, sender.pubkey())
        if held < units:
            raise InsufficientGrid(
                f"insufficient GRID: {sender.pubkey()} holds {format_grid(held)}, "
                f"transfer needs {format_grid(units)}"
            )
        to = await check_recipient(rpc, token, recipient)
        if not to.has_grid_account:
            lamports = (await rpc.get_balance(sender.pubkey())).value
            if lamports < to.rent_lamports + SIGNATURE_FEE_LAMPORTS:
                raise InsufficientSol(
                    f"insufficient SOL: creating {recipient}'s GRID account needs "
                    f"{format_sol(to.rent_lamports)} SOL of rent plus the fee; {sender.pubkey()} has "
                    f"{format_sol(lamports)}"
                )
            status(
                f"{recipient} has no GRID account yet: creating {to.grid_account} "
                f"(rent {format_sol(to.rent_lamports)} SOL, paid by {sender.pubkey()})"
            )
        status(f"sending {format_grid(units)} GRID to {recipient} ...")
        ixs = grid_transfer(
            token,
            sender=sender.pubkey(),
            recipient=recipient,
            amount=units,
            create_recipient_account=not to.has_grid_account,
        )
        landed = await send(rpc, settings, ixs, sender, coders=[token.coder])
        return str(landed.signature), to

    signature, to = call(settings, work)
    if as_json:
        emit_json(
            {
                "signature": signature,
                "from": str(sender.pubkey()),
                "to": str(recipient),
                "to_grid_account": str(to.grid_account),
                "created_grid_account": not to.has_grid_account,
                "grid_base_units": units,
                "grid": format_grid(units),
            }
        )
    else:
        click.echo(f"sent {format_grid(units)} GRID to {recipient}")
        if not to.has_grid_account:
            click.echo(f"created its GRID account {to.grid_account}")
        click.echo(f"signature: {signature}")


@click.command()
@click.argument("address", type=PUBKEY, required=False)
@click.option("--limit", "-n", type=click.IntRange(1, 1000), default=20, show_default=True)
@cluster_options
@json_option
def history(address: Pubkey | None, limit: int, settings: Settings, as_json: bool) -> None:
    """Recent transactions of ADDRESS (default: the wallet), newest first, with SolGrid events."""
    owner = address or settings.keypair().pubkey()

    async def work(rpc: AsyncClient) -> list[HistoryEntry]:
        status(f"fetching up to {limit} transactions of {owner} ...")
        return await fetch_history(
            rpc,
            owner,
            limit=limit,
            registry=RegistryClient(),
            token=EnergyTokenClient(),
            commitment=settings.commitment,
        )

    entries = call(settings, work)
    if as_json:
        emit_json({"address": str(owner), "transactions": [e.as_json() for e in entries]})
        return
    if not entries:
        click.echo("no transactions")
    for entry in entries:
        outcome = "ok" if entry.error is None else f"failed: {entry.error}"
        changes = [f"{format_sol(entry.lamports_change, signed=True)} SOL"]
        if entry.grid_change_base_units:
            changes.append(f"{format_grid(entry.grid_change_base_units, signed=True)} GRID")
        click.echo(f"{entry.signature}  slot {entry.slot}  {outcome}  {', '.join(changes)}")
        for event in entry.events:
            fields = ", ".join(f"{k}={v}" for k, v in event["fields"].items())
            click.echo(f"  {event['program']}.{event['name']}({fields})")
