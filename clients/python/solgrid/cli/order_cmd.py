"""``solgrid order``: place, cancel and list the wallet's orders.

``buy`` and ``sell`` send one transaction: claim the wallet's seat in the market if it has none, deposit
what the seat's free balance lacks for the order from the wallet's token account (GRID to sell, the
quote mint to buy; ``--no-deposit`` refuses instead), and place the order. The outcome is read from the
transaction's ``OrderPlaced`` event: fills at the makers' prices, what rests, what was cancelled. In a
periodic market the order joins the current epoch's call auction instead
(:mod:`solgrid.cli.auction_orders`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

import click
from solana.rpc.async_api import AsyncClient
from solders.pubkey import Pubkey

from solgrid.cli.auction_orders import (
    CONTINUOUS_AUCTION_KEYS,
    auction_order,
    auction_orders_of,
    auction_placed_json,
    cancel_in_auction,
    echo_funding,
    place_in_auction,
    print_auction_placed,
)
from solgrid.cli.auctions import auction_order_json, epochs_of
from solgrid.cli.chain import send
from solgrid.cli.common import Settings, call, cluster_options, emit_json, json_option, status
from solgrid.cli.markets import (
    UnknownMarket,
    announce_funding,
    check_funds,
    landed_event,
    market_of,
    markets_of,
    order_json,
    quote_mint_option,
    require_seat,
    require_trading_open,
    require_verified,
    seat_json,
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
from solgrid.sdk.trading import (
    AuctionEpoch,
    AuctionOrder,
    AuctionOrderCancelled,
    AuctionOrderPlaced,
    MarketState,
    OrderPlaced,
    RestingOrder,
    TradingClient,
)
from solgrid.sdk.trading.events import OrderCancelled
from solgrid.sdk.trading.funding import Asset, AuctionOrderSpec, OrderSpec, Plan, plan_order
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
            "--no-rollover",
            is_flag=True,
            help="Periodic market: this auction only; what it does not match is refunded instead of "
            "rolling into the next epoch.",
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
    no_rollover: bool,
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
    given = _given_options(click.get_current_context())
    wallet = settings.keypair()
    client, registry = TradingClient(), RegistryClient()

    async def work(rpc: AsyncClient) -> tuple[str, MarketState, Plan, OrderPlaced | AuctionOrderPlaced]:
        found = await market_of(rpc, client, zone_id, quote_mint, settings.commitment)
        h = found.header
        lots, ticks = parse_kwh(kwh, h), parse_price(price, h)
        if h.periodic:
            refused = given & CONTINUOUS_ONLY
            if refused:
                raise click.UsageError(
                    f"{', '.join(sorted(refused))}: the market of grid zone {h.zone_id} is periodic; its "
                    "orders wait for their epoch's call auction and never match on arrival"
                )
            auction_spec = AuctionOrderSpec(
                side=side,
                price=ticks,
                lots=lots,
                client_order_id=client_order_id or 0,
                expires_at=await _expiry(rpc, settings, expires_in, expiry),
                rollover=not no_rollover,
            )
            return await place_in_auction(
                rpc, settings, client, registry, wallet, found, auction_spec, no_deposit
            )
        if no_rollover:
            raise click.UsageError(
                f"--no-rollover: the market of grid zone {h.zone_id} is continuous (no auction to roll from)"
            )
        spec = OrderSpec(
            side=side,
            price=ticks,
            lots=lots,
            kind=kind,
            client_order_id=client_order_id or 0,
            expires_at=await _expiry(rpc, settings, expires_in, expiry),
            self_trade=SELF_TRADE[self_trade],
            max_matches=max_matches,
        )
        await require_verified(rpc, registry, wallet.pubkey())
        await require_trading_open(rpc, registry, h.zone_id)
        plan, shortfall = plan_order(client, found, wallet.pubkey(), spec, deposit_shortfall=not no_deposit)
        await check_funds(rpc, settings.commitment, found, wallet.pubkey(), plan, shortfall, no_deposit)
        announce_funding(found, plan)
        status(
            f"placing a {SIDE_NAMES[side].lower()} order of {format_kwh(spec.lots, h)} kWh at "
            f"{format_price(spec.price, h)} per kWh ..."
        )
        landed = await send(rpc, settings, plan.instructions, wallet, [client.coder])
        placed = await landed_event(rpc, client, landed.signature, OrderPlaced, settings.commitment)
        return str(landed.signature), found, plan, placed

    signature, found, plan, placed = call(settings, work)
    if isinstance(placed, AuctionOrderPlaced):
        document = auction_placed_json(signature, found, plan, placed)
        if as_json:
            emit_json(document)
        else:
            print_auction_placed(document, found, placed)
        return
    document = placed_json(signature, found, plan, placed)
    if as_json:
        emit_json(document)
        return
    _print_placed(document, found, placed)


CONTINUOUS_ONLY = frozenset({"--ioc", "--post-only", "--self-trade", "--max-matches"})
"""Options of continuous markets only."""


def _given_options(ctx: click.Context) -> set[str]:
    """The options the user typed (not their defaults), by flag."""
    found = set()
    for param in ctx.command.params:
        source = ctx.get_parameter_source(param.name) if param.name else None
        if isinstance(param, click.Option) and source is click.core.ParameterSource.COMMANDLINE:
            found.add(param.opts[0])
    return found


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
        **CONTINUOUS_AUCTION_KEYS,
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
    echo_funding(document)
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


@dataclass(frozen=True)
class FoundOrder:
    """An open order with a given id: resting in a continuous market's book, or waiting in one of a
    periodic market's auctions."""

    market: MarketState
    trader: Pubkey
    resting: RestingOrder | None = None
    auction: tuple[AuctionEpoch, AuctionOrder] | None = None


