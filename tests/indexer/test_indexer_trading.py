"""Trading tables from synthetic self-CPI events, on both backends: markets, orders and their state
history through every transition, trades, 15-minute price buckets, and re-indexing (twice, in another
order, in other batches) changing nothing."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest
from indexer_support import store
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from trading_events import Book, pubkey, trading_tx

from solgrid.indexer.db import create_engine, migrate, sessions
from solgrid.indexer.decode import EventDecoder
from solgrid.indexer.models import Base, Event, Market, Order, OrderStateChange, PriceBucket, Trade
from solgrid.indexer.service import default_coders
from solgrid.indexer.store import FetchedTransaction, Store, StoredEvent

DB = async_sessionmaker[AsyncSession]
TRADING_TABLES = (Market, Order, OrderStateChange, Trade, PriceBucket)
ALICE, BOB, CAROL, DAVE = pubkey(), pubkey(), pubkey(), pubkey()


def new_store() -> Store:
    return Store(EventDecoder(default_coders()))


async def rows(db: DB, model: type[Base], *columns: str, **where: Any) -> list[tuple[Any, ...]]:
    """``columns`` of ``model``'s rows matching ``where``, in a stable order (position, then key)."""
    table = model.__table__
    order = [table.c[k] for k in ("slot", "id") if k in table.c] or list(table.primary_key.columns)
    query = select(*(table.c[c] for c in columns)).order_by(*order)
    for key, value in where.items():
        query = query.where(table.c[key] == value)
    async with db() as s:
        return [tuple(r) for r in await s.execute(query)]


async def snapshot(db: DB) -> dict[str, list[dict[str, Any]]]:
    """Every trading row, without surrogate ids, sorted (what a re-indexing must reproduce)."""
    found = {}
    async with db() as s:
        for model in TRADING_TABLES:
            table = model.__table__
            columns = [c for c in table.c if c.name != "id"]
            result = await s.execute(select(*columns))
            found[table.name] = sorted((dict(r._mapping) for r in result), key=repr)
    return found


def orders_of(stored: Sequence[StoredEvent]) -> list[tuple[str, list[int]]]:
    return [(e.name, [b["order_id"] for b in e.book]) for e in stored]


async def test_partial_fills_then_the_maker_is_filled(db: DB) -> None:
    b = Book()
    txs = [
        trading_tx([b.created(0)], slot=10, decimals=[(b.quote_mint, 6)]),
        trading_tx([b.place(ALICE, "Ask", 100, 10, 60)], slot=11),
        trading_tx([b.place(BOB, "Bid", 101, 4, 120, [b.fill(ALICE, 0, 100, 4, 6)])], slot=12),
        trading_tx([b.place(CAROL, "Bid", 100, 8, 180, [b.fill(ALICE, 0, 100, 6, 0)])], slot=13),
    ]
    stored = await store(db, new_store(), *txs)

    assert await rows(db, Market, "zone_id", "tick_size", "lot_size_wh", "quote_decimals", "status") == [
        (7, 10_000, 100, 6, "Active")
    ]
    assert await rows(
        db,
        Order,
        "order_id",
        "trader",
        "side",
        "lots",
        "filled_lots",
        "cancelled_lots",
        "remaining_lots",
        "state",
    ) == [
        (0, ALICE, "Ask", 10, 10, 0, 0, "Filled"),
        (1, BOB, "Bid", 4, 4, 0, 0, "Filled"),
        (2, CAROL, "Bid", 8, 6, 0, 2, "PartiallyFilled"),
    ]
    assert await rows(db, Order, "placed_slot", "placed_at", "updated_slot", "updated_at", order_id=0) == [
        (11, 60, 13, 180)
    ]
    history = ("signature", "step", "change", "filled_lots", "remaining_lots", "state")
    sigs = [t.signature for t in txs]
    assert await rows(db, OrderStateChange, *history, order_id=0) == [
        (sigs[1], -1, "placed", 0, 10, "Active"),
        (sigs[2], 0, "filled", 4, 6, "PartiallyFilled"),
        (sigs[3], 0, "filled", 6, 0, "Filled"),
    ]
    assert await rows(db, OrderStateChange, *history, order_id=2) == [
        (sigs[3], -1, "placed", 6, 2, "PartiallyFilled")
    ]

    # 100 ticks of 10,000 atoms per kWh; 4 lots of 100 Wh; quote 4 x 100 x 1,000; fees ceil(bps)
    trade_columns = (
        "signature", "step", "zone_id", "maker", "taker", "maker_order_id", "taker_order_id", "taker_side",
        "price_ticks", "price", "lots", "energy_wh", "base_amount", "quote_amount", "maker_fee", "taker_fee",
        "slot", "timestamp",
    )  # fmt: skip
    per_kwh = 1_000_000
    assert await rows(db, Trade, *trade_columns) == [
        (sigs[2], 0, 7, ALICE, BOB, 0, 1, "Bid", 100, per_kwh, 4, 400,
         4 * 10**8, 400_000, 400, 1_000, 12, 120),
        (sigs[3], 0, 7, ALICE, CAROL, 0, 2, "Bid", 100, per_kwh, 6, 600,
         6 * 10**8, 600_000, 600, 1_500, 13, 180),
    ]  # fmt: skip

    # the audit log keeps each step with its variant (serde's externally tagged form)
    async with db() as s:
        placed = await s.scalar(select(Event.data).where(Event.signature == sigs[2]))
    assert placed is not None and placed["steps"] == [
        {
            "Fill": {
                "maker": ALICE,
                "maker_order_id": 0,
                "maker_client_order_id": 0,
                "price": 100,
                "lots": 4,
                "base_amount": 400 * 10**6,
                "quote_amount": 400_000,
                "maker_fee": 400,
                "taker_fee": 1_000,
                "maker_remaining_lots": 6,
            }
        }
    ]

    # the feed: the market's zone, the makers as users, one trade per fill, the book changes
    assert [(e.name, e.zone) for e in stored] == [("MarketCreated", 7), *[("OrderPlaced", 7)] * 3]
    assert stored[2].users == {BOB, ALICE}
    assert [t["maker_order_id"] for t in stored[2].trades] == [0] and stored[2].trades[0]["zone_id"] == 7
    assert orders_of(stored) == [
        ("MarketCreated", []),
        ("OrderPlaced", [0]),
        ("OrderPlaced", [0]),
        ("OrderPlaced", [2, 0]),
    ]
    assert [(c["change"], c["remaining_lots"]) for c in stored[3].book] == [("placed", 2), ("filled", 0)]


