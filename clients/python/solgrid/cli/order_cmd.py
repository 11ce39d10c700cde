"""``solgrid order``: place, cancel and list the wallet's orders.

``buy`` and ``sell`` send one transaction: claim the wallet's seat in the market if it has none, deposit
what the seat's free balance lacks for the order from the wallet's token account (GRID to sell, the
quote mint to buy; ``--no-deposit`` refuses instead), and place the order. The outcome is read from the
transaction's ``OrderPlaced`` event: fills at the makers' prices, what rests, what was cancelled.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

import click
from solana.rpc.async_api import AsyncClient
from solders.pubkey import Pubkey

from solgrid.cli.chain import send
from solgrid.cli.common import Settings, call, cluster_options, emit_json, json_option, status
from solgrid.cli.markets import (
    InsufficientFunds,
    UnknownMarket,
    claiming_seat,
    landed_event,
    market_of,
    markets_of,
    order_json,
    quote_mint_option,
    require_seat,
    require_verified,
    seat_json,
    token_balance,
    zone_argument,
)
from solgrid.cli.trading_units import (
    SIDE_NAMES,
    format_amount,
    format_kwh,
    format_price,
    format_quote,
    format_time,
    parse_kwh,
    parse_price,
    parse_time,
)
from solgrid.errors import UserFacingError
from solgrid.sdk.clock import cluster_time
from solgrid.sdk.registry import RegistryClient
from solgrid.sdk.trading import MarketState, OrderPlaced, RestingOrder, TradingClient
from solgrid.sdk.trading.events import OrderCancelled
from solgrid.sdk.trading.funding import Asset, OrderSpec, Plan, free_balance, plan_order
from solgrid.sdk.trading.units import MAX_MATCHES, OrderKind, SelfTradeMode, Side

T = TypeVar("T")
SELF_TRADE = {mode.name.lower().replace("_", "-"): mode for mode in SelfTradeMode}


@click.group()
def order() -> None:
    """Orders: buy, sell, cancel, list (with the wallet's balances in each market)."""


def order_options(f: Callable[..., T]) -> Callable[..., T]:
    """The options ``buy`` and ``sell`` share."""
    options: list[Callable[[Callable[..., Any]], Callable[..., Any]]] = [
        zone_argument(),
        click.option("--kwh", required=True, help="Quantity, kWh (whole lots of the market)."),
        click.option(
            "--price", required=True, help="Limit price, quote units per kWh (whole ticks of the market)."
        ),
        quote_mint_option,
        click.option("--ioc", is_flag=True, help="Immediate or cancel: trade what crosses, rest nothing."),
        click.option("--post-only", is_flag=True, help="Only rest: refused if it would trade at once."),
        click.option(
            "--expires-in", type=click.IntRange(1), help="Seconds (cluster time) until the order expires."
        ),
        click.option(
            "--expires-at", help="Expiry: a Unix time or an ISO 8601 date and time (UTC by default)."
        ),
        click.option(
            "--client-order-id",
            type=click.IntRange(1, 2**64 - 1),
            help="Your id for the order; it must exceed every one you used in this market.",
        ),
        click.option(
            "--self-trade",
            type=click.Choice(list(SELF_TRADE)),
            default="cancel-resting",
            show_default=True,
            help="What happens when the order meets one of your own resting orders.",
        ),
        click.option(
            "--max-matches",
            type=click.IntRange(1, MAX_MATCHES),
            default=MAX_MATCHES,
            show_default=True,
            help="Most fills and removals the order may cause.",
        ),
        click.option(
            "--no-deposit",
            is_flag=True,
            help="Refuse when the seat's free balance does not cover the order, instead of depositing.",
        ),
        cluster_options,
        json_option,
    ]
    for option in reversed(options):
        f = option(f)
    return f


@order.command("buy")
@order_options
def buy(**options: Any) -> None:
    """Buy --kwh GRID in the market of ZONE at --price or better."""
    _place(Side.BID, **options)


@order.command("sell")
@order_options
def sell(**options: Any) -> None:
    """Sell --kwh GRID in the market of ZONE at --price or better."""
    _place(Side.ASK, **options)


def _kind(ioc: bool, post_only: bool) -> OrderKind:
    if ioc and post_only:
        raise click.UsageError("--ioc and --post-only exclude each other")
    if ioc:
        return OrderKind.IMMEDIATE_OR_CANCEL
    return OrderKind.POST_ONLY if post_only else OrderKind.LIMIT


def _place(
    side: Side,
    *,
    zone_id: int,
    kwh: str,
    price: str,
    quote_mint: Pubkey | None,
    ioc: bool,
    post_only: bool,
    expires_in: int | None,
    expires_at: str | None,
    client_order_id: int | None,
    self_trade: str,
    max_matches: int,
    no_deposit: bool,
    settings: Settings,
    as_json: bool,
) -> None:
    kind = _kind(ioc, post_only)
    if expires_in is not None and expires_at is not None:
        raise click.UsageError("--expires-in and --expires-at exclude each other")
    if kind is OrderKind.IMMEDIATE_OR_CANCEL and (expires_in or expires_at):
        raise click.UsageError("an --ioc order never rests, so it takes no expiry")
    expiry = None if expires_at is None else parse_time(expires_at)
    wallet = settings.keypair()
    client, registry = TradingClient(), RegistryClient()

    async def work(rpc: AsyncClient) -> tuple[str, MarketState, Plan, OrderPlaced]:
        found = await market_of(rpc, client, zone_id, quote_mint, settings.commitment)
        h = found.header
        spec = OrderSpec(
            side=side,
            price=parse_price(price, h),
            lots=parse_kwh(kwh, h),
            kind=kind,
            client_order_id=client_order_id or 0,
            expires_at=await _expiry(rpc, settings, expires_in, expiry),
            self_trade=SELF_TRADE[self_trade],
            max_matches=max_matches,
        )
        await require_verified(rpc, registry, wallet.pubkey())
        plan, shortfall = plan_order(client, found, wallet.pubkey(), spec, deposit_shortfall=not no_deposit)
        asset = plan.asset
        if shortfall and no_deposit:
            free = free_balance(found, wallet.pubkey(), asset)
            raise InsufficientFunds(
                f"insufficient {asset.value} in the market: the seat holds {format_amount(free, asset, h)} "
                f"free, the order needs up to {format_amount(free + shortfall, asset, h)} (run without "
                "--no-deposit to deposit the rest, or `solgrid deposit`)"
            )
        if shortfall:
            held = await token_balance(rpc, plan.account, settings.commitment) or 0
            if held < shortfall:
                raise InsufficientFunds(
                    f"insufficient {asset.value}: the order needs {format_amount(shortfall, asset, h)} more "
                    f"than the seat holds free, and the wallet's account {plan.account} holds "
                    f"{format_amount(held, asset, h)}"
                )
        if plan.claims_seat:
            status(claiming_seat(found))
        if plan.deposit:
            status(
                f"depositing {format_amount(plan.deposit, asset, h)} {asset.value}, "
                "which the seat lacks for the order"
            )
        status(
            f"placing a {SIDE_NAMES[side].lower()} order of {format_kwh(spec.lots, h)} kWh at "
            f"{format_price(spec.price, h)} per kWh ..."
        )
        landed = await send(rpc, settings, plan.instructions, wallet, [client.coder])
        placed = await landed_event(rpc, client, landed.signature, OrderPlaced, settings.commitment)
        return str(landed.signature), found, plan, placed

    signature, found, plan, placed = call(settings, work)
    document = placed_json(signature, found, plan, placed)
    if as_json:
        emit_json(document)
        return
    _print_placed(document, found, placed)


async def _expiry(
    rpc: AsyncClient, settings: Settings, expires_in: int | None, expires_at: int | None
) -> int:
    """The order's expiry (0: good till cancelled); ``--expires-in`` counts from the cluster's clock."""
    if expires_in is not None:
        return await cluster_time(rpc, settings.commitment) + expires_in
    if expires_at is not None:
        now = await cluster_time(rpc, settings.commitment)
        if expires_at <= now:
            raise click.BadParameter(
                f"{format_time(expires_at)} is not after the cluster's time {format_time(now)}",
                param_hint="--expires-at",
            )
        return expires_at
    return 0


def placed_json(signature: str, market: MarketState, plan: Plan, placed: OrderPlaced) -> dict[str, Any]:
    h = market.header
    return {
        "signature": signature,
        "market": str(market.address),
        "zone_id": h.zone_id,
        "order_id": placed.order_id,
        "client_order_id": placed.client_order_id,
        "side": SIDE_NAMES[placed.side],
        "kind": placed.kind.name,
        "price": format_price(placed.price, h),
        "price_ticks": placed.price,
        "kwh": format_kwh(placed.lots, h),
        "lots": placed.lots,
        "state": placed.state.name,
        "filled_kwh": format_kwh(placed.filled_lots, h),
        "rested_kwh": format_kwh(placed.rested_lots, h),
        "cancelled_kwh": format_kwh(placed.cancelled_lots, h),
        "quote_traded": format_quote(placed.quote_traded, h),
        "taker_fee": format_quote(placed.taker_fee, h),
        "expires_at": placed.expires_at or None,
        "claimed_seat": plan.claims_seat,
        "seat": plan.seat,
        "deposited": format_amount(plan.deposit, plan.asset, h) if plan.deposit else None,
        "deposited_asset": plan.asset.value if plan.deposit else None,
        "fills": [
            {
                "maker": str(f.maker),
                "maker_order_id": f.maker_order_id,
                "price": format_price(f.price, h),
                "price_ticks": f.price,
                "kwh": format_kwh(f.lots, h),
                "lots": f.lots,
                "quote": format_quote(f.quote_amount, h),
                "taker_fee": format_quote(f.taker_fee, h),
                "maker_fee": format_quote(f.maker_fee, h),
            }
            for f in placed.fills
        ],
        "removed": [
            {
                "trader": str(r.trader),
                "order_id": r.order_id,
                "side": SIDE_NAMES[r.side],
                "price": format_price(r.price, h),
                "kwh": format_kwh(r.lots, h),
                "reason": r.reason.name,
            }
            for r in placed.removals
        ],
    }


def _print_placed(document: dict[str, Any], market: MarketState, placed: OrderPlaced) -> None:
    h = market.header
    side = document["side"].lower()
    click.echo(
        f"{side} order {placed.order_id} in grid zone {h.zone_id}: {document['kwh']} kWh at "
        f"{document['price']} per kWh ({placed.kind.name}) -> {placed.state.name}"
    )
    if document["claimed_seat"]:
        click.echo(f"claimed seat {document['seat']} in the market")
    if document["deposited"] is not None:
        click.echo(
            f"deposited {document['deposited']} {document['deposited_asset']} the seat lacked for the order"
        )
    for fill in document["fills"]:
        click.echo(
            f"filled {fill['kwh']} kWh at {fill['price']} (order {fill['maker_order_id']} of "
            f"{fill['maker']}): {fill['quote']}, taker fee {fill['taker_fee']}"
        )
    for removed in document["removed"]:
        click.echo(f"removed order {removed['order_id']} ({removed['kwh']} kWh): {removed['reason']}")
    click.echo(
        f"filled {document['filled_kwh']} kWh for {document['quote_traded']} "
        f"(taker fee {document['taker_fee']}), rested {document['rested_kwh']} kWh, "
        f"cancelled {document['cancelled_kwh']} kWh"
    )
    if placed.expires_at:
        click.echo(f"expires {format_time(placed.expires_at)}")
    click.echo(f"signature: {document['signature']}")


# -- cancel ------------------------------------------------------------------------------------------------


async def _find_own_order(
    rpc: AsyncClient,
    client: TradingClient,
    settings: Settings,
    wallet: Pubkey,
    order_id: int,
    zone_id: int | None,
    quote_mint: Pubkey | None,
) -> tuple[MarketState, RestingOrder]:
    """The wallet's resting order ``order_id`` (order ids count per market: without ZONE every market is
    searched, and the id must name one of the wallet's orders in exactly one)."""
    markets = await markets_of(rpc, client, zone_id, quote_mint, settings.commitment)
    mine: list[tuple[MarketState, RestingOrder]] = []
    others: list[tuple[MarketState, RestingOrder]] = []
    for market in markets:
        found = market.order(order_id)
        if found is not None:
            (mine if found.trader == wallet else others).append((market, found))
    if len(mine) == 1:
        return mine[0]
    where = "" if zone_id is None else f" in grid zone {zone_id}"
    if len(mine) > 1:
        places = ", ".join(f"zone {m.header.zone_id} quote mint {m.header.quote_mint}" for m, _ in mine)
        raise UnknownMarket(
            f"the wallet has an order {order_id} in several markets ({places}): pass ZONE and --quote-mint"
        )
    if len(others) == 1:
        market, resting = others[0]
        raise UserFacingError(
            f"order {order_id} in grid zone {market.header.zone_id} belongs to {resting.trader}, not wallet "
            f"{wallet}: only its owner cancels it"
        )
    if others:
        zones = ", ".join(str(m.header.zone_id) for m, _ in others)
        raise UserFacingError(
            f"wallet {wallet} has no resting order {order_id}; the orders with that id (zones {zones}) "
            "belong to other traders"
        )
    raise UserFacingError(f"no resting order {order_id}{where} (filled, cancelled or never placed)")


@order.command("cancel")
@click.argument("order_id", type=click.IntRange(0, 2**64 - 1))
@zone_argument(required=False)
@quote_mint_option
@cluster_options
@json_option
def cancel(
    order_id: int, zone_id: int | None, quote_mint: Pubkey | None, settings: Settings, as_json: bool
) -> None:
    """Cancel the wallet's resting order ORDER_ID (in the market of ZONE; without ZONE, in whichever
    market holds it); what it locked returns to the seat's free balance."""
    wallet = settings.keypair()
    client = TradingClient()

    async def work(rpc: AsyncClient) -> tuple[str, MarketState, OrderCancelled]:
        found, resting = await _find_own_order(
            rpc, client, settings, wallet.pubkey(), order_id, zone_id, quote_mint
        )
        seat = require_seat(found, wallet.pubkey())
        status(f"cancelling order {order_id} in grid zone {found.header.zone_id} ...")
        ix = client.cancel_order(
            trader=wallet.pubkey(),
            market=found.address,
            seat=seat.index,
            side=resting.side,
            price=resting.price,
            order_id=order_id,
        )
        landed = await send(rpc, settings, [ix], wallet, [client.coder])
        cancelled = await landed_event(rpc, client, landed.signature, OrderCancelled, settings.commitment)
        return str(landed.signature), found, cancelled

    signature, found, cancelled = call(settings, work)
    h = found.header
    document = {
        "signature": signature,
        "market": str(found.address),
        "zone_id": h.zone_id,
        "order_id": cancelled.order_id,
        "side": SIDE_NAMES[cancelled.side],
        "price": format_price(cancelled.price, h),
        "kwh": format_kwh(cancelled.lots, h),
        "grid_released": format_amount(cancelled.base_released, Asset.GRID, h),
        "quote_released": format_quote(cancelled.quote_released, h),
    }
    if as_json:
        emit_json(document)
        return
    released = (
        f"{document['grid_released']} GRID"
        if cancelled.side is Side.ASK
        else f"{document['quote_released']} quote"
    )
    click.echo(
        f"cancelled {SIDE_NAMES[cancelled.side].lower()} order {order_id} ({document['kwh']} kWh at "
        f"{document['price']}); {released} back to the seat's free balance"
    )
    click.echo(f"signature: {signature}")


# -- list --------------------------------------------------------------------------------------------------


@order.command("list")
@zone_argument(required=False)
@quote_mint_option
@cluster_options
@json_option
def list_orders(zone_id: int | None, quote_mint: Pubkey | None, settings: Settings, as_json: bool) -> None:
    """The wallet's resting orders and its balances in the market of ZONE (default: every market where
    it has a seat)."""
    owner = settings.keypair().pubkey()
    client = TradingClient()

    async def work(rpc: AsyncClient) -> tuple[list[MarketState], int]:
        markets = await markets_of(rpc, client, zone_id, quote_mint, settings.commitment)
        return markets, await cluster_time(rpc, settings.commitment)

    markets, now = call(settings, work)
    seated = [(m, seat) for m in markets if (seat := m.seat_of(owner)) is not None]
    orders = [order_json(m, o, now) for m, _ in seated for o in m.orders_of(owner)]
    balances = [seat_json(m, seat) for m, seat in seated]
    if as_json:
        emit_json({"wallet": str(owner), "orders": orders, "balances": balances})
        return
    if not seated:
        click.echo(f"wallet {owner} has no seat in {'any market' if zone_id is None else 'this market'}")
        return
    for balance in balances:
        click.echo(
            f"zone {balance['zone_id']} ({balance['quote_mint']}): seat {balance['seat']}, "
            f"GRID {balance['grid_free']} free + {balance['grid_locked']} locked, "
            f"quote {balance['quote_free']} free + {balance['quote_locked']} locked"
        )
    if not orders:
        click.echo("no open orders")
        return
    click.echo(f"{'ZONE':>10}  {'ORDER':>8}  {'SIDE':<4}  {'PRICE':>14}  {'kWh':>12}  {'OF kWh':>12}  STATE")
    for o in orders:
        click.echo(
            f"{o['zone_id']:>10}  {o['order_id']:>8}  {o['side']:<4}  {o['price']:>14}  {o['kwh']:>12}  "
            f"{o['initial_kwh']:>12}  {o['state']}"
        )
