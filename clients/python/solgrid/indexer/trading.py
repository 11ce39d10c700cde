"""The trading program's events as tables: ``markets``, ``orders`` with their state history
(``order_states``), ``trades`` and ``price_history``; a periodic market's call auctions also go into
``epochs``, ``epoch_levels`` and ``epoch_settlements`` (:mod:`.auction`, :mod:`.epochs`).

Every row comes from the events of the batch :mod:`solgrid.indexer.store` writes, in the same database
transaction as the checkpoint. ``order_states`` and ``trades`` are insert-only and keyed by the event
position that caused them (signature, instruction, event, ``step``), so a transaction indexed twice
adds nothing. Everything else is recomputed from them for what a batch touched:

- an order's ``filled_lots`` / ``cancelled_lots`` are the sums over its changes and ``remaining_lots``
  what is left of ``lots``; its state is that of the change that closed it (the one that left nothing
  resting), else ``PartiallyFilled`` or ``Active``. Sums do not depend on the order the changes were
  indexed in, which matters because a transaction that also runs a registry or energy_token
  instruction can be stored by that program's catch-up before an earlier trading transaction (see
  docs/indexer.md, "Order between the programs"): a fill may be indexed before its order's placement;
- a market's mutable parameters (tick and lot size included) are those of its latest ``MarketUpdated``
  in ``events``;
- the price buckets of a market are recomputed from ``trades`` and the orders' changes, from the
  earliest bucket the batch touched on (all of them once its ``MarketCreated`` is stored).

Units: lots of ``lot_size_wh`` Wh (GRID has 10^6 atoms per Wh), prices in ticks of ``tick_size`` quote
atoms per kWh, or in quote atoms per kWh. A fill's price per kWh is ``quote_amount * 1000 / Wh``, exact
by the program's arithmetic. The program changes tick and lot size only while no order rests, so every
order's lots and ticks are those in force when it was placed, and the book at a bucket's end is in the
lot size in force then. All integer arithmetic: no floats anywhere.
"""

from __future__ import annotations

import bisect
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import bindparam, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from solgrid.indexer import auction, epochs
from solgrid.indexer.auction import AUCTION_EVENTS, AUCTION_KIND, AuctionBatch
from solgrid.indexer.db import dialect_insert
from solgrid.indexer.epochs import Setting
from solgrid.indexer.models import (
    AuctionSettlement,
    Event,
    Market,
    Order,
    OrderStateChange,
    PriceBucket,
    Trade,
    table_of,
)

BUCKET_SECS = 900
"""price_history buckets: 15 minutes, the order-limit epoch of the program."""
BASE_ATOMS_PER_WH = 10**6
OPPOSITE = {"Bid": "Ask", "Ask": "Bid"}
REMOVAL_CHANGE = {
    "Cancelled": "cancelled",
    "Expired": "expired",
    "SelfTradeCancelled": "self_trade_cancelled",
    "SelfTradeDecremented": "self_trade_decremented",
}
CHUNK = 500
CHANGE_COLUMNS = (
    OrderStateChange.id,
    OrderStateChange.order_id,
    OrderStateChange.change,
    OrderStateChange.filled_lots,
    OrderStateChange.cancelled_lots,
    OrderStateChange.remaining_lots,
    OrderStateChange.state,
    OrderStateChange.epoch,
    OrderStateChange.auction_index,
    OrderStateChange.slot,
    OrderStateChange.timestamp,
)
"""What the recomputations read of an order's changes (plain rows: no ORM objects)."""


@dataclass(frozen=True)
class Position:
    """Where an event was emitted: its transaction, slot and position in it."""

    signature: str
    instruction_index: int
    event_index: int
    slot: int

    def key(self, step: int) -> dict[str, Any]:
        return {
            "signature": self.signature,
            "instruction_index": self.instruction_index,
            "event_index": self.event_index,
            "step": step,
        }