async def test_immediate_or_cancel_remainder_and_a_cancel(db: DB) -> None:
    b = Book()
    await store(
        db,
        new_store(),
        trading_tx([b.created(0)]),
        trading_tx([b.place(ALICE, "Ask", 100, 5, 10)], slot=11),
        trading_tx(
            [
                b.place(
                    BOB,
                    "Bid",
                    100,
                    8,
                    20,
                    [b.fill(ALICE, 0, 100, 5, 0)],
                    kind="ImmediateOrCancel",
                    rests=False,
                )
            ],
            slot=12,
        ),
        trading_tx([b.place(BOB, "Bid", 90, 3, 30)], slot=13),
        trading_tx([b.cancel(BOB, 2, "Bid", 90, 3, 40)], slot=14),
    )
    assert await rows(
        db, Order, "order_id", "kind", "filled_lots", "cancelled_lots", "remaining_lots", "state"
    ) == [
        (0, "Limit", 5, 0, 0, "Filled"),
        (1, "ImmediateOrCancel", 5, 3, 0, "Cancelled"),
        (2, "Limit", 0, 3, 0, "Cancelled"),
    ]
    assert await rows(db, OrderStateChange, "change", "cancelled_lots", "state", order_id=1) == [
        ("placed", 3, "Cancelled")
    ]
    assert await rows(
        db, OrderStateChange, "step", "change", "cancelled_lots", "remaining_lots", "state", order_id=2
    ) == [
        (-1, "placed", 0, 3, "Active"),
        (-1, "cancelled", 3, 0, "Cancelled"),
    ]