async def _orders_with_id(
    rpc: AsyncClient, client: TradingClient, settings: Settings, markets: list[MarketState], order_id: int
) -> list[FoundOrder]:
    found: list[FoundOrder] = []
    for market in markets:
        if market.header.periodic:
            epochs = await epochs_of(rpc, client, market, settings.commitment)
            held = auction_order(epochs, order_id)
            if held is not None:
                found.append(FoundOrder(market, held[1].trader, auction=held))
        else:
            resting = market.order(order_id)
            if resting is not None:
                found.append(FoundOrder(market, resting.trader, resting=resting))
    return found


async def _find_own_order(
    rpc: AsyncClient,
    client: TradingClient,
    settings: Settings,
    wallet: Pubkey,
    order_id: int,
    zone_id: int | None,
    quote_mint: Pubkey | None,
) -> FoundOrder:
    """The wallet's open order ``order_id`` (order ids count per market: without ZONE every market is
    searched, and the id must name one of the wallet's orders in exactly one)."""
    markets = await markets_of(rpc, client, zone_id, quote_mint, settings.commitment)
    candidates = await _orders_with_id(rpc, client, settings, markets, order_id)
    mine = [c for c in candidates if c.trader == wallet]
    others = [c for c in candidates if c.trader != wallet]
    if len(mine) == 1:
        return mine[0]
    where = "" if zone_id is None else f" in grid zone {zone_id}"
    if len(mine) > 1:
        places = ", ".join(
            f"zone {c.market.header.zone_id} quote mint {c.market.header.quote_mint}" for c in mine
        )
        raise UnknownMarket(
            f"the wallet has an order {order_id} in several markets ({places}): pass ZONE and --quote-mint"
        )
    if len(others) == 1:
        other = others[0]
        raise UserFacingError(
            f"order {order_id} in grid zone {other.market.header.zone_id} belongs to {other.trader}, not "
            f"wallet {wallet}: only its owner cancels it"
        )
    if others:
        zones = ", ".join(str(c.market.header.zone_id) for c in others)
        raise UserFacingError(
            f"wallet {wallet} has no open order {order_id}; the orders with that id (zones {zones}) "
            "belong to other traders"
        )
    raise UserFacingError(f"no open order {order_id}{where} (filled, cancelled, settled or never placed)")


