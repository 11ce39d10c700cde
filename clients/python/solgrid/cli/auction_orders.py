"""``solgrid order`` in a periodic market: an order joins the call auction of the current epoch (it never
matches on arrival), is cancelled by its epoch and index until the auction closes, and is listed with its
epoch and index.

Placing sends one transaction, as in a continuous market: claim the seat if needed, deposit what the
seat lacks for the order's lock (an ask's GRID; a bid's quote at its limit plus the maker fee), then
``place_auction_order``. The outcome comes from the transaction's ``AuctionOrderPlaced`` event.
"""

from __future__ import annotations

from typing import Any

import click
from solana.rpc.async_api import AsyncClient
from solders.keypair import Keypair

from solgrid.cli.auctions import epoch_status, epochs_of
from solgrid.cli.chain import send
from solgrid.cli.common import Settings, status
from solgrid.cli.markets import announce_funding, check_funds, landed_event, require_seat, require_verified
from solgrid.cli.trading_units import (
    SIDE_NAMES,
    format_amount,
    format_kwh,
    format_price,
    format_quote,
    format_time,
)
from solgrid.errors import UserFacingError
from solgrid.sdk.clock import cluster_time
from solgrid.sdk.registry import RegistryClient
from solgrid.sdk.trading import (
    AuctionEpoch,
    AuctionOrder,
    AuctionOrderCancelled,
    AuctionOrderPlaced,
    EpochState,
    MarketState,
    MarketStatus,
    Side,
    TradingClient,
)
from solgrid.sdk.trading.epochs import current_window
from solgrid.sdk.trading.funding import AuctionOrderSpec, Plan, plan_auction_order

CONTINUOUS_AUCTION_KEYS: dict[str, Any] = {
    "mode": "continuous",
    "epoch": None,
    "auction_index": None,
    "rollover": None,
    "auction_ends_at": None,
    "locked": None,
}
"""The auction keys of ``order buy``/``sell``'s document for an order of a continuous market."""


async def place_in_auction(
    rpc: AsyncClient,
    settings: Settings,
    client: TradingClient,
    registry: RegistryClient,
    wallet: Keypair,
    market: MarketState,
    spec: AuctionOrderSpec,
    no_deposit: bool,
) -> tuple[str, MarketState, Plan, AuctionOrderPlaced]:
    """Funds and places ``spec`` in the auction of the current epoch of periodic ``market``."""
    h = market.header
    now = await cluster_time(rpc, settings.commitment)
    closes = current_window(now, h.epoch_secs).ends_at
    if spec.expires_at and spec.expires_at < closes:
        raise click.BadParameter(
            f"the order would expire at {format_time(spec.expires_at)}, before its auction closes at "
            f"{format_time(closes)}",
            param_hint="--expires-in/--expires-at",
        )
    if h.status is not MarketStatus.ACTIVE:
        raise UserFacingError(f"the market of grid zone {h.zone_id} is paused: it takes no orders")
    current = current_window(now, h.epoch_secs).epoch
    for account in await epochs_of(rpc, client, market, settings.commitment):
        a = account.header
        # The current epoch needs its own slot, and the other one may hold at most the epoch before.
        behind = a.epoch < current if a.slot == current % 2 else a.epoch < current - 1
        if behind and a.state is not EpochState.SETTLED:
            raise UserFacingError(
                f"epoch {a.epoch} of the market of grid zone {h.zone_id} is not settled yet, so the current "
                f"epoch {current} cannot start: anyone may crank it (`solgrid auction crank --zone "
                f"{h.zone_id}`)"
            )
    await require_verified(rpc, registry, wallet.pubkey())
    plan, shortfall = plan_auction_order(
        client, market, wallet.pubkey(), spec, deposit_shortfall=not no_deposit
    )
    await check_funds(rpc, settings.commitment, market, wallet.pubkey(), plan, shortfall, no_deposit)
    announce_funding(market, plan)
    status(
        f"placing a {SIDE_NAMES[spec.side].lower()} order of {format_kwh(spec.lots, h)} kWh at "
        f"{format_price(spec.price, h)} per kWh in the auction closing {format_time(closes)} ..."
    )
    landed = await send(rpc, settings, plan.instructions, wallet, [client.coder])
    placed = await landed_event(rpc, client, landed.signature, AuctionOrderPlaced, settings.commitment)
    return str(landed.signature), market, plan, placed


