"""A market's L2 book (price levels, best first on each side) and its last trades, in few indexed queries.

A continuous market's book is its resting orders (``orders`` with lots remaining, Active or
PartiallyFilled, not expired at the chain's clock, i.e. the newest indexed block time: an expired order
stays in the table until a prune removes it, but nobody can trade against it). A periodic market's book
is what waits in its latest Collecting epoch's auction (``epoch_levels``, which count lots per limit,
not orders: ``orders`` is null).
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from typing import Any

from sqlalchemy import select, text
from sqlalchemy.ext.asyncio import AsyncSession

from solgrid.api.rows import mapping_dict
from solgrid.indexer.models import Epoch, EpochLevel, OrderStateChange, Trade, Transaction, table_of

RESTING_LEVELS = """
SELECT side, price, sum(remaining_lots), count(*) FROM orders {hint}
WHERE market = :market AND state IN ('Active', 'PartiallyFilled') AND remaining_lots > 0
  AND (expires_at = 0 OR expires_at > :now)
GROUP BY side, price
"""
"""A continuous market's resting orders per side and price."""
SQLITE_RESTING_HINT = "INDEXED BY ix_orders_market_remaining_lots"
"""SQLite, without statistics, may read every order the market ever had through the primary key
(market, order_id); the resting ones are found through ``orders (market, remaining_lots)`` (migration
0010) instead: the market's few hundred resting orders, 0.2 ms for a market of 55,000 orders in
``bench/api_world.py``'s database, where the primary key takes 48 ms and ``ix_orders_state`` (every
resting order of every market) 1.4 ms."""
TRADES = table_of(Trade)


def level(
    price_ticks: int, lots: int, orders: int | None, tick_size: int, lot_size_wh: int
) -> dict[str, Any]:
    return {
        "price_ticks": price_ticks,
        "price": price_ticks * tick_size,
        "lots": lots,
        "energy_wh": lots * lot_size_wh,
        "orders": orders,
    }


async def latest_change_slot(session: AsyncSession, market: str) -> int | None:
    """The slot of the market's latest order change (by the on-chain clock, then position)."""
    query = (
        select(OrderStateChange.slot)
        .where(OrderStateChange.market == market)
        .order_by(OrderStateChange.timestamp.desc(), OrderStateChange.id.desc())
        .limit(1)
    )
    slot = await session.scalar(query)
    return None if slot is None else int(slot)


async def continuous_levels(
    session: AsyncSession, market: Mapping[str, Any], depth: int, now: int
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    hint = SQLITE_RESTING_HINT if session.get_bind().dialect.name == "sqlite" else ""
    query = text(RESTING_LEVELS.format(hint=hint)).bindparams(market=market["address"], now=now)
    sides: dict[str, list[tuple[int, int, int]]] = {"Bid": [], "Ask": []}
    for row in await session.execute(query):
        sides[str(row[0])].append((int(row[1]), int(row[2]), int(row[3])))
    tick, lot = int(market["tick_size"]), int(market["lot_size_wh"])
    bids = sorted(sides["Bid"], reverse=True)[:depth]
    asks = sorted(sides["Ask"])[:depth]
    return (
        [level(p, n, o, tick, lot) for p, n, o in bids],
        [level(p, n, o, tick, lot) for p, n, o in asks],
    )


async def auction_levels(
    session: AsyncSession, market: Mapping[str, Any], depth: int
) -> tuple[int | None, list[dict[str, Any]], list[dict[str, Any]]]:
    """The latest Collecting epoch of a periodic market and its bid and ask levels (None: no epoch)."""
    epoch = (
        await session.execute(
            select(Epoch.epoch, Epoch.tick_size, Epoch.lot_size_wh)
            .where(Epoch.market == market["address"], Epoch.state == "Collecting")
            .order_by(Epoch.epoch.desc())
            .limit(1)
        )
    ).first()
    if epoch is None:
        return None, [], []
    tick = int(market["tick_size"] if epoch.tick_size is None else epoch.tick_size)
    lot = int(market["lot_size_wh"] if epoch.lot_size_wh is None else epoch.lot_size_wh)
    rows = (
        await session.execute(
            select(EpochLevel.price, EpochLevel.bid_lots, EpochLevel.ask_lots).where(
                EpochLevel.market == market["address"], EpochLevel.epoch == epoch.epoch
            )
        )
    ).all()
    bids = sorted(((int(r.price), int(r.bid_lots)) for r in rows if r.bid_lots), reverse=True)[:depth]
    asks = sorted((int(r.price), int(r.ask_lots)) for r in rows if r.ask_lots)[:depth]
    return (
        int(epoch.epoch),
        [level(p, n, None, tick, lot) for p, n in bids],
        [level(p, n, None, tick, lot) for p, n in asks],
    )


async def chain_time(session: AsyncSession) -> int:
    """The chain's clock as far as the indexer has seen it: the newest indexed transaction's block time
    (the server's clock when none has one). Orders expire by the chain's clock, which on a local node
    with a moved clock, or a cluster whose clock drifts, is not the server's."""
    newest = await session.scalar(
        select(Transaction.block_time)
        .where(Transaction.block_time.is_not(None))
        .order_by(Transaction.slot.desc())
        .limit(1)
    )
    return int(time.time()) if newest is None else int(newest)


async def l2_book(
    session: AsyncSession, market: Mapping[str, Any], depth: int, now: int | None = None
) -> dict[str, Any]:
    """``{"market", "mode", "epoch", "bids", "asks", "slot"}`` of ``market`` (a ``markets`` row)."""
    epoch = None
    if market["mode"] == "periodic":
        epoch, bids, asks = await auction_levels(session, market, depth)
    else:
        at = await chain_time(session) if now is None else now
        bids, asks = await continuous_levels(session, market, depth, at)
    return {
        "market": market["address"],
        "mode": market["mode"],
        "epoch": epoch,
        "bids": bids,
        "asks": asks,
        "slot": await latest_change_slot(session, market["address"]),
    }


async def last_trades(session: AsyncSession, market: str, limit: int) -> list[dict[str, Any]]:
    """The market's ``limit`` latest trades, newest first (by the on-chain clock, then id)."""
    query = (
        select(TRADES)
        .where(TRADES.c.market == market)
        .order_by(TRADES.c.timestamp.desc(), TRADES.c.id.desc())
        .limit(limit)
    )
    return [mapping_dict(r) for r in await session.execute(query)]
