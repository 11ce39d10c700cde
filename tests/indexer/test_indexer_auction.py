"""Call-auction tables from synthetic self-CPI events, on both backends: epochs with their clearing and
settlement, the supply and demand curves, auction orders through placement, cancel, fill, rollover
and refund, auction fills in ``trades`` and ``price_history``, the feed's summaries, re-indexing in any
order changing nothing, and the verification (passing, and naming what a faulty chain got wrong)."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

import pytest
from auction_events import Auction
from click.testing import CliRunner
from indexer_support import store
from sqlalchemy import delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from test_indexer_trading import new_store, rows, snapshot
from trading_events import PROGRAM, Book, pubkey, trading_tx

from solgrid.cli.indexer_cmd import indexer
from solgrid.errors import UserFacingError
from solgrid.indexer.db import create_engine, migrate, sessions
from solgrid.indexer.models import (
    AuctionSettlement,
    Epoch,
    EpochLevel,
    Event,
    Market,
    Order,
    OrderStateChange,
    PriceBucket,
    Trade,
)
from solgrid.indexer.store import FetchedTransaction, StoredEvent
from solgrid.indexer.verify import verify_epochs
from solgrid.sdk.trading.units import fee

DB = async_sessionmaker[AsyncSession]
ALICE, BOB, CAROL, DAVE, ERIN, FRANK, GRACE = (pubkey() for _ in range(7))
AUCTION_TABLES = ("epochs", "epoch_levels", "epoch_settlements")


def scenario() -> tuple[Auction, list[FetchedTransaction]]:
    """Epoch 2: six orders (one cancelled, one refunded unmatched, one partly filled whose rest rolls),
    cleared at 100 ticks and settled in chunks of 2; epoch 3: an order placed before epoch 2's
    settlement rolled one in (indexes interleave), cleared at 101 (the previous price breaks no tie
    here), one order filled in part and one unmatched, both rolling into epoch 4 (not cleared)."""
    a = Auction(Book(epoch_secs=900))
    b = a.book
    txs = [
        trading_tx([b.created(100)], slot=10, decimals=[(b.quote_mint, 6)]),
        trading_tx([a.place(ALICE, "Ask", 100, 10, 1800)], slot=11),  # 0: 9 filled, 1 rolls
        trading_tx([a.place(BOB, "Bid", 105, 4, 1810)], slot=12),  # 1: filled
        trading_tx([a.place(CAROL, "Bid", 100, 8, 1820)], slot=13),  # 2: filled at the marginal price
        trading_tx([a.place(DAVE, "Ask", 98, 3, 1830, rollover=False)], slot=14),  # 3: filled
        trading_tx([a.place(ERIN, "Bid", 90, 5, 1840)], slot=15),  # 4: cancelled
        trading_tx([a.place(FRANK, "Ask", 110, 6, 1850, rollover=False)], slot=16),  # 5: refunded
        trading_tx([a.cancel(2, 4, 2000)], slot=17),
        trading_tx([a.place(GRACE, "Bid", 101, 2, 2705)], slot=18),  # 6: epoch 3's index 0
        trading_tx([a.clear(2, 2710)], slot=19),
        trading_tx([a.settle(2, 2, 2720)], slot=20),
        trading_tx([a.settle(2, 2, 2730)], slot=21),
        trading_tx([a.settle(2, 2, 2740)], slot=22),
        trading_tx([a.place(BOB, "Bid", 100, 1, 3000)], slot=23),  # 7
        trading_tx([a.clear(3, 3610)], slot=24),
        trading_tx([a.settle(3, 64, 3620)], slot=25),
    ]
    return a, txs


EPOCH_COLUMNS = (
    "epoch", "zone_id", "starts_at", "ends_at", "state", "tick_size", "lot_size_wh", "price", "price_per_kwh",
    "reference_price", "volume_lots", "volume_wh", "demand_lots", "supply_lots", "total_bid_lots",
    "total_ask_lots", "bid_marginal_price", "bid_marginal_lots", "ask_marginal_price", "ask_marginal_lots",
    "cleared_orders", "cleared_levels", "placed_orders", "rolled_in", "cancelled_orders", "settled_orders",
    "matched_orders", "rolled_out", "expired_orders", "settled_lots", "quote_amount",
)  # fmt: skip


async def test_a_periodic_markets_epochs_orders_fills_and_curves(db: DB) -> None:
    _, txs = scenario()
    stored = await store(db, new_store(), *txs)
    sigs = [t.signature for t in txs]

    assert await rows(db, Market, "mode", "epoch_secs", "tick_size", "lot_size_wh") == [
        ("periodic", 900, 10_000, 100)
    ]
    # 100 ticks of 10,000 atoms per kWh; lots of 100 Wh
    assert await rows(db, Epoch, *EPOCH_COLUMNS) == [
        (2, 7, 1800, 2700, "Settled", 10_000, 100, 100, 1_000_000, 0, 12, 1_200, 12, 13, 12, 19,
         100, 8, 100, 9, 5, 4, 6, 0, 1, 5, 4, 1, 1, 12, 1_200_000),
        (3, 7, 2700, 3600, "Settled", 10_000, 100, 101, 1_010_000, 100, 1, 100, 2, 1, 3, 1,
         101, 1, 100, 1, 3, 2, 2, 1, 0, 3, 2, 2, 0, 1, 101_000),
        (4, 7, 3600, 4500, "Collecting", 10_000, 100, None, None, None, None, None, None, None, None, None,
         None, None, None, None, None, None, 0, 2, 0, 0, 0, 0, 0, 0, 0),
    ]  # fmt: skip
    positions = (
        "cleared_signature",
        "cleared_slot",
        "cleared_at",
        "settled_signature",
        "settled_slot",
        "settled_at",
    )
    assert await rows(db, Epoch, *positions) == [
        (sigs[9], 19, 2710, sigs[12], 22, 2740),
        (sigs[14], 24, 3610, sigs[15], 25, 3620),
        (None, None, None, None, None, None),
    ]
    # the curves: lots per limit, D(p) bid at p or above, S(p) asked at p or below (the cancelled bid gone)
    assert await rows(
        db, EpochLevel, "epoch", "price", "bid_lots", "ask_lots", "demand_lots", "supply_lots"
    ) == [
        (2, 98, 0, 3, 12, 3),
        (2, 100, 8, 10, 12, 13),
        (2, 105, 4, 0, 4, 13),
        (2, 110, 0, 6, 0, 19),
        (3, 100, 1, 1, 3, 1),
        (3, 101, 2, 0, 2, 1),
        (4, 100, 1, 0, 2, 0),
        (4, 101, 1, 0, 1, 0),
    ]

    assert await rows(
        db, Order, "order_id", "trader", "kind", "self_trade", "lots", "filled_lots", "cancelled_lots",
        "remaining_lots", "state", "epoch", "auction_index", "rollover",
    ) == [
        (0, ALICE, "Auction", None, 10, 10, 0, 0, "Filled", 3, 1, True),
        (1, BOB, "Auction", None, 4, 4, 0, 0, "Filled", 2, 1, True),
        (2, CAROL, "Auction", None, 8, 8, 0, 0, "Filled", 2, 2, True),
        (3, DAVE, "Auction", None, 3, 3, 0, 0, "Filled", 2, 3, False),
        (4, ERIN, "Auction", None, 5, 0, 5, 0, "Cancelled", 2, 4, True),
        (5, FRANK, "Auction", None, 6, 0, 6, 0, "Expired", 2, 5, False),
        (6, GRACE, "Auction", None, 2, 1, 0, 1, "PartiallyFilled", 4, 0, True),
        (7, BOB, "Auction", None, 1, 0, 0, 1, "Active", 4, 1, True),
    ]  # fmt: skip
    history = (
        "signature", "step", "change", "filled_lots", "cancelled_lots", "remaining_lots", "state", "epoch",
        "auction_index",
    )  # fmt: skip
    assert await rows(db, OrderStateChange, *history, order_id=0) == [
        (sigs[1], -1, "placed", 0, 0, 10, "Active", 2, 0),
        (sigs[10], 0, "filled", 9, 0, 1, "PartiallyFilled", 2, 0),
        (sigs[10], 1, "rolled", 0, 0, 1, "PartiallyFilled", 3, 1),
        (sigs[15], 2, "filled", 1, 0, 0, "Filled", 3, 1),
    ]
    assert await rows(db, OrderStateChange, *history, order_id=5) == [
        (sigs[6], -1, "placed", 0, 0, 6, "Active", 2, 5),
        (sigs[12], 1, "expired", 0, 6, 0, "Expired", 2, 5),  # 1st settlement: index 4 was cancelled
    ]
    assert await rows(db, OrderStateChange, "change", "state", "epoch", "auction_index", order_id=7) == [
        ("placed", "Active", 3, 2),
        ("rolled", "Active", 4, 1),
    ]
    assert await rows(db, OrderStateChange, "change", "cancelled_lots", "state", order_id=4) == [
        ("placed", 0, "Active"),
        ("cancelled", 5, "Cancelled"),
    ]

    # auction fills: the order in the maker columns at its maker fee, no taker, the clearing price
    fills = await rows(
        db, Trade, "signature", "step", "zone_id", "maker", "taker", "maker_order_id", "taker_order_id",
        "maker_side", "taker_side", "epoch", "price_ticks", "price", "lots", "energy_wh", "quote_amount",
        "maker_fee", "taker_fee", "timestamp",
    )  # fmt: skip
    assert fills == [
        (sigs[10], 0, 7, ALICE, None, 0, None, "Ask", None, 2, 100, 1_000_000, 9, 900, 900_000, 900, 0, 2720),
        (sigs[10], 1, 7, BOB, None, 1, None, "Bid", None, 2, 100, 1_000_000, 4, 400, 400_000, 400, 0, 2720),
        (sigs[11], 0, 7, CAROL, None, 2, None, "Bid", None, 2, 100, 1_000_000, 8, 800, 800_000, 800, 0, 2730),
        (sigs[11], 1, 7, DAVE, None, 3, None, "Ask", None, 2, 100, 1_000_000, 3, 300, 300_000, 300, 0, 2730),
        (sigs[15], 0, 7, GRACE, None, 6, None, "Bid", None, 3, 101, 1_010_000, 1, 100, 101_000, 101, 0, 3620),
        (sigs[15], 1, 7, ALICE, None, 0, None, "Ask", None, 3, 101, 1_010_000, 1, 100, 101_000, 101, 0, 3620),
    ]  # fmt: skip
    assert await rows(db, Epoch, "fees") == [(2_400,), (202,), (0,)]

    # settlements: refunds and rollovers as the program reports them
    assert await rows(
        db, AuctionSettlement, "epoch", "auction_index", "order_id", "filled_lots", "remaining_lots",
        "rolled_index", "outcome", "quote_released",
    ) == [
        (2, 0, 0, 9, 1, 1, "PartiallyFilledRolled", 0),
        (2, 1, 1, 4, 0, None, "Filled", 4 * 5_000 + fee(420_000, 10) - 400),  # limit 105: 5 ticks back
        (2, 2, 2, 8, 0, None, "Filled", 0),
        (2, 3, 3, 3, 0, None, "Filled", 0),
        (2, 5, 5, 0, 6, None, "Expired", 0),
        (3, 0, 6, 1, 1, 0, "PartiallyFilledRolled", 0),
        (3, 1, 0, 1, 0, None, "Filled", 0),
        (3, 2, 7, 0, 1, 1, "Rolled", 0),
    ]  # fmt: skip

    # price history: each lot once (the bids' fills), the book = the orders waiting in an auction
    assert await rows(
        db, PriceBucket, "bucket_start", "open", "close", "vwap", "volume_wh", "volume_quote", "trade_count",
        "ask_wh", "bid_wh",
    ) == [
        (1800, None, None, None, 0, 0, 0, 1_900, 1_200),
        (2700, 1_000_000, 1_000_000, 1_000_000, 1_200, 1_200_000, 2, 100, 300),
        (3600, 1_010_000, 1_010_000, 1_010_000, 100, 101_000, 1, 0, 200),
    ]  # fmt: skip

    # the feed: a summary per clearing and per chunk, the fills, the waiting orders' changes
    summaries = [s for e in stored for s in e.auctions]
    assert [(s["kind"], s["epoch"], s.get("price"), s["zone_id"]) for s in summaries] == [
        ("cleared", 2, 100, 7), ("settled", 2, 100, 7), ("settled", 2, 100, 7), ("settled", 2, 100, 7),
        ("cleared", 3, 101, 7), ("settled", 3, 101, 7),
    ]  # fmt: skip
    settled = [s for s in summaries if s["kind"] == "settled"]
    keys = (
        "from_index",
        "to_index",
        "done",
        "settled_orders",
        "matched_orders",
        "volume_lots",
        "rolled_orders",
    )
    assert [(*(s[k] for k in keys), s["expired_orders"]) for s in settled] == [
        (0, 2, False, 2, 2, 4, 1, 0), (2, 4, False, 2, 2, 8, 0, 0), (4, 6, True, 1, 0, 0, 0, 1),
        (0, 3, True, 3, 2, 1, 2, 0),
    ]  # fmt: skip
    chunk: StoredEvent = stored[10]
    assert chunk.users == {ALICE, BOB} and chunk.zone == 7
    assert [t["maker"] for t in chunk.trades] == [ALICE, BOB]
    assert [(c["order_id"], c["change"]) for c in chunk.book] == [(0, "filled"), (0, "rolled"), (1, "filled")]

    [*checked] = await _verify(db)
    assert [(r.epoch, r.problems) for r in checked] == [(2, ()), (3, ())]


async def _verify(db: DB, **only: Any) -> list[Any]:
    async with db() as s:
        return await verify_epochs(s, PROGRAM, **only)


async def auction_snapshot(db: DB) -> dict[str, list[dict[str, Any]]]:
    found = await snapshot(db)
    async with db() as s:
        for model in (Epoch, EpochLevel, AuctionSettlement):
            table = model.__table__
            result = await s.execute(select(*(c for c in table.c if c.name != "id")))
            found[table.name] = sorted((dict(r._mapping) for r in result), key=repr)
    return found


async def test_reindexing_in_any_order_or_batching_gives_the_same_tables(db: DB, tmp_path: Path) -> None:
    """Newest first in batches of 3 (chunks before their clearing, rolled orders before their epoch's
    orders, everything before the market), then everything again together and one by one: the tables
    of indexing in order."""
    _, txs = scenario()
    engine = create_engine(f"sqlite+aiosqlite:///{tmp_path / 'reference.db'}")
    try:
        await migrate(engine)
        reference = sessions(engine)
        await store(reference, new_store(), *txs)
        expected = await auction_snapshot(reference)
    finally:
        await engine.dispose()
    assert {name: len(expected[name]) for name in AUCTION_TABLES} == {
        "epochs": 3,
        "epoch_levels": 8,
        "epoch_settlements": 8,
    }
    newest_first = list(reversed(txs))
    s = new_store()
    first = await store(db, s, *newest_first[:3])  # epoch 3's chunk and clearing, before the market
    assert [(e.name, e.zone) for e in first] == [
        ("EpochSettled", None),
        ("EpochCleared", 7),
        ("AuctionOrderPlaced", None),
    ]
    assert await rows(db, Epoch, "epoch", "zone_id", "state", "tick_size") == [
        (3, 7, "Settled", None),
        (4, 7, "Collecting", None),  # the zone as the clearing named it
    ]
    for start in range(3, len(newest_first), 3):
        await store(db, s, *newest_first[start : start + 3])
    assert await auction_snapshot(db) == expected
    await store(db, new_store(), *txs)
    for t in txs:
        await store(db, new_store(), t)
    assert await auction_snapshot(db) == expected
    assert [r.problems for r in await _verify(db)] == [(), ()]


async def test_a_fill_indexed_before_its_clearing_gets_the_price_when_it_comes(db: DB) -> None:
    _, txs = scenario()
    s = new_store()
    await store(db, s, *txs[:9], *txs[10:13])  # epoch 2's chunks, not its clearing
    assert {r[0] for r in await rows(db, Trade, "price_ticks", epoch=2)} == {None}
    # the last chunk says the epoch is settled; its price is not known yet
    assert await rows(db, Epoch, "state", "price", "settled_orders", "settled_lots", epoch=2) == [
        ("Settled", None, 5, 12)
    ]
    await store(db, s, txs[9])
    assert {r[0] for r in await rows(db, Trade, "price_ticks", epoch=2)} == {100}
    assert await rows(db, Epoch, "state", "price", epoch=2) == [("Settled", 100)]


def faulty() -> tuple[list[FetchedTransaction], FetchedTransaction]:
    """A chain that cleared epoch 2 at 97 where the rule gives 100 (and settled at 97) and gave the bid
    below the price a lot; then cleared epoch 3 right (at 97, its reference). And the placement of
    that bid, to index apart."""
    a = Auction(Book(epoch_secs=900))
    created = trading_tx([a.book.created(100)], slot=10)
    alice = trading_tx([a.place(ALICE, "Ask", 95, 5, 1800)], slot=11)  # index 0
    unseen = trading_tx([a.place(CAROL, "Bid", 99, 2, 1805)], slot=12)  # index 1
    txs = [
        created,
        alice,
        trading_tx([a.place(BOB, "Bid", 100, 5, 1810)], slot=13),  # index 2
        trading_tx([a.clear(2, 2710, price=97)], slot=14),
        trading_tx([a.settle(2, 64, 2720, fills={1: 1})], slot=15),
        trading_tx([a.place(ALICE, "Ask", 95, 5, 2800)], slot=16),
        trading_tx([a.place(BOB, "Bid", 100, 5, 2810)], slot=17),
        trading_tx([a.clear(3, 3610)], slot=18),
    ]
    return txs, unseen


async def test_the_verification_names_what_does_not_match_the_order_events(db: DB) -> None:
    txs, unseen = faulty()
    await store(db, new_store(), *txs)
    [two, three] = await _verify(db)
    assert (two.epoch, two.problems[0]) == (2, "orders at index 1 are not in the indexed events")
    assert three.ok
    await store(db, new_store(), unseen)
    [two, three] = await _verify(db)
    # 5 asked at 95, 2 bid at 99 and 5 at 100: only at 100 is supply = demand
    assert two.problems == (
        "EpochCleared.price is 97, the order events give 100",
        "order at index 1 traded 1 lots, the rule allots 0",
        "settled bids traded 6 lots and asks 5, the volume is 5",
    )
    assert three.ok  # cleared at 97: the reference, the previous clearing with volume

    # the projection is checked too: a tampered epochs row and a lost level
    async with db() as s, s.begin():
        await s.execute(update(Epoch).where(Epoch.epoch == 3).values(volume_lots=4))
        await s.execute(delete(EpochLevel).where(EpochLevel.epoch == 3, EpochLevel.price == 95))
    [three] = await _verify(db, epoch=3)
    assert three.problems == (
        "epochs.volume_lots is 4, EpochCleared has 5",
        "epoch_levels do not hold the curves of the order events",
    )


async def _index(url: str, txs: list[FetchedTransaction]) -> str:
    """Stores ``txs`` into the database at ``url``; returns the market of their first EpochCleared."""
    engine = create_engine(url)
    try:
        await migrate(engine)
        await store(sessions(engine), new_store(), *txs)
        async with sessions(engine)() as s:
            market = await s.scalar(
                select(Event.data["market"].as_string())
                .where(Event.name == "EpochCleared")
                .order_by(Event.id.desc())
            )
        return str(market)
    finally:
        await engine.dispose()


def test_verify_epochs_command(tmp_path: Path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'cli.db'}"
    asyncio.run(_index(url, scenario()[1]))
    result = CliRunner().invoke(indexer, ["verify-epochs", "--db", url])
    assert result.exit_code == 0, result.output
    assert result.output == "2 cleared epoch(s) verified: each matches its order events\n"

    market = asyncio.run(_index(url, faulty()[0]))  # a second market, its epoch 2 missing an order
    result = CliRunner().invoke(indexer, ["verify-epochs", "--db", url, "--market", market, "--epoch", "2"])
    assert isinstance(result.exception, UserFacingError)
    assert str(result.exception) == "1 of 1 cleared epoch(s) do not match their order events"
    assert result.output.startswith(
        f"market {market} epoch 2: orders at index 1 are not in the indexed events\n"
    )
    as_json = CliRunner().invoke(indexer, ["verify-epochs", "--db", url, "--json"])
    assert as_json.exit_code == 1
    verdicts = json.loads(as_json.output)
    assert sorted((v["epoch"], v["market"] == market, bool(v["problems"])) for v in verdicts) == [
        (2, False, False),
        (2, True, True),
        (3, False, False),
        (3, True, False),
    ]


@pytest.mark.parametrize("epoch_secs", [900, 60])
async def test_an_epoch_without_a_crossing_clears_at_no_price_and_refunds_or_rolls(
    db: DB, epoch_secs: int
) -> None:
    """No bid reaches an ask: price 0, nothing trades, the no-rollover order is refunded, the other rolls;
    epochs of another length number the same way (E = time // epoch_secs)."""
    a = Auction(Book(epoch_secs=epoch_secs))
    t = 10 * epoch_secs
    txs = [
        trading_tx([a.book.created(0)], slot=10),
        trading_tx([a.place(ALICE, "Ask", 120, 5, t + 1)], slot=11),
        trading_tx([a.place(BOB, "Bid", 110, 5, t + 2, rollover=False)], slot=12),
        trading_tx([a.clear(10, t + epoch_secs)], slot=13),
        trading_tx([a.settle(10, 64, t + epoch_secs + 1)], slot=14),
    ]
    await store(db, new_store(), *txs)
    columns = (
        "epoch",
        "starts_at",
        "ends_at",
        "state",
        "price",
        "price_per_kwh",
        "volume_lots",
        "rolled_out",
    )
    assert await rows(db, Epoch, *columns, "expired_orders") == [
        (10, t, t + epoch_secs, "Settled", 0, 0, 0, 1, 1),
        (11, t + epoch_secs, t + 2 * epoch_secs, "Collecting", None, None, None, 0, 0),
    ]  # fmt: skip
    assert await rows(db, Order, "order_id", "state", "epoch", "remaining_lots") == [
        (0, "Active", 11, 5),
        (1, "Expired", 10, 0),
    ]
    assert await rows(db, Trade, "id") == []
    assert [r.problems for r in await _verify(db)] == [()]


async def test_one_batch_mixing_a_continuous_and_a_periodic_market(db: DB) -> None:
    """A catch-up batch (e.g. from a real validator's history) holding a continuous market's order and a
    periodic market's: the rows of one insert differ in the auction columns, and both are stored."""
    continuous = Book()
    a = Auction(Book(epoch_secs=900))
    txs = [
        trading_tx([continuous.created(100)], slot=10, decimals=[(continuous.quote_mint, 6)]),
        trading_tx([a.book.created(100)], slot=11, decimals=[(a.book.quote_mint, 6)]),
        trading_tx([continuous.place(ALICE, "Bid", 100, 4, 1800)], slot=12),
        trading_tx([a.place(BOB, "Ask", 100, 3, 1810)], slot=13),
    ]
    await store(db, new_store(), *txs)
    async with db() as session:
        stored = (await session.execute(select(Order.market, Order.kind, Order.epoch))).all()
    assert sorted(stored, key=lambda r: r.kind) == [
        (a.book.market, "Auction", 2),
        (continuous.market, "Limit", None),
    ]