async def test_expiry_lazily_while_matching_and_by_prune(db: DB) -> None:
    b = Book()
    await store(
        db,
        new_store(),
        trading_tx([b.created(0)]),
        trading_tx([b.place(ALICE, "Ask", 100, 5, 10, expires_at=200)], slot=11),
        trading_tx([b.place(ALICE, "Ask", 101, 5, 20, expires_at=600)], slot=12),
        trading_tx([b.place(CAROL, "Bid", 90, 2, 30, expires_at=500)], slot=13),
        # at 250 order 0 has expired: the crossing bid removes it and fills order 1
        trading_tx(
            [
                b.place(
                    BOB,
                    "Bid",
                    101,
                    3,
                    250,
                    [b.removal(ALICE, 0, "Ask", 100, 5, "Expired"), b.fill(ALICE, 1, 101, 3, 2)],
                )
            ],
            slot=14,
        ),
        # at 700 a prune removes what is left of order 1 and all of order 2
        trading_tx(
            [
                b.expired(
                    700,
                    b.removal(CAROL, 2, "Bid", 90, 2, "Expired"),
                    b.removal(ALICE, 1, "Ask", 101, 2, "Expired"),
                )
            ],
            slot=15,
        ),
    )
    assert await rows(db, Order, "order_id", "filled_lots", "cancelled_lots", "remaining_lots", "state") == [
        (0, 0, 5, 0, "Expired"),
        (1, 3, 2, 0, "Expired"),
        (2, 0, 2, 0, "Expired"),
        (3, 3, 0, 0, "Filled"),
    ]
    assert await rows(
        db, OrderStateChange, "step", "change", "cancelled_lots", "state", "timestamp", order_id=1
    ) == [
        (-1, "placed", 0, "Active", 20),
        (1, "filled", 0, "PartiallyFilled", 250),
        (1, "expired", 2, "Expired", 700),
    ]
    assert await rows(db, OrderStateChange, "step", "change", "state", order_id=0) == [
        (-1, "placed", "Active"),
        (0, "expired", "Expired"),
    ]


async def test_self_trade_decrement_keeps_the_state_and_cancel_resting_closes_it(db: DB) -> None:
    b = Book()
    stored = await store(
        db,
        new_store(),
        trading_tx([b.created(0)]),
        trading_tx([b.place(ALICE, "Ask", 100, 10, 10)], slot=11),
        trading_tx([b.place(BOB, "Bid", 100, 3, 20, [b.fill(ALICE, 0, 100, 3, 7)])], slot=12),
        # DecrementBoth: 4 lots leave both orders; the incoming bid has nothing left
        trading_tx(
            [
                b.place(
                    ALICE,
                    "Bid",
                    100,
                    4,
                    30,
                    [b.removal(ALICE, 0, "Ask", 100, 4, "SelfTradeDecremented", remaining=3)],
                    cancelled=4,
                )
            ],
            slot=13,
        ),
        # CancelResting: the resting ask goes, the bid rests
        trading_tx(
            [b.place(ALICE, "Bid", 100, 5, 40, [b.removal(ALICE, 0, "Ask", 100, 3, "SelfTradeCancelled")])],
            slot=14,
        ),
    )
    assert await rows(db, Order, "order_id", "filled_lots", "cancelled_lots", "remaining_lots", "state") == [
        (0, 3, 7, 0, "Cancelled"),
        (1, 3, 0, 0, "Filled"),
        (2, 0, 4, 0, "Cancelled"),
        (3, 0, 0, 5, "Active"),
    ]
    assert await rows(
        db, OrderStateChange, "change", "filled_lots", "cancelled_lots", "remaining_lots", "state", order_id=0
    ) == [
        ("placed", 0, 0, 10, "Active"),
        ("filled", 3, 0, 7, "PartiallyFilled"),
        ("self_trade_decremented", 0, 4, 3, "PartiallyFilled"),  # still partly filled, 3 resting
        ("self_trade_cancelled", 0, 3, 0, "Cancelled"),
    ]
    # on the feed too (the batch knew of the earlier fill)
    assert [(c["order_id"], c["change"], c["state"]) for c in stored[3].book] == [
        (0, "self_trade_decremented", "PartiallyFilled")
    ]


def bucket_scenario(b: Book) -> list[FetchedTransaction]:
    """Trades on both sides of the 900 s boundary; an ask that expires exactly at a bucket's end."""
    erin = pubkey()
    return [
        trading_tx([b.created(0)], slot=10, decimals=[(b.quote_mint, 6)]),
        trading_tx([b.place(ALICE, "Ask", 100, 10, 10)], slot=11),  # 0
        trading_tx([b.place(ALICE, "Ask", 102, 10, 20, expires_at=1800)], slot=12),  # 1
        trading_tx([b.place(DAVE, "Bid", 90, 5, 30)], slot=13),  # 2
        trading_tx([b.place(BOB, "Bid", 100, 2, 899, [b.fill(ALICE, 0, 100, 2, 8)])], slot=14),  # 3
        trading_tx([b.place(BOB, "Bid", 100, 3, 900, [b.fill(ALICE, 0, 100, 3, 5)])], slot=15),  # 4
        trading_tx(
            [b.place(BOB, "Bid", 102, 9, 1000, [b.fill(ALICE, 0, 100, 5, 0), b.fill(ALICE, 1, 102, 4, 6)])],
            slot=16,
        ),  # 5
        trading_tx([b.place(CAROL, "Bid", 102, 1, 1799, [b.fill(ALICE, 1, 102, 1, 5)])], slot=17),  # 6
        trading_tx([b.place(erin, "Ask", 120, 7, 1800)], slot=18),  # 7
    ]