@dataclass
class TradingBatch:
    """The trading rows of one batch, written by :meth:`TradingProjection.apply`."""

    markets: list[dict[str, Any]] = field(default_factory=list)
    orders: list[dict[str, Any]] = field(default_factory=list)
    states: list[dict[str, Any]] = field(default_factory=list)
    trades: list[dict[str, Any]] = field(default_factory=list)
    created: set[str] = field(default_factory=set)
    updated: set[str] = field(default_factory=set)
    touched: dict[str, set[int]] = field(default_factory=lambda: defaultdict(set))
    """Market -> ids of the orders whose rows must be recomputed."""
    since: dict[str, int] = field(default_factory=dict)
    """Market -> the earliest price bucket to recompute."""
    auction: AuctionBatch = field(default_factory=AuctionBatch)

    def touch(self, market: str, order_id: int, timestamp: int) -> None:
        self.touched[market].add(order_id)
        self.since_bucket(market, bucket_of(timestamp))

    def since_bucket(self, market: str, bucket: int) -> None:
        self.since[market] = min(self.since.get(market, bucket), bucket)


@dataclass(frozen=True)
class Projected:
    """What one trading event adds to the feed: the market's zone, the wallets it names, its trades,
    its changes to the resting book (or to the orders waiting in an auction), and an auction summary
    (an epoch cleared or a settlement chunk)."""

    zone: int | None
    users: frozenset[str]
    trades: tuple[dict[str, Any], ...] = ()
    book: tuple[dict[str, Any], ...] = ()
    auctions: tuple[dict[str, Any], ...] = ()


def bucket_of(timestamp: int) -> int:
    return timestamp - timestamp % BUCKET_SECS


