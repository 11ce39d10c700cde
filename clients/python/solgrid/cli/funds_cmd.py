"""``solgrid deposit`` and ``solgrid withdraw``: move GRID or the quote token between the wallet's token
accounts and its seat in a market.

Deposits come from the wallet's associated token account of the mint (for GRID, the account settlement
mints into) and claim the wallet's seat first when it has none. Withdrawals take only free balance (what
no resting order locks) and go to that same account, created when missing; they need only the wallet's
signature, whatever its registry standing.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

import click
from solana.rpc.async_api import AsyncClient
from solders.pubkey import Pubkey

from solgrid.cli.chain import send
from solgrid.cli.common import Settings, call, cluster_options, emit_json, json_option, status
from solgrid.cli.markets import (
    InsufficientFunds,
    claiming_seat,
    landed_event,
    market_of,
    quote_mint_option,
    require_seat,
    require_verified,
    token_balance,
    zone_argument,
)
from solgrid.cli.trading_units import format_amount, parse_amount
from solgrid.sdk.registry import RegistryClient
from solgrid.sdk.trading import MarketState, TradingClient
from solgrid.sdk.trading.events import Deposited, Withdrawn
from solgrid.sdk.trading.funding import (
    Asset,
    free_balance,
    plan_deposit,
    token_account,
    withdraw_instructions,
)

T = TypeVar("T")


def amount_options(f: Callable[..., T]) -> Callable[..., T]:
    f = click.option("--quote", "quote_amount", help="Amount of the market's quote token, in its units.")(f)
    return click.option("--grid", "grid_amount", help="Amount of GRID (up to 9 decimals).")(f)


def _asset(grid_amount: str | None, quote_amount: str | None) -> tuple[Asset, str]:
    if (grid_amount is None) == (quote_amount is None):
        raise click.UsageError("give exactly one of --grid and --quote")
    return (Asset.GRID, grid_amount) if grid_amount is not None else (Asset.QUOTE, str(quote_amount))


def _document(
    signature: str, market: MarketState, asset: Asset, amount: int, free_after: int, account: Pubkey
) -> dict[str, object]:
    h = market.header
    return {
        "signature": signature,
        "market": str(market.address),
        "zone_id": h.zone_id,
        "asset": asset.value,
        "mint": str(asset.mint(h)),
        "account": str(account),
        "amount": format_amount(amount, asset, h),
        "amount_atoms": amount,
        "free_after": format_amount(free_after, asset, h),
        "free_after_atoms": free_after,
    }


@click.command()
@zone_argument()
@amount_options
@quote_mint_option
@cluster_options
@json_option
def deposit(
    zone_id: int,
    grid_amount: str | None,
    quote_amount: str | None,
    quote_mint: Pubkey | None,
    settings: Settings,
    as_json: bool,
) -> None:
    """Deposit --grid or --quote into the wallet's seat in the market of ZONE (claimed if missing)."""
    asset, text = _asset(grid_amount, quote_amount)
    wallet = settings.keypair()
    client = TradingClient()

    async def work(rpc: AsyncClient) -> tuple[dict[str, object], bool]:
        found = await market_of(rpc, client, zone_id, quote_mint, settings.commitment)
        h = found.header
        amount = parse_amount(text, asset, h)
        await require_verified(rpc, RegistryClient(), wallet.pubkey())
        plan = plan_deposit(client, found, wallet.pubkey(), asset, amount)
        held = await token_balance(rpc, plan.account, settings.commitment) or 0
        if held < amount:
            raise InsufficientFunds(
                f"insufficient {asset.value}: the wallet's account {plan.account} holds "
                f"{format_amount(held, asset, h)}, the deposit needs {format_amount(amount, asset, h)}"
            )
        if plan.claims_seat:
            status(claiming_seat(found))
        status(f"depositing {format_amount(amount, asset, h)} {asset.value} ...")
        landed = await send(rpc, settings, plan.instructions, wallet, [client.coder])
        done = await landed_event(rpc, client, landed.signature, Deposited, settings.commitment)
        return _document(
            str(landed.signature), found, asset, amount, done.free_after, plan.account
        ), plan.claims_seat

    document, claimed = call(settings, work)
    if as_json:
        emit_json({**document, "claimed_seat": claimed})
        return
    if claimed:
        click.echo(f"claimed a seat in the market of grid zone {zone_id}")
    click.echo(f"deposited {document['amount']} {asset.value}; free in the market: {document['free_after']}")
    click.echo(f"signature: {document['signature']}")


@click.command()
@zone_argument()
@amount_options
@quote_mint_option
@cluster_options
@json_option
def withdraw(
    zone_id: int,
    grid_amount: str | None,
    quote_amount: str | None,
    quote_mint: Pubkey | None,
    settings: Settings,
    as_json: bool,
) -> None:
    """Withdraw --grid or --quote of the seat's free balance in the market of ZONE to the wallet's token
    account (created if missing)."""
    asset, text = _asset(grid_amount, quote_amount)
    wallet = settings.keypair()
    client = TradingClient()

    async def work(rpc: AsyncClient) -> tuple[dict[str, object], bool]:
        found = await market_of(rpc, client, zone_id, quote_mint, settings.commitment)
        h = found.header
        amount = parse_amount(text, asset, h)
        seat = require_seat(found, wallet.pubkey())
        free = free_balance(found, wallet.pubkey(), asset)
        if free < amount:
            locked = seat.base_locked if asset is Asset.GRID else seat.quote_locked
            raise InsufficientFunds(
                f"insufficient free {asset.value} in the market: the seat holds "
                f"{format_amount(free, asset, h)} free and {format_amount(locked, asset, h)} locked by open "
                f"orders, the withdrawal needs {format_amount(amount, asset, h)}"
            )
        account = token_account(wallet.pubkey(), h, asset)
        created = await token_balance(rpc, account, settings.commitment) is None
        if created:
            status(f"creating the wallet's {asset.value} token account {account}")
        status(f"withdrawing {format_amount(amount, asset, h)} {asset.value} ...")
        ixs = withdraw_instructions(client, found, wallet.pubkey(), asset, amount)
        landed = await send(rpc, settings, ixs, wallet, [client.coder])
        done = await landed_event(rpc, client, landed.signature, Withdrawn, settings.commitment)
        return _document(str(landed.signature), found, asset, amount, done.free_after, account), created

    document, created = call(settings, work)
    if as_json:
        emit_json({**document, "created_account": created})
        return
    click.echo(f"withdrew {document['amount']} {asset.value} to {document['account']}")
    if created:
        click.echo("created that token account")
    click.echo(f"free in the market: {document['free_after']}")
    click.echo(f"signature: {document['signature']}")