EXPECTED_BUCKETS = [
    # bucket_start, open, high, low, close, vwap, volume_wh, volume_quote, trade_count, ask_wh, bid_wh
    (0, 1_000_000, 1_000_000, 1_000_000, 1_000_000, 1_000_000, 200, 200_000, 1, 1_800, 500),
    # 1,310,000 quote atoms for 1.3 kWh: VWAP 1,007,692.3 -> 1,007,692; order 1 expires at the bucket's end
    (900, 1_000_000, 1_020_000, 1_000_000, 1_020_000, 1_007_692, 1_300, 1_310_000, 4, 0, 500),
    (1800, None, None, None, None, None, 0, 0, 0, 700, 500),
]
BUCKET_COLUMNS = (
    "bucket_start", "open", "high", "low", "close", "vwap", "volume_wh", "volume_quote", "trade_count",
    "ask_wh", "bid_wh",
)  # fmt: skip


@pytest.mark.parametrize("batches", ["one", "each"])
async def test_price_buckets_of_15_minutes(db: DB, batches: str) -> None:
    """OHLCV and VWAP per bucket (a trade at 899 s and one at 900 s fall into different ones), and the
    book at each bucket's end (an ask expiring exactly then no longer counts); the same whether the
    transactions come in one batch or one batch each."""
    txs = bucket_scenario(Book())
    s = new_store()
    if batches == "one":
        await store(db, s, *txs)
    else:
        for t in txs:
            await store(db, s, t)
    assert await rows(db, PriceBucket, *BUCKET_COLUMNS) == EXPECTED_BUCKETS
    assert {r[0] for r in await rows(db, PriceBucket, "zone_id")} == {7}


def full_scenario() -> list[FetchedTransaction]:
    """Every kind of change, two market updates and a deposit."""
    b = Book()
    txs = bucket_scenario(b)
    more = [
        trading_tx([b.updated(1900)], slot=19),
        trading_tx([b.deposited(ALICE, b.quote_mint, 5, 1901)], slot=20, decimals=[(b.quote_mint, 6)]),
        # DAVE's ask meets his own bid (order 2): DecrementBoth takes 2 lots off both
        trading_tx(
            [
                b.place(
                    DAVE,
                    "Ask",
                    90,
                    2,
                    2000,
                    [b.removal(DAVE, 2, "Bid", 90, 2, "SelfTradeDecremented", remaining=3)],
                    cancelled=2,
                )
            ],
            slot=21,
        ),
        trading_tx([b.cancel(DAVE, 2, "Bid", 90, 3, 2100)], slot=22),
        trading_tx([b.expired(2700, b.removal(ALICE, 1, "Ask", 102, 5, "Expired"))], slot=23),
        trading_tx([b.updated(2800, status="Active", taker_fee_bps=20)], slot=24),
    ]
    return txs + more


async def test_reindexing_in_any_order_or_batching_gives_the_same_tables(db: DB, tmp_path: Path) -> None:
    """The tables are a function of the set of indexed transactions: indexing them newest first (fills
    before their order's placement, the market created last: the worst of what another program's
    catch-up can do, see the docs) in batches of 3 ends with the rows of indexing them in order, and
    indexing them all again, together or one by one, in a fresh store, changes nothing."""
    txs = full_scenario()
    engine = create_engine(f"sqlite+aiosqlite:///{tmp_path / 'reference.db'}")
    try:
        await migrate(engine)
        reference = sessions(engine)
        await store(reference, new_store(), *txs)
        expected = await snapshot(reference)
    finally:
        await engine.dispose()
    assert [(r["order_id"], r["state"]) for r in sorted(expected["orders"], key=lambda r: r["order_id"])] == [
        (0, "Filled"),
        (1, "Expired"),
        (2, "Cancelled"),
        (3, "Filled"),
        (4, "Filled"),
        (5, "Filled"),
        (6, "Filled"),
        (7, "Active"),
        (8, "Cancelled"),
    ]
    assert [(m["status"], m["taker_fee_bps"], m["quote_decimals"]) for m in expected["markets"]] == [
        ("Active", 20, 6)
    ]

    # newest first: every fill before its order, the market last, its updates newest first
    newest_first = list(reversed(txs))
    s = new_store()
    for start in range(0, len(newest_first), 3):
        await store(db, s, *newest_first[start : start + 3])
    assert await snapshot(db) == expected
    await store(db, new_store(), *txs)
    for t in txs:
        await store(db, new_store(), t)
    assert await snapshot(db) == expected


