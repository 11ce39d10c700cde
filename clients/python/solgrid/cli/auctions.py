"""What the commands share about periodic markets: reading a market's epoch accounts, an epoch's status
as users see it, and the JSON of epochs and auction orders.

An epoch's status: ``COLLECTING`` while its auction takes orders, ``CLOSED`` once its end passed and
until someone clears it, ``PRICE_FIXED`` while its orders are being settled, ``SETTLED``.
"""

from __future__ import annotations

from typing import Any

from solana.rpc.async_api import AsyncClient
from solana.rpc.commitment import Commitment

from solgrid.cli.trading_units import SIDE_NAMES, format_kwh, format_price
from solgrid.errors import UserFacingError
from solgrid.sdk.trading import (
    AuctionEpoch,
    AuctionOrder,
    EpochHeader,
    EpochState,
    MarketState,
    TradingClient,
)
from solgrid.sdk.trading.epochs import current_window

CLOSED = "CLOSED"


class WrongMode(UserFacingError):
    """The command does not apply to the market's mode."""


def epoch_status(header: EpochHeader, now: int) -> str:
    if header.state is EpochState.COLLECTING and header.closed(now):
        return CLOSED
    return header.state.name


def require_periodic(market: MarketState) -> None:
    if not market.header.periodic:
        raise WrongMode(
            f"the market of grid zone {market.header.zone_id} is continuous: its orders match on arrival, "
            "it has no auction epochs"
        )


async def epochs_of(
    rpc: AsyncClient, client: TradingClient, market: MarketState, commitment: Commitment
) -> list[AuctionEpoch]:
    """A periodic market's epoch accounts that hold an epoch, oldest epoch first (none for a continuous
    market)."""
    if not market.header.periodic:
        return []
    accounts = await client.fetch_epochs(rpc, market, commitment)
    held = [a for a in accounts if a.header.state is not EpochState.EMPTY]
    return sorted(held, key=lambda a: a.header.epoch)


def epoch_json(market: MarketState, account: AuctionEpoch, now: int) -> dict[str, Any]:
    h, m = account.header, market.header
    cleared = h.state in (EpochState.PRICE_FIXED, EpochState.SETTLED)
    return {
        "epoch": h.epoch,
        "slot": h.slot,
        "state": epoch_status(h, now),
        "starts_at": h.starts_at,
        "ends_at": h.ends_at,
        "orders": h.order_count,
        "live_orders": h.live_orders,
        "bid_kwh": format_kwh(h.total_bid_lots, m),
        "ask_kwh": format_kwh(h.total_ask_lots, m),
        "price": format_price(h.clearing_price, m) if cleared and h.clearing_price else None,
        "volume_kwh": format_kwh(h.volume_lots, m) if cleared else None,
        "settled_orders": h.cursor,
    }


def periodic_detail(market: MarketState, epochs: list[AuctionEpoch], now: int) -> dict[str, Any]:
    """The periodic part of ``market show``: the current epoch, the last clearing, the epochs held (all
    null or empty for a continuous market)."""
    h = market.header
    if not h.periodic:
        return {
            "current_epoch": None,
            "current_epoch_ends_at": None,
            "auction_orders": None,
            "last_clearing_price": None,
            "last_settled_epoch": None,
            "auctions_settled": None,
            "epochs": [],
        }
    current = current_window(now, h.epoch_secs)
    return {
        "current_epoch": current.epoch,
        "current_epoch_ends_at": current.ends_at,
        "auction_orders": h.auction_orders,
        "last_clearing_price": format_price(h.last_clearing_price, h) if h.last_clearing_price else None,
        "last_settled_epoch": h.last_settled_epoch if h.auctions_settled else None,
        "auctions_settled": h.auctions_settled,
        "epochs": [epoch_json(market, a, now) for a in epochs],
    }


def auction_order_state(account: AuctionEpoch, order: AuctionOrder, now: int) -> str:
    """``IN_AUCTION`` while its auction collects, ``AWAITING_CLEARING`` after the auction closed,
    ``SETTLING`` once the price is fixed and until its chunk settles it."""
    status = epoch_status(account.header, now)
    return {"COLLECTING": "IN_AUCTION", CLOSED: "AWAITING_CLEARING"}.get(status, "SETTLING")


def pending_orders(account: AuctionEpoch) -> list[AuctionOrder]:
    """The live orders of an epoch that settlement has not reached (none once it is settled)."""
    h = account.header
    if h.state is EpochState.SETTLED:
        return []
    return [o for o in account.live if o.index >= h.cursor]


def auction_order_json(
    market: MarketState, account: AuctionEpoch, order: AuctionOrder, now: int
) -> dict[str, Any]:
    """An auction order with the keys of ``order list``'s orders."""
    m = market.header
    return {
        "market": str(market.address),
        "zone_id": m.zone_id,
        "order_id": order.order_id,
        "client_order_id": order.client_order_id,
        "side": SIDE_NAMES[order.side],
        "price": format_price(order.price, m),
        "price_ticks": order.price,
        "kwh": format_kwh(order.lots, m),
        "lots": order.lots,
        "initial_kwh": format_kwh(order.initial_lots, m),
        "state": auction_order_state(account, order, now),
        "expires_at": order.expires_at or None,
        "epoch": account.header.epoch,
        "auction_index": order.index,
        "rollover": order.rollover,
    }
