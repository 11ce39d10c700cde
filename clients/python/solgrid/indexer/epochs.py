"""The ``epochs`` and ``epoch_levels`` of the call auctions: written for every epoch a batch touched,
then recomputed from everything stored, so they do not depend on the order transactions are indexed
in (an ``EpochSettled`` may be stored before the ``EpochCleared`` of its epoch, or before the market).

- an epoch's levels (its supply and demand curves) and order counts come from its ``order_states``:
  the orders placed into it and rolled into it, less the cancelled ones;
- its settlement totals from ``epoch_settlements``;
- its clearing columns from its ``EpochCleared`` and its ``Settled`` state from the chunk that said
  ``done`` (set once, each by its one event);
- its units (tick and lot size in force at the clearing), bounds and zone from the market.

Integers only.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import and_, delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from solgrid.indexer.auction import AuctionBatch
from solgrid.indexer.db import dialect_insert
from solgrid.indexer.models import (
    AuctionSettlement,
    Epoch,
    EpochLevel,
    Market,
    OrderStateChange,
    Trade,
    table_of,
)
from solgrid.sdk.trading.clearing import AuctionLevel, curve

JOINS = ("placed", "rolled")
"""The changes by which an order joins an epoch's auction."""


@dataclass(frozen=True)
class Setting:
    """A market's tick and lot size from ``timestamp`` on (its MarketCreated or a MarketUpdated)."""

    timestamp: int
    tick_size: int
    lot_size_wh: int


def setting_at(settings: Sequence[Setting], time: int | None) -> Setting | None:
    """The setting in force at ``time`` (the last made at or before it; None: the latest)."""
    found = None
    for setting in settings:
        if time is None or setting.timestamp <= time:
            found = setting
    return found


async def apply(
    session: AsyncSession, batch: AuctionBatch, settings: Mapping[str, Sequence[Setting]]
) -> None:
    """Writes the batch's epoch rows and recomputes every epoch it touched (after its ``order_states``,
    ``trades`` and ``epoch_settlements`` rows are inserted); ``settings`` are the tick and lot sizes of
    the markets it names."""
    epochs = table_of(Epoch)
    fresh = [
        _empty_epoch(market, epoch, batch.zones.get(market))
        for market, numbers in sorted(batch.epochs.items())
        for epoch in sorted(numbers)
    ]
    if fresh:
        await session.execute(dialect_insert(session, epochs).on_conflict_do_nothing(), fresh)
    for updates in (batch.clearings, batch.settled):
        for (market, epoch), values in sorted(updates.items()):
            statement = update(epochs).where(epochs.c.market == market, epochs.c.epoch == epoch)
            await session.execute(statement.values(**values))
    touched = {market: set(numbers) for market, numbers in batch.epochs.items()}
    for market in batch.markets:
        stored = await session.scalars(select(Epoch.epoch).where(Epoch.market == market))
        touched.setdefault(market, set()).update(int(e) for e in stored)
    for market, numbers in sorted(touched.items()):
        info = (
            await session.execute(select(Market.zone_id, Market.epoch_secs).where(Market.address == market))
        ).first()
        for epoch in sorted(numbers):
            await _recompute_epoch(session, market, epoch, info, settings.get(market, ()))


def _empty_epoch(market: str, epoch: int, zone: int | None) -> dict[str, Any]:
    return {
        "market": market,
        "epoch": epoch,
        "zone_id": zone,
        "state": "Collecting",
        **{
            column: 0
            for column in (
                "placed_orders",
                "rolled_in",
                "cancelled_orders",
                "settled_orders",
                "matched_orders",
                "rolled_out",
                "expired_orders",
                "settled_lots",
                "quote_amount",
                "fees",
            )
        },
    }


@dataclass
class AuctionEntry:
    """An order of an epoch's auction, as its order events show it."""

    side: str
    price: int
    lots: int
    cancelled: bool = False


@dataclass
class AuctionEntries:
    """The orders of one epoch's auction by index, and how they joined or left it."""

    orders: dict[int, AuctionEntry] = field(default_factory=dict)
    placed: int = 0
    rolled_in: int = 0
    cancelled: int = 0