async def test_market_updates_follow_the_latest_by_slot(db: DB) -> None:
    b = Book()
    created = trading_tx([b.created(5)], slot=10)
    paused = trading_tx([b.updated(50)], slot=20)
    resumed = trading_tx([b.updated(60, status="Active", taker_fee_bps=40)], slot=30)
    s = new_store()
    await store(db, s, resumed, paused)  # before the market is known, newest first
    assert await rows(db, Market, "address") == []
    await store(db, s, created)
    assert await rows(
        db, Market, "status", "taker_fee_bps", "maker_fee_bps", "updated_slot", "updated_at"
    ) == [("Active", 40, 5, 30, 60)]
    # this create_market transaction shows no token balances (a real one shows its new quote vault)
    assert await rows(db, Market, "quote_decimals", "created_slot", "created_at") == [(None, 10, 5)]


@pytest.mark.parametrize("order", ["newest_first", "update_last"])
async def test_a_new_tick_and_lot_size_apply_from_their_update(db: DB, tmp_path: Path, order: str) -> None:
    """The program changes tick and lot size only while no order rests: the market row takes the latest,
    each bucket's book counts the lot size in force at its end, trades keep their exact price per kWh;
    the same when the transactions are indexed newest first, or the update after everything else."""
    b = Book()
    txs = [
        trading_tx([b.created(0)], slot=10, decimals=[(b.quote_mint, 6)]),
        trading_tx([b.place(ALICE, "Ask", 100, 10, 10)], slot=11),  # 0: 10 lots of 100 Wh rest
        trading_tx([b.cancel(ALICE, 0, "Ask", 100, 10, 1000)], slot=12),  # the book is empty
        trading_tx([b.updated(1100, "Active", tick_size=5_000, lot_size_wh=200)], slot=13),
        trading_tx([b.place(ALICE, "Ask", 200, 5, 1200)], slot=14),  # 1: 5 lots of 200 Wh at 200 ticks
        trading_tx([b.place(BOB, "Bid", 200, 2, 1300, [b.fill(ALICE, 1, 200, 2, 3)])], slot=15),  # 2
    ]
    engine = create_engine(f"sqlite+aiosqlite:///{tmp_path / 'in_order.db'}")
    try:
        await migrate(engine)
        in_order = sessions(engine)
        for t in txs:
            await store(in_order, new_store(), t)
        expected = await snapshot(in_order)
    finally:
        await engine.dispose()
    s = new_store()
    for t in reversed(txs) if order == "newest_first" else [*txs[:3], *txs[4:], txs[3]]:
        await store(db, s, t)
    assert await snapshot(db) == expected
    assert await rows(db, Market, "tick_size", "lot_size_wh") == [(5_000, 200)]
    # 1.0 per kWh: 200 ticks of 5,000 atoms; 2 lots of 200 Wh
    assert await rows(db, Trade, "price_ticks", "price", "lots", "energy_wh", "quote_amount") == [
        (200, 1_000_000, 2, 400, 400_000)
    ]
    assert await rows(db, PriceBucket, "bucket_start", "ask_wh", "bid_wh") == [(0, 1_000, 0), (900, 600, 0)]


async def test_an_order_with_64_fills_and_16_removals_is_indexed_whole(db: DB) -> None:
    """The program's limit is 80 steps per order; an order filling 64 makers (and removing 16 expired
    ones on the way) is one event whose every step becomes its rows."""
    b = Book()
    makers = [pubkey() for _ in range(80)]
    resting = [
        trading_tx([b.place(m, "Ask", 100 + i, 2, 10, expires_at=50 if i % 5 == 4 else 0)], slot=11 + i)
        for i, m in enumerate(makers)
    ]
    steps = [
        b.removal(m, i, "Ask", 100 + i, 2, "Expired") if i % 5 == 4 else b.fill(m, i, 100 + i, 2, 0)
        for i, m in enumerate(makers)
    ]
    sweep = trading_tx([b.place(BOB, "Bid", 200, 128, 60, steps)], slot=100)
    stored = await store(db, new_store(), trading_tx([b.created(0)]), *resting, sweep)
    assert len(stored[-1].trades) == 64 and len(stored[-1].book) == 80
    assert len(await rows(db, Trade, "id")) == 64
    states = await rows(db, Order, "state")
    assert states.count(("Filled",)) == 64 + 1 and states.count(("Expired",)) == 16
    [bucket] = await rows(db, PriceBucket, "trade_count", "volume_wh", "ask_wh", "bid_wh")
    assert bucket == (64, 128 * 100, 0, 0)