class TradingProjection:
    """Projects the events of the trading program at ``program`` (its id); keeps a market -> zone cache
    for the feed's zone topics."""

    def __init__(self, program: str) -> None:
        self.program = program
        self._zones: dict[str, int | None] = {}
        """A miss stays a miss until this projection indexes the market's MarketCreated."""

    async def zone_of(self, session: AsyncSession, market: str) -> int | None:
        if market not in self._zones:
            self._zones[market] = await session.scalar(select(Market.zone_id).where(Market.address == market))
        return self._zones[market]

    async def project(
        self,
        session: AsyncSession,
        batch: TradingBatch,
        name: str,
        d: Mapping[str, Any],
        position: Position,
        mint_decimals: Mapping[str, int],
    ) -> Projected:
        """Adds the rows of event ``name`` (fields ``d``) to ``batch``; ``mint_decimals`` are the
        decimals of the mints the transaction's token balances show."""
        market = d.get("market")
        if name == "MarketCreated":
            self._zones[d["market"]] = d["zone_id"]
            batch.markets.append(_market_row(d, position, mint_decimals.get(d["quote_mint"])))
            batch.created.add(d["market"])
            batch.auction.markets.add(d["market"])
        elif name == "MarketUpdated":
            batch.updated.add(d["market"])
            batch.auction.markets.add(d["market"])
            # a new lot size counts the book from then on: the buckets since are recomputed
            batch.since_bucket(d["market"], bucket_of(d["timestamp"]))
        users = {str(d[k]) for k in ("trader", "recipient") if isinstance(d.get(k), str)}
        if not isinstance(market, str):
            return Projected(None, frozenset(users))
        zone = await self.zone_of(session, market)
        if zone is None and name == "EpochCleared":  # the one trading event that names its zone
            zone = int(d["zone_id"])
        states: list[dict[str, Any]] = []
        trades: list[dict[str, Any]] = []
        summaries: tuple[dict[str, Any], ...] = ()
        if name == "OrderPlaced":
            states, trades = _placed(batch, d, position, zone)
        elif name == "OrderCancelled":
            states = [_change(d, position, -1, "cancelled", d["side"], cancelled=d["lots"], remaining=0)]
        elif name == "OrdersExpired":
            states = [_removal(d, removal, position, step) for step, removal in enumerate(d["orders"])]
        elif name in AUCTION_EVENTS:
            price = None
            if name == "EpochSettled":
                price = await auction.clearing_price(session, batch.auction, market, int(d["epoch"]))
            rows = auction.project(batch.auction, name, d, position.key(0), position.slot, zone, price)
            if rows.order is not None:
                batch.orders.append(rows.order)
            states, trades = rows.states, rows.trades
            if rows.summary is not None:
                tick = await self._tick_of(session, batch, market)
                ticks = rows.summary["price"]
                rows.summary["price_per_kwh"] = None if tick is None or ticks is None else ticks * tick
                summaries = (rows.summary,)
        for row in states:
            if _open_without_fill(row):  # the order's earlier fills decide its state
                row["state"] = await self._open_state(session, batch, market, row["order_id"])
            batch.touch(row["market"], row["order_id"], row["timestamp"])
            users.add(row["trader"])
        batch.states += states
        batch.trades += trades
        book = tuple({**row, "zone_id": zone} for row in states if _book_lots(row))
        return Projected(zone, frozenset(users), tuple(trades), book, summaries)

    async def _tick_of(self, session: AsyncSession, batch: TradingBatch, market: str) -> int | None:
        """The market's tick size as indexed so far (for the feed; the tables' is recomputed)."""
        created = [m["tick_size"] for m in batch.markets if m["address"] == market]
        if created:
            return int(created[-1])
        tick = await session.scalar(select(Market.tick_size).where(Market.address == market))
        return None if tick is None else int(tick)

    async def _open_state(
        self, session: AsyncSession, batch: TradingBatch, market: str, order_id: int
    ) -> str:
        """The state of a resting order as indexed so far (for the feed; the table's is recomputed)."""
        filled = any(
            r["filled_lots"] for r in batch.states if r["market"] == market and r["order_id"] == order_id
        ) or await session.scalar(
            select(Order.filled_lots).where(Order.market == market, Order.order_id == order_id)
        )
        return "PartiallyFilled" if filled else "Active"

    async def apply(self, session: AsyncSession, batch: TradingBatch) -> None:
        """Writes ``batch`` (after the events it came from are in ``events``) and recomputes the orders,
        markets, price buckets and auction epochs it touched."""
        for model, rows in (
            (Market, batch.markets),
            (Order, batch.orders),
            (OrderStateChange, batch.states),
            (Trade, batch.trades),
            (AuctionSettlement, batch.auction.settlements),
        ):
            if rows:
                await session.execute(
                    dialect_insert(session, table_of(model)).on_conflict_do_nothing(), uniform(rows)
                )
        for market in sorted(batch.created):
            await self._created(session, batch, market)
        for market in sorted(batch.created | batch.updated):
            await self._latest_update(session, market)
        for market, ids in sorted(batch.touched.items()):
            await _recompute_orders(session, market, sorted(ids))
        settings = {
            market: await self._settings(session, market)
            for market in sorted(set(batch.since) | set(batch.auction.epochs) | batch.auction.markets)
        }
        for market, since in sorted(batch.since.items()):
            lot_sizes = [(s.timestamp, s.lot_size_wh) for s in settings[market]]
            await _recompute_prices(session, market, since, lot_sizes)
        await epochs.apply(session, batch.auction, settings)

    async def _created(self, session: AsyncSession, batch: TradingBatch, market: str) -> None:
        """A market indexed after some of its trades (see the module doc): they get its zone, and its
        whole price history is computed."""
        zone = self._zones.get(market)
        trades = table_of(Trade)
        await session.execute(
            update(trades).where(trades.c.market == market, trades.c.zone_id.is_(None)).values(zone_id=zone)
        )
        batch.since_bucket(market, 0)

    async def _settings(self, session: AsyncSession, market: str) -> list[Setting]:
        """The tick and lot sizes of the market's MarketCreated and MarketUpdated events, by slot."""
        rows = await session.execute(
            select(Event.data)
            .where(
                Event.program == self.program,
                Event.name.in_(("MarketCreated", "MarketUpdated")),
                Event.data["market"].as_string() == market,
            )
            .order_by(Event.slot, Event.id)
        )
        return [
            Setting(int(row.data["timestamp"]), int(row.data["tick_size"]), int(row.data["lot_size_wh"]))
            for row in rows
        ]

    async def _latest_update(self, session: AsyncSession, market: str) -> None:
        """Sets the market's parameters to those of its latest MarketUpdated (by slot, then as indexed)."""
        latest = (
            await session.execute(
                select(Event.data, Event.slot)
                .where(
                    Event.program == self.program,
                    Event.name == "MarketUpdated",
                    Event.data["market"].as_string() == market,
                )
                .order_by(Event.slot.desc(), Event.id.desc())
                .limit(1)
            )
        ).first()
        if latest is None:
            return
        d = latest.data
        markets = table_of(Market)
        await session.execute(
            update(markets)
            .where(markets.c.address == market)
            .values(
                fee_recipient=d["fee_recipient"],
                tick_size=d["tick_size"],
                lot_size_wh=d["lot_size_wh"],
                min_order_lots=d["min_order_lots"],
                taker_fee_bps=d["taker_fee_bps"],
                maker_fee_bps=d["maker_fee_bps"],
                max_orders_per_epoch=d["max_orders_per_epoch"],
                status=d["status"],
                updated_slot=latest.slot,
                updated_at=d["timestamp"],
            )
        )


