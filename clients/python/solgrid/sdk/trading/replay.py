"""Recomputing an epoch's clearing from the market's events alone, to compare with its ``EpochCleared``.

Epoch ``E``'s auction is, in index order (time priority): the orders ``AuctionOrderPlaced`` put there
(``epoch == E``) and the remainders ``E - 1``'s settlement rolled into it (its ``EpochSettled`` records
with a ``rolled_index``), less what ``AuctionOrderCancelled`` took out. The reference price is the price
of the latest earlier ``EpochCleared`` that executed a volume. :func:`recompute` applies
:func:`solgrid.sdk.trading.clearing.clear` to them; :func:`fetch_market_events` reads a market's
events from any RPC node that keeps its history.
"""

from __future__ import annotations

from collections.abc import Iterable

from solana.rpc.async_api import AsyncClient
from solana.rpc.commitment import Commitment, Confirmed
from solders.pubkey import Pubkey
from solders.signature import Signature

from solgrid.sdk.trading.clearing import BookOrder, Clearing, aggregate, clear
from solgrid.sdk.trading.client import TradingClient
from solgrid.sdk.trading.events import (
    AuctionOrderCancelled,
    AuctionOrderPlaced,
    EpochCleared,
    EpochSettled,
    TradingEvent,
)
from solgrid.sdk.trading.trades import SIGNATURE_PAGE, fetch_transaction, trading_events


class IncompleteEvents(ValueError):
    """The events do not cover every order of the epoch (an index is missing)."""


def auction_orders(events: Iterable[TradingEvent], market: Pubkey, epoch: int) -> list[BookOrder]:
    """``epoch``'s auction orders in index order as the events describe them (a cancelled order with
    no lots, as its tombstone on chain)."""
    joined: dict[int, BookOrder] = {}
    cancelled: set[int] = set()
    for event in events:
        if getattr(event, "market", None) != market:
            continue
        if isinstance(event, AuctionOrderPlaced) and event.epoch == epoch:
            joined[event.index] = BookOrder(event.side, event.price, event.lots)
        elif isinstance(event, AuctionOrderCancelled) and event.epoch == epoch:
            cancelled.add(event.index)
        elif isinstance(event, EpochSettled) and event.epoch + 1 == epoch:
            for s in event.settlements:
                if s.rolled:
                    joined[s.rolled_index] = BookOrder(s.side, s.price, s.remaining_lots)
    missing = sorted(set(range(len(joined))) ^ set(joined))
    if missing:
        raise IncompleteEvents(f"the events miss orders of epoch {epoch} (indices {missing[:5]} ...)")
    return [BookOrder(o.side, o.price, 0) if i in cancelled else o for i, o in sorted(joined.items())]


def reference_price(events: Iterable[TradingEvent], market: Pubkey, epoch: int) -> int:
    """The tie-break reference of ``epoch``'s clearing: the price of the latest earlier clearing of the
    market that executed a volume (0: none)."""
    earlier = [
        e
        for e in events
        if isinstance(e, EpochCleared) and e.market == market and e.epoch < epoch and e.volume_lots > 0
    ]
    return max(earlier, key=lambda e: e.epoch).price if earlier else 0


def recompute(events: Iterable[TradingEvent], market: Pubkey, epoch: int) -> Clearing:
    """``epoch``'s clearing from ``events`` (every event of the market up to the clearing)."""
    listed = list(events)
    orders = auction_orders(listed, market, epoch)
    return clear(aggregate(orders), reference_price(listed, market, epoch))


def matches(cleared: EpochCleared, recomputed: Clearing) -> bool:
    """The recomputed clearing is the program's (price, volume, demand, supply, marginal prices and
    lots)."""
    return (
        cleared.price,
        cleared.volume_lots,
        cleared.demand_lots,
        cleared.supply_lots,
        cleared.bid_marginal_price,
        cleared.bid_marginal_lots,
        cleared.ask_marginal_price,
        cleared.ask_marginal_lots,
    ) == (
        recomputed.price,
        recomputed.volume,
        recomputed.demand,
        recomputed.supply,
        recomputed.bid_marginal_price,
        recomputed.bid_marginal,
        recomputed.ask_marginal_price,
        recomputed.ask_marginal,
    )


async def fetch_market_events(
    connection: AsyncClient,
    client: TradingClient,
    market: Pubkey,
    *,
    limit: int = 10_000,
    commitment: Commitment = Confirmed,
) -> list[TradingEvent]:
    """The trading events of the (at most ``limit``) latest successful transactions that name ``market``,
    oldest first."""
    found: list[list[TradingEvent]] = []
    before: Signature | None = None
    while len(found) < limit:
        page = (
            await connection.get_signatures_for_address(
                market, before=before, limit=min(SIGNATURE_PAGE, limit - len(found)), commitment=commitment
            )
        ).value
        for status in page:
            if status.err is None:
                transaction = await fetch_transaction(connection, status.signature, commitment)
                if transaction is not None:
                    found.append(trading_events(client, transaction))
        if len(page) < SIGNATURE_PAGE:
            break
        before = page[-1].signature
    return [event for events in reversed(found) for event in events]