@order.command("cancel")
@click.argument("order_id", type=click.IntRange(0, 2**64 - 1))
@zone_argument(required=False)
@quote_mint_option
@cluster_options
@json_option
def cancel(
    order_id: int, zone_id: int | None, quote_mint: Pubkey | None, settings: Settings, as_json: bool
) -> None:
    """Cancel the wallet's order ORDER_ID (in the market of ZONE; without ZONE, in whichever market holds
    it): a resting order, or an order in a periodic market's auction until the auction closes; what it
    locked returns to the seat's free balance."""
    wallet = settings.keypair()
    client = TradingClient()

    async def work(rpc: AsyncClient) -> tuple[str, FoundOrder, OrderCancelled | AuctionOrderCancelled]:
        found = await _find_own_order(rpc, client, settings, wallet.pubkey(), order_id, zone_id, quote_mint)
        if found.auction is not None:
            account, held = found.auction
            signature, event = await cancel_in_auction(
                rpc, settings, client, wallet, found.market, account, held
            )
            return signature, found, event
        assert found.resting is not None
        seat = require_seat(found.market, wallet.pubkey())
        status(f"cancelling order {order_id} in grid zone {found.market.header.zone_id} ...")
        ix = client.cancel_order(
            trader=wallet.pubkey(),
            market=found.market.address,
            seat=seat.index,
            side=found.resting.side,
            price=found.resting.price,
            order_id=order_id,
        )
        landed = await send(rpc, settings, [ix], wallet, [client.coder])
        cancelled = await landed_event(rpc, client, landed.signature, OrderCancelled, settings.commitment)
        return str(landed.signature), found, cancelled

    signature, found, cancelled = call(settings, work)
    h = found.market.header
    auction = isinstance(cancelled, AuctionOrderCancelled)
    document = {
        "signature": signature,
        "market": str(found.market.address),
        "zone_id": h.zone_id,
        "order_id": cancelled.order_id,
        "side": SIDE_NAMES[cancelled.side],
        "price": format_price(cancelled.price, h),
        "kwh": format_kwh(cancelled.lots, h),
        "grid_released": format_amount(cancelled.base_released, Asset.GRID, h),
        "quote_released": format_quote(cancelled.quote_released, h),
        "epoch": cancelled.epoch if isinstance(cancelled, AuctionOrderCancelled) else None,
        "auction_index": cancelled.index if isinstance(cancelled, AuctionOrderCancelled) else None,
    }
    if as_json:
        emit_json(document)
        return
    released = (
        f"{document['grid_released']} GRID"
        if cancelled.side is Side.ASK
        else f"{document['quote_released']} quote"
    )
    where = f" from the auction of epoch {document['epoch']}" if auction else ""
    click.echo(
        f"cancelled {SIDE_NAMES[cancelled.side].lower()} order {order_id}{where} ({document['kwh']} kWh at "
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
    """The wallet's open orders (resting, or waiting in a periodic market's auction) and its balances in
    the market of ZONE (default: every market where it has a seat)."""
    owner = settings.keypair().pubkey()
    client = TradingClient()

    async def work(rpc: AsyncClient) -> tuple[list[MarketState], int, list[dict[str, Any]]]:
        markets = await markets_of(rpc, client, zone_id, quote_mint, settings.commitment)
        now = await cluster_time(rpc, settings.commitment)
        orders = []
        for market in markets:
            if market.seat_of(owner) is None:
                continue
            if market.header.periodic:
                held = await auction_orders_of(rpc, client, market, settings)
                orders += [auction_order_json(market, a, o, now) for a, o in held if o.trader == owner]
            else:
                orders += [order_json(market, o, now) for o in market.orders_of(owner)]
        return markets, now, orders

    markets, _, orders = call(settings, work)
    seated = [(m, seat) for m in markets if (seat := m.seat_of(owner)) is not None]
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
    click.echo(
        f"{'ZONE':>10}  {'ORDER':>8}  {'SIDE':<4}  {'PRICE':>14}  {'kWh':>12}  {'OF kWh':>12}  "
        f"{'AUCTION':<18}  STATE"
    )
    for o in orders:
        auction = "-" if o["epoch"] is None else f"{o['epoch']}#{o['auction_index']}"
        if o["rollover"]:
            auction += " rolls"
        click.echo(
            f"{o['zone_id']:>10}  {o['order_id']:>8}  {o['side']:<4}  {o['price']:>14}  {o['kwh']:>12}  "
            f"{o['initial_kwh']:>12}  {auction:<18}  {o['state']}"
        )