async def auction_entries(session: AsyncSession, market: str, epoch: int) -> AuctionEntries:
    """The orders of ``market``'s ``epoch`` as indexed: placed or rolled in, marked when cancelled."""
    found = AuctionEntries()
    cancelled: set[int] = set()
    rows = await session.execute(
        select(
            OrderStateChange.change,
            OrderStateChange.side,
            OrderStateChange.price,
            OrderStateChange.remaining_lots,
            OrderStateChange.auction_index,
        ).where(
            OrderStateChange.market == market,
            OrderStateChange.epoch == epoch,
            OrderStateChange.change.in_((*JOINS, "cancelled")),
        )
    )
    for change in rows:
        index = int(change.auction_index)
        if change.change == "cancelled":
            cancelled.add(index)
            continue
        found.placed += change.change == "placed"
        found.rolled_in += change.change == "rolled"
        found.orders[index] = AuctionEntry(change.side, int(change.price), int(change.remaining_lots))
    for index in cancelled:
        if index in found.orders:
            found.orders[index].cancelled = True
    found.cancelled = len(cancelled)
    return found


def levels_of(entries: Mapping[int, AuctionEntry]) -> list[AuctionLevel]:
    """The live lots per price, ascending (as the epoch account aggregates them)."""
    bids: dict[int, int] = defaultdict(int)
    asks: dict[int, int] = defaultdict(int)
    for entry in entries.values():
        if not entry.cancelled and entry.lots > 0:
            (bids if entry.side == "Bid" else asks)[entry.price] += entry.lots
    return [AuctionLevel(p, bids.get(p, 0), asks.get(p, 0)) for p in sorted(bids.keys() | asks.keys())]


async def _recompute_epoch(
    session: AsyncSession, market: str, epoch: int, info: Any, settings: Sequence[Setting]
) -> None:
    entries = await auction_entries(session, market, epoch)
    levels = levels_of(entries.orders)
    level_rows = [
        {
            "market": market,
            "epoch": epoch,
            "price": level.price,
            "bid_lots": level.bid_lots,
            "ask_lots": level.ask_lots,
            "demand_lots": point.demand,
            "supply_lots": point.supply,
        }
        for level, point in zip(levels, curve(levels), strict=True)
    ]
    table = table_of(EpochLevel)
    await session.execute(delete(table).where(table.c.market == market, table.c.epoch == epoch))
    if level_rows:
        await session.execute(dialect_insert(session, table), level_rows)

    settled = (
        await session.execute(
            select(
                AuctionSettlement.side,
                AuctionSettlement.filled_lots,
                AuctionSettlement.quote_amount,
                AuctionSettlement.fee,
                AuctionSettlement.remaining_lots,
                AuctionSettlement.rolled_index,
            ).where(AuctionSettlement.market == market, AuctionSettlement.epoch == epoch)
        )
    ).all()
    row = (
        await session.execute(
            select(
                Epoch.cleared_signature,
                Epoch.settled_signature,
                Epoch.cleared_at,
                Epoch.price,
                Epoch.volume_lots,
                Epoch.starts_at,
                Epoch.ends_at,
                Epoch.zone_id,
            ).where(Epoch.market == market, Epoch.epoch == epoch)
        )
    ).one()
    cleared = row.cleared_signature is not None
    setting = setting_at(settings, row.cleared_at if cleared else None)
    values: dict[str, Any] = {
        "state": "Settled" if row.settled_signature else "PriceFixed" if cleared else "Collecting",
        "placed_orders": entries.placed,
        "rolled_in": entries.rolled_in,
        "cancelled_orders": entries.cancelled,
        "settled_orders": len(settled),
        "matched_orders": sum(1 for s in settled if s.filled_lots),
        "rolled_out": sum(1 for s in settled if s.rolled_index is not None),
        "expired_orders": sum(1 for s in settled if s.remaining_lots and s.rolled_index is None),
        "settled_lots": sum(int(s.filled_lots) for s in settled if s.side == "Bid"),
        "quote_amount": sum(int(s.quote_amount) for s in settled if s.side == "Bid"),
        "fees": sum(int(s.fee) for s in settled),
    }
    if info is not None:
        values["zone_id"] = int(info.zone_id)
        if row.starts_at is None and info.epoch_secs:
            values["starts_at"] = epoch * int(info.epoch_secs)
            values["ends_at"] = (epoch + 1) * int(info.epoch_secs)
    if setting is not None:
        values["tick_size"] = setting.tick_size
        values["lot_size_wh"] = setting.lot_size_wh
        if cleared:
            values["price_per_kwh"] = int(row.price) * setting.tick_size
            values["volume_wh"] = int(row.volume_lots) * setting.lot_size_wh
    epochs = table_of(Epoch)
    await session.execute(
        update(epochs).where(epochs.c.market == market, epochs.c.epoch == epoch).values(**values)
    )
    if cleared:
        trades = table_of(Trade)
        await session.execute(
            update(trades)
            .where(and_(trades.c.market == market, trades.c.epoch == epoch, trades.c.price_ticks.is_(None)))
            .values(price_ticks=row.price)
        )