def _market_row(d: Mapping[str, Any], position: Position, quote_decimals: int | None) -> dict[str, Any]:
    return {
        "address": d["market"],
        "zone_id": d["zone_id"],
        "base_mint": d["base_mint"],
        "quote_mint": d["quote_mint"],
        "quote_decimals": quote_decimals,
        "base_vault": d["base_vault"],
        "quote_vault": d["quote_vault"],
        "fee_recipient": d["fee_recipient"],
        "tick_size": d["tick_size"],
        "lot_size_wh": d["lot_size_wh"],
        "min_order_lots": d["min_order_lots"],
        "taker_fee_bps": d["taker_fee_bps"],
        "maker_fee_bps": d["maker_fee_bps"],
        "max_orders_per_epoch": d["max_orders_per_epoch"],
        "status": "Active",
        "mode": "periodic" if d.get("epoch_secs") else "continuous",
        "epoch_secs": d.get("epoch_secs", 0),
        "signature": position.signature,
        "created_slot": position.slot,
        "created_at": d["timestamp"],
        "updated_slot": position.slot,
        "updated_at": d["timestamp"],
    }


def _placed(
    batch: TradingBatch, d: Mapping[str, Any], position: Position, zone: int | None
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """OrderPlaced: the new order, a change per resting order it filled or removed, a trade per fill."""
    states: list[dict[str, Any]] = []
    trades: list[dict[str, Any]] = []
    for step, entry in enumerate(d["steps"]):
        ((variant, s),) = entry.items()
        if variant != "Fill":
            states.append(_removal(d, s, position, step))
            continue
        wh = s["base_amount"] // BASE_ATOMS_PER_WH
        trades.append(
            {
                **position.key(step),
                "market": d["market"],
                "zone_id": zone,
                "maker": s["maker"],
                "taker": d["trader"],
                "maker_order_id": s["maker_order_id"],
                "taker_order_id": d["order_id"],
                "maker_side": OPPOSITE[d["side"]],
                "taker_side": d["side"],
                "epoch": None,
                "price_ticks": s["price"],
                "price": s["quote_amount"] * 1000 // wh if wh else 0,
                "lots": s["lots"],
                "energy_wh": wh,
                "base_amount": s["base_amount"],
                "quote_amount": s["quote_amount"],
                "maker_fee": s["maker_fee"],
                "taker_fee": s["taker_fee"],
                "slot": position.slot,
                "timestamp": d["timestamp"],
            }
        )
        remaining = s["maker_remaining_lots"]
        states.append(
            {
                **position.key(step),
                "market": d["market"],
                "order_id": s["maker_order_id"],
                "trader": s["maker"],
                "side": OPPOSITE[d["side"]],
                "price": s["price"],
                "change": "filled",
                "filled_lots": s["lots"],
                "cancelled_lots": 0,
                "remaining_lots": remaining,
                "state": "PartiallyFilled" if remaining else "Filled",
                "slot": position.slot,
                "timestamp": d["timestamp"],
            }
        )
    own = _change(
        d,
        position,
        -1,
        "placed",
        d["side"],
        filled=d["filled_lots"],
        cancelled=d["cancelled_lots"],
        remaining=d["rested_lots"],
        state=d["state"],
    )
    batch.orders.append(
        {
            "market": d["market"],
            "order_id": d["order_id"],
            "trader": d["trader"],
            "seat": d["seat"],
            "side": d["side"],
            "kind": d["kind"],
            "self_trade": d["self_trade"],
            "price": d["price"],
            "lots": d["lots"],
            "filled_lots": d["filled_lots"],
            "cancelled_lots": d["cancelled_lots"],
            "remaining_lots": d["rested_lots"],
            "client_order_id": d["client_order_id"],
            "expires_at": d["expires_at"],
            "state": d["state"],
            "signature": position.signature,
            "placed_slot": position.slot,
            "placed_at": d["timestamp"],
            "updated_slot": position.slot,
            "updated_at": d["timestamp"],
        }
    )
    return [own, *states], trades


def uniform(rows: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """``rows`` with the same keys each, for one multi-row insert: a batch may mix a continuous market's
    rows with a periodic market's, which carry the auction columns; a row without one gets NULL there
    (the auction columns are nullable and have no default)."""
    keys = {key for row in rows for key in row}
    return [{key: row.get(key) for key in keys} for row in rows]


def _change(
    d: Mapping[str, Any],
    position: Position,
    step: int,
    change: str,
    side: str,
    *,
    filled: int = 0,
    cancelled: int = 0,
    remaining: int,
    state: str | None = None,
) -> dict[str, Any]:
    """A change of the event's own order (``trader``, ``order_id``, ``price`` of the event)."""
    return {
        **position.key(step),
        "market": d["market"],
        "order_id": d["order_id"],
        "trader": d["trader"],
        "side": side,
        "price": d["price"],
        "change": change,
        "filled_lots": filled,
        "cancelled_lots": cancelled,
        "remaining_lots": remaining,
        "state": state or _closed_state(change),
        "slot": position.slot,
        "timestamp": d["timestamp"],
    }


def _removal(d: Mapping[str, Any], r: Mapping[str, Any], position: Position, step: int) -> dict[str, Any]:
    """A resting order removed or reduced without trading (a ``Removal``)."""
    change = REMOVAL_CHANGE[r["reason"]]
    return {
        **position.key(step),
        "market": d["market"],
        "order_id": r["order_id"],
        "trader": r["trader"],
        "side": r["side"],
        "price": r["price"],
        "change": change,
        "filled_lots": 0,
        "cancelled_lots": r["lots"],
        "remaining_lots": r["remaining_lots"],
        # a decrement that leaves lots resting keeps the order's state (see TradingProjection.project)
        "state": "Active" if r["remaining_lots"] else _closed_state(change),
        "slot": position.slot,
        "timestamp": d["timestamp"],
    }


def _open_without_fill(change: Mapping[str, Any]) -> bool:
    """A change that leaves lots open without trading (a self-trade decrement, an auction order rolling
    on unmatched): the order is PartiallyFilled or Active as its earlier fills say."""
    kept = change["change"] == "self_trade_decremented" and change["remaining_lots"]
    return bool(kept or (change["change"] == "rolled" and change["state"] == "Active"))


def _closed_state(change: str) -> str:
    """The state of an order a change of this kind left with nothing resting."""
    return {"filled": "Filled", "expired": "Expired"}.get(change, "Cancelled")


def _book_lots(change: Mapping[str, Any]) -> int:
    """Lots the change added to (placement; an auction order rolling into the next epoch) or took from
    the resting book."""
    if change["change"] in ("placed", "rolled"):
        return int(change["remaining_lots"])
    return int(change["filled_lots"]) + int(change["cancelled_lots"])


def _resting_before(change: Any) -> int:
    """Lots of the order resting just before ``change``."""
    if change.change == "placed":
        return 0
    return int(change.remaining_lots) + int(change.filled_lots) + int(change.cancelled_lots)


async def _recompute_orders(session: AsyncSession, market: str, ids: Sequence[int]) -> None:
    """Sets each order's fills, remaining lots and state, and each of its changes' state, from all of
    its changes indexed so far (an order whose placement is not indexed yet waits for it)."""
    orders_table, states_table = table_of(Order), table_of(OrderStateChange)
    order_updates: list[dict[str, Any]] = []
    state_updates: list[dict[str, Any]] = []
    for start in range(0, len(ids), CHUNK):
        chunk = ids[start : start + CHUNK]
        placed = select(Order.order_id, Order.lots).where(Order.market == market, Order.order_id.in_(chunk))
        sizes = {int(order_id): int(lots) for order_id, lots in await session.execute(placed)}
        changes: dict[int, list[Any]] = defaultdict(list)
        rows = await session.execute(
            select(*CHANGE_COLUMNS)
            .where(OrderStateChange.market == market, OrderStateChange.order_id.in_(chunk))
            .order_by(OrderStateChange.slot, OrderStateChange.id)
        )
        for change in rows:
            changes[int(change.order_id)].append(change)
        for order_id, history in changes.items():
            lots = sizes.get(order_id)
            if lots is None:
                continue
            filled = cancelled = 0
            for change in history:
                filled += int(change.filled_lots)
                cancelled += int(change.cancelled_lots)
                if change.remaining_lots:
                    state = "PartiallyFilled" if filled else "Active"
                elif change.change == "placed":
                    state = change.state  # as the program reported it (Filled or Cancelled)
                else:
                    state = _closed_state(change.change)
                if state != change.state:
                    state_updates.append({"b_id": change.id, "b_state": state})
            remaining = int(lots) - filled - cancelled
            closing = next((c for c in history if not c.remaining_lots), None)
            if remaining > 0 or closing is None:
                state = "PartiallyFilled" if filled else "Active"
            elif closing.change == "placed":
                state = closing.state
            else:
                state = _closed_state(closing.change)
            last = max(history, key=lambda c: (c.slot, c.timestamp))
            auctions = [c for c in history if c.epoch is not None]
            latest = max(auctions, key=lambda c: int(c.epoch), default=None)
            order_updates.append(
                {
                    "b_order_id": order_id,
                    "filled_lots": filled,
                    "cancelled_lots": cancelled,
                    "remaining_lots": max(remaining, 0),
                    "state": state,
                    "epoch": None if latest is None else latest.epoch,
                    "auction_index": None if latest is None else latest.auction_index,
                    "updated_slot": last.slot,
                    "updated_at": last.timestamp,
                }
            )
    if order_updates:
        statement = (
            update(orders_table)
            .where(orders_table.c.market == market, orders_table.c.order_id == bindparam("b_order_id"))
            .values(
                {
                    column: bindparam(column)
                    for column in (
                        "filled_lots",
                        "cancelled_lots",
                        "remaining_lots",
                        "state",
                        "epoch",
                        "auction_index",
                        "updated_slot",
                        "updated_at",
                    )
                }
            )
        )
        await session.execute(statement.execution_options(synchronize_session=False), order_updates)
    if state_updates:
        statement = update(states_table).where(states_table.c.id == bindparam("b_id"))
        await session.execute(
            statement.values(state=bindparam("b_state")).execution_options(synchronize_session=False),
            state_updates,
        )


@dataclass
class _Resting:
    """An order as the price buckets need it: its side, expiry, current resting lots, and for every
    change from the first recomputed bucket on, when it happened and what rested just before it."""

    side: str
    expires_at: int
    remaining: int
    changes: list[tuple[int, int]] = field(default_factory=list)
    """(timestamp, lots resting just before the change), in the order the changes happened."""
    _times: list[int] | None = None

    def resting_at(self, end: int) -> int:
        """Lots resting once every change before ``end`` happened, 0 if expired by ``end``."""
        if self.expires_at and self.expires_at <= end:
            return 0
        if self._times is None:
            self.changes.sort(key=lambda c: c[0])  # stable: same-second changes keep their order
            self._times = [t for t, _ in self.changes]
        later = bisect.bisect_left(self._times, end)
        return self.changes[later][1] if later < len(self.changes) else self.remaining


async def _recompute_prices(
    session: AsyncSession, market: str, since: int, lot_sizes: Sequence[tuple[int, int]]
) -> None:
    """Rewrites the market's price buckets from ``since`` on (every bucket with a trade or an order
    change); nothing before its MarketCreated is indexed. ``lot_sizes`` are the market's (timestamp,
    lot size) settings in the order they were made."""
    info = (
        await session.execute(select(Market.lot_size_wh, Market.zone_id).where(Market.address == market))
    ).first()
    if info is None:
        return
    lot_wh, zone = int(info.lot_size_wh), int(info.zone_id)
    orders = {
        # an auction order's expiry only decides whether it rolls: it waits until its settlement
        int(o.order_id): _Resting(
            o.side, 0 if o.kind == AUCTION_KIND else int(o.expires_at), int(o.remaining_lots)
        )
        for o in await session.execute(
            select(Order.order_id, Order.side, Order.kind, Order.expires_at, Order.remaining_lots).where(
                Order.market == market, or_(Order.remaining_lots > 0, Order.updated_at >= since)
            )
        )
    }
    buckets: set[int] = set()
    changes = await session.execute(
        select(*CHANGE_COLUMNS)
        .where(OrderStateChange.market == market, OrderStateChange.timestamp >= since)
        .order_by(OrderStateChange.slot, OrderStateChange.id)
    )
    for change in changes:
        buckets.add(bucket_of(int(change.timestamp)))
        if (order := orders.get(int(change.order_id))) is not None:
            order.changes.append((int(change.timestamp), _resting_before(change)))
    trades: dict[int, list[Any]] = defaultdict(list)
    for trade in await session.execute(
        select(Trade.price, Trade.energy_wh, Trade.quote_amount, Trade.timestamp)
        .where(
            Trade.market == market,
            Trade.timestamp >= since,
            # each lot once: an auction's ask-side fills are the lots of its bid-side fills
            or_(Trade.epoch.is_(None), Trade.maker_side == "Bid"),
        )
        .order_by(Trade.slot, Trade.id)
    ):
        trades[bucket_of(int(trade.timestamp))].append(trade)
        buckets.add(bucket_of(int(trade.timestamp)))
    rows = [
        _bucket(
            market,
            zone,
            start,
            trades[start],
            orders.values(),
            _lot_at(lot_sizes, start + BUCKET_SECS, lot_wh),
        )
        for start in sorted(buckets)
    ]
    if rows:
        statement = dialect_insert(session, table_of(PriceBucket))
        keys = ("market", "bucket_start")
        await session.execute(
            statement.on_conflict_do_update(
                index_elements=list(keys),
                set_={c: statement.excluded[c] for c in rows[0] if c not in keys},
            ),
            rows,
        )


def _lot_at(lot_sizes: Sequence[tuple[int, int]], end: int, current: int) -> int:
    """The lot size of the orders resting at ``end``: the last one set before ``end`` (a change needs an
    empty book, so every order resting then was placed after it); ``current`` when none is indexed."""
    lot = None
    for timestamp, size in lot_sizes:
        if timestamp < end:
            lot = size
    return current if lot is None else lot


def _bucket(
    market: str, zone: int, start: int, trades: Sequence[Any], orders: Iterable[_Resting], lot_wh: int
) -> dict[str, Any]:
    end = start + BUCKET_SECS
    book = {"Ask": 0, "Bid": 0}
    for order in orders:
        book[order.side] += order.resting_at(end)
    prices = [int(t.price) for t in trades]
    volume_wh = sum(int(t.energy_wh) for t in trades)
    volume_quote = sum(int(t.quote_amount) for t in trades)
    vwap = (2 * volume_quote * 1000 + volume_wh) // (2 * volume_wh) if volume_wh else None
    return {
        "market": market,
        "bucket_start": start,
        "zone_id": zone,
        "open": prices[0] if prices else None,
        "high": max(prices, default=None),
        "low": min(prices, default=None),
        "close": prices[-1] if prices else None,
        "vwap": vwap,
        "volume_wh": volume_wh,
        "volume_quote": volume_quote,
        "trade_count": len(trades),
        "ask_wh": book["Ask"] * lot_wh,
        "bid_wh": book["Bid"] * lot_wh,
    }