def auction_placed_json(
    signature: str, market: MarketState, plan: Plan, placed: AuctionOrderPlaced
) -> dict[str, Any]:
    """``order buy``/``sell``'s document for an auction order: the keys of a continuous order's (it has
    traded nothing yet: kind ``AUCTION``, all of it waits in the auction) and the auction's."""
    h = market.header
    return {
        "signature": signature,
        "market": str(market.address),
        "zone_id": h.zone_id,
        "order_id": placed.order_id,
        "client_order_id": placed.client_order_id,
        "side": SIDE_NAMES[placed.side],
        "kind": "AUCTION",
        "price": format_price(placed.price, h),
        "price_ticks": placed.price,
        "kwh": format_kwh(placed.lots, h),
        "lots": placed.lots,
        "state": "IN_AUCTION",
        "filled_kwh": format_kwh(0, h),
        "rested_kwh": format_kwh(placed.lots, h),
        "cancelled_kwh": format_kwh(0, h),
        "quote_traded": format_quote(0, h),
        "taker_fee": format_quote(0, h),
        "expires_at": placed.expires_at or None,
        "claimed_seat": plan.claims_seat,
        "seat": plan.seat,
        "deposited": format_amount(plan.deposit, plan.asset, h) if plan.deposit else None,
        "deposited_asset": plan.asset.value if plan.deposit else None,
        "mode": "periodic",
        "epoch": placed.epoch,
        "auction_index": placed.index,
        "rollover": placed.rollover,
        "auction_ends_at": (placed.epoch + 1) * h.epoch_secs,
        "locked": format_amount(placed.locked, plan.asset, h),
        "fills": [],
        "removed": [],
    }


def echo_funding(document: dict[str, Any]) -> None:
    """The seat claimed and the deposit made for an order (continuous or auction), if any."""
    if document["claimed_seat"]:
        click.echo(f"claimed seat {document['seat']} in the market")
    if document["deposited"] is not None:
        click.echo(
            f"deposited {document['deposited']} {document['deposited_asset']} the seat lacked for the order"
        )


def print_auction_placed(document: dict[str, Any], market: MarketState, placed: AuctionOrderPlaced) -> None:
    h = market.header
    side = document["side"].lower()
    click.echo(
        f"{side} order {placed.order_id} joined the auction of epoch {placed.epoch} in grid zone {h.zone_id} "
        f"(index {placed.index}): {document['kwh']} kWh at {document['price']} per kWh"
    )
    echo_funding(document)
    click.echo(f"locked {document['locked']} {'GRID' if placed.side is Side.ASK else 'quote'} in the seat")
    remainder = (
        "what it does not match rolls into the next epoch"
        if placed.rollover
        else "what it does not match is refunded (this auction only)"
    )
    click.echo(
        f"the auction closes {format_time(document['auction_ends_at'])} and clears at one price; {remainder}"
    )
    if placed.expires_at:
        click.echo(f"expires {format_time(placed.expires_at)}")
    click.echo(f"signature: {document['signature']}")


# -- cancel ------------------------------------------------------------------------------------------------


def auction_order(epochs: list[AuctionEpoch], order_id: int) -> tuple[AuctionEpoch, AuctionOrder] | None:
    """The live order ``order_id`` of a market's auctions that settlement has not reached, if any (an
    order that rolled lives on in the next epoch under the same id)."""
    for account in reversed(epochs):  # newest first: a rolled order's live copy is in the later epoch
        found = account.order_by_id(order_id)
        if found is not None and found.index >= account.header.cursor:
            return account, found
    return None


def cancellable(market: MarketState, account: AuctionEpoch, order: AuctionOrder, now: int) -> None:
    """Refuses, in one line, what ``cancel_auction_order`` would refuse: an order whose auction passed
    its gate closure, unless the market is paused."""
    h = account.header
    if epoch_status(h, now) != "COLLECTING" and market.header.status is MarketStatus.ACTIVE:
        raise UserFacingError(
            f"order {order.order_id} is committed to the auction of epoch {h.epoch}, which closed at "
            f"{format_time(h.ends_at)}: it settles when the epoch is cranked (`solgrid auction crank`)"
        )


async def cancel_in_auction(
    rpc: AsyncClient,
    settings: Settings,
    client: TradingClient,
    wallet: Keypair,
    market: MarketState,
    account: AuctionEpoch,
    order: AuctionOrder,
) -> tuple[str, AuctionOrderCancelled]:
    now = await cluster_time(rpc, settings.commitment)
    cancellable(market, account, order, now)
    seat = require_seat(market, wallet.pubkey())
    status(f"cancelling order {order.order_id} in the auction of epoch {account.header.epoch} ...")
    ix = client.cancel_auction_order(
        trader=wallet.pubkey(),
        market=market.address,
        zone_id=market.header.zone_id,
        seat=seat.index,
        epoch=account.header.epoch,
        index=order.index,
        order_id=order.order_id,
    )
    landed = await send(rpc, settings, [ix], wallet, [client.coder])
    cancelled = await landed_event(rpc, client, landed.signature, AuctionOrderCancelled, settings.commitment)
    return str(landed.signature), cancelled


async def auction_orders_of(
    rpc: AsyncClient, client: TradingClient, market: MarketState, settings: Settings
) -> list[tuple[AuctionEpoch, AuctionOrder]]:
    """Every live order of ``market``'s auctions not yet settled, oldest epoch first."""
    epochs = await epochs_of(rpc, client, market, settings.commitment)
    return [(a, o) for a in epochs for o in a.live if o.index >= a.header.cursor]
