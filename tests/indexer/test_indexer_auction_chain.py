"""The call-auction tables against the chain: a periodic market on the local node (the workspace
programs at genesis) driven with the SDK, two epochs cleared and settled in chunks by the SDK's crank,
indexed live by ``solgrid indexer run``'s service into SQLite and compared with the market and epoch
accounts; the same transactions stored into a real PostgreSQL, twice and one by one, give the same
tables; the verification recomputes both clearings from the indexed order events."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from indexer_support import DbView, eventually, running, store
from solana.rpc.async_api import AsyncClient
from solana.rpc.commitment import Confirmed
from solders.keypair import Keypair
from test_indexer_auction import auction_snapshot
from test_indexer_trading import new_store
from test_indexer_trading_chain import LOT_WH, TICK, ZONE, Run, drain, open_market, trading
from trading_events import PROGRAM
from websockets.asyncio.client import connect

from solgrid.indexer.chain import RpcChainReader
from solgrid.indexer.db import create_engine, migrate, sessions
from solgrid.indexer.models import AuctionSettlement, Epoch, EpochLevel, Market, Order, Trade
from solgrid.indexer.service import IndexerConfig
from solgrid.indexer.store import FetchedTransaction
from solgrid.indexer.verify import verify_epochs
from solgrid.localnet.background import BackgroundNode
from solgrid.sdk.registry import UserRole
from solgrid.sdk.trading.crank import crank_epoch
from solgrid.sdk.trading.events import AuctionOrderPlaced
from solgrid.sdk.trading.trades import send_and_events
from solgrid.sdk.trading.units import EpochState, Side

EPOCH_SECS = 900


class Auctions:
    """The periodic market's traders and what they placed (each order's AuctionOrderPlaced)."""

    def __init__(self, run: Run) -> None:
        self.run = run
        self.placed: list[AuctionOrderPlaced] = []

    async def place(self, wallet: Keypair, side: Side, price: int, lots: int, rollover: bool = True) -> None:
        ix = trading.place_auction_order(
            trader=wallet.pubkey(),
            market=self.run.market,
            zone_id=ZONE,
            seat=self.run.seats[wallet.pubkey()],
            side=side,
            price=price,
            lots=lots,
            rollover=rollover,
        )
        landed, events = await send_and_events(self.run.rpc, trading, [ix], wallet)
        self.run.signatures.append(str(landed.signature))
        [event] = [e for e in events if isinstance(e, AuctionOrderPlaced)]
        self.placed.append(event)

    async def cancel(self, wallet: Keypair, event: AuctionOrderPlaced) -> None:
        ix = trading.cancel_auction_order(
            trader=wallet.pubkey(),
            market=self.run.market,
            zone_id=ZONE,
            seat=self.run.seats[wallet.pubkey()],
            epoch=event.epoch,
            index=event.index,
            order_id=event.order_id,
        )
        await self.run.send([ix], wallet)

    async def crank(self, epoch: int, chunk: int) -> None:
        report = await crank_epoch(
            self.run.rpc, trading, self.run.market, epoch, self.run.authority, chunk=chunk
        )
        assert report.settled and report.cleared is not None and report.lost_races == 0
        self.run.signatures += report.signatures

    async def past_the_end_of(self, epoch: int) -> None:
        await self.run.advance((epoch + 1) * EPOCH_SECS - await self.run.now() + 5)


async def auction(run: Run) -> tuple[int, dict[str, Keypair]]:
    """Epoch E: six orders (a cancel, a refund, a partial fill that rolls), cranked in chunks of 2 after
    an order of E + 1 was placed; epoch E + 1 cranked in one chunk, two orders rolling into E + 2."""
    base, quote = await open_market(run, epoch_secs=EPOCH_SECS)
    grid = 100 * LOT_WH * 10**6
    alice = await run.trader(UserRole.PROSUMER, {base: grid})
    dave = await run.trader(UserRole.PROSUMER, {base: grid})
    bob = await run.trader(UserRole.CONSUMER, {quote: 10**9})
    carol = await run.trader(UserRole.CONSUMER, {quote: 10**9})
    a = Auctions(run)
    epoch = await run.now() // EPOCH_SECS
    if (epoch + 1) * EPOCH_SECS - await run.now() < 60:  # room for the orders in one epoch
        await a.past_the_end_of(epoch)
        epoch += 1
    await a.place(alice, Side.ASK, 120, 10)  # 0: 9 of 10 traded, 1 rolls
    await a.place(bob, Side.BID, 125, 4)  # 1: filled
    await a.place(carol, Side.BID, 120, 8)  # 2: filled at the marginal price
    await a.place(dave, Side.ASK, 118, 3, rollover=False)  # 3: filled
    await a.place(bob, Side.BID, 100, 5)  # 4: cancelled
    await a.place(dave, Side.ASK, 130, 6, rollover=False)  # 5: refunded
    await a.cancel(bob, a.placed[4])
    assert {e.epoch for e in a.placed} == {epoch} and [e.index for e in a.placed] == list(range(6))
    await a.past_the_end_of(epoch)
    await a.place(carol, Side.BID, 121, 2)  # E + 1's index 0, before E's settlement rolls alice's in
    await a.crank(epoch, chunk=2)
    await a.place(bob, Side.BID, 120, 1)  # E + 1's index 2
    await a.past_the_end_of(epoch + 1)
    await a.crank(epoch + 1, chunk=64)
    return epoch, {"alice": alice, "bob": bob, "carol": carol, "dave": dave}


async def test_a_periodic_market_on_the_node_is_indexed_as_its_accounts_show_it(
    trading_node: tuple[BackgroundNode, Keypair], tmp_path: Path, pg_db: str
) -> None:
    background, authority = trading_node
    db_url = f"sqlite+aiosqlite:///{tmp_path / 'auction.db'}"
    config = IndexerConfig(
        db_url=db_url, rpc_url=background.rpc_url, ws_url=background.ws_url, feed_port=0, poll_interval=0.5
    )
    view = DbView(db_url)
    try:
        async with running(config) as service, AsyncClient(background.rpc_url, Confirmed) as rpc:
            async with connect(f"ws://127.0.0.1:{service.feed.port}") as feed:
                await feed.send(json.dumps({"op": "subscribe", "id": "a", "filter": {"auctions": ZONE}}))
                assert json.loads(await feed.recv())["type"] == "subscribed"
                run = Run(rpc, background.rpc_url, authority)
                epoch, traders = await auction(run)
                await eventually(lambda: view.has_all(run.signatures), "every transaction indexed")
                frames = await drain(feed)
            state = await trading.fetch_market(rpc, run.market)
            assert state is not None
            accounts = {a.header.epoch: a for a in await trading.fetch_epochs(rpc, state)}
        await check(view, run, epoch, state, accounts, traders, frames)
        async with view.sessions() as s:
            verified = await verify_epochs(s, PROGRAM)
        assert [(r.epoch, r.problems) for r in verified] == [(epoch, ()), (epoch + 1, ())]
        indexed = await auction_snapshot(view.sessions)
    finally:
        await view.close()

    # the same transactions from the node, stored into PostgreSQL: the same tables, however often
    async with RpcChainReader(background.rpc_url) as chain:
        fetched: list[FetchedTransaction] = []
        for signature in run.signatures:
            tx = await chain.transaction(signature)
            assert tx is not None
            fetched.append(tx)
    engine = create_engine(pg_db)
    try:
        await migrate(engine)
        pg = sessions(engine)
        await store(pg, new_store(), *fetched)
        assert await auction_snapshot(pg) == indexed
        await store(pg, new_store(), *fetched)
        for tx in reversed(fetched):
            await store(pg, new_store(), tx)
        assert await auction_snapshot(pg) == indexed
        async with pg() as s:
            assert all(r.ok for r in await verify_epochs(s, PROGRAM))
    finally:
        await engine.dispose()


async def check(
    view: DbView,
    run: Run,
    epoch: int,
    state: Any,
    accounts: dict[int, Any],
    traders: dict[str, Keypair],
    frames: list[dict[str, Any]],
) -> None:
    header = state.header
    alice, bob, carol, dave = (str(traders[n].pubkey()) for n in ("alice", "bob", "carol", "dave"))
    [market] = await view.rows(Market)
    assert (market.mode, market.epoch_secs) == ("periodic", EPOCH_SECS) == ("periodic", header.epoch_secs)

    # E + 1 is settled in its account; E + 2 collects the two rolled orders; E's account was reused
    settled, collecting = accounts[epoch + 1], accounts[epoch + 2]
    assert settled.header.state is EpochState.SETTLED and collecting.header.state is EpochState.COLLECTING
    rows = {e.epoch: e for e in await view.rows(Epoch)}
    assert sorted(rows) == [epoch, epoch + 1, epoch + 2]
    h = settled.header
    e1 = rows[epoch + 1]
    assert (e1.price, e1.volume_lots, e1.demand_lots, e1.supply_lots, e1.reference_price) == (
        h.clearing_price, h.volume_lots, h.demand_lots, h.supply_lots, h.reference_price
    ) == (121, 1, 2, 1, 120)  # fmt: skip
    assert (e1.total_bid_lots, e1.total_ask_lots, e1.bid_marginal_price, e1.ask_marginal_price) == (
        h.total_bid_lots, h.total_ask_lots, h.bid_marginal_price, h.ask_marginal_price
    )  # fmt: skip
    assert (e1.fees, e1.matched_orders, e1.rolled_out, e1.rolled_in, e1.cleared_at, e1.settled_at) == (
        h.fees, h.matched_orders, h.rolled_orders, h.rolled_in, h.cleared_at, h.settled_at
    )  # fmt: skip
    assert (e1.state, e1.starts_at, e1.ends_at, e1.price_per_kwh, e1.volume_wh) == (
        "Settled", h.starts_at, h.ends_at, 121 * TICK, LOT_WH
    )  # fmt: skip
    e0 = rows[epoch]
    assert (e0.state, e0.price, e0.volume_lots, e0.cleared_orders, e0.cleared_levels, e0.reference_price) == (
        "Settled", 120, 12, 5, 4, 0
    )  # fmt: skip
    assert (e0.placed_orders, e0.cancelled_orders, e0.settled_orders, e0.matched_orders) == (6, 1, 5, 4)
    assert (e0.rolled_out, e0.expired_orders, e0.settled_lots) == (1, 1, 12)
    assert (
        rows[epoch + 2].state == "Collecting"
        and rows[epoch + 2].rolled_in == collecting.header.rolled_in == 2
    )

    # the curves of E + 2 are its account's levels
    levels = sorted(
        (lv for lv in await view.rows(EpochLevel) if lv.epoch == epoch + 2), key=lambda lv: lv.price
    )
    assert [(lv.price, lv.bid_lots, lv.ask_lots) for lv in levels] == [
        (lv.price, lv.bid_lots, lv.ask_lots) for lv in collecting.levels
    ]

    # orders: where each is, as the accounts hold them
    orders = sorted(await view.rows(Order), key=lambda o: o.order_id)
    assert [
        (o.trader, o.kind, o.state, o.filled_lots, o.cancelled_lots, o.remaining_lots) for o in orders
    ] == [
        (alice, "Auction", "Filled", 10, 0, 0),
        (bob, "Auction", "Filled", 4, 0, 0),
        (carol, "Auction", "Filled", 8, 0, 0),
        (dave, "Auction", "Filled", 3, 0, 0),
        (bob, "Auction", "Cancelled", 0, 5, 0),
        (dave, "Auction", "Expired", 0, 6, 0),
        (carol, "Auction", "PartiallyFilled", 1, 0, 1),
        (bob, "Auction", "Active", 0, 0, 1),
    ]
    waiting = {(o.order_id, epoch + 2, o.index, o.lots) for o in collecting.live}
    assert {
        (o.order_id, o.epoch, o.auction_index, o.remaining_lots) for o in orders if o.remaining_lots
    } == waiting

    # fills: each lot once on each side; the bids' add up to the market's counters
    fills = await view.rows(Trade)
    bids = [t for t in fills if t.maker_side == "Bid"]
    asks = [t for t in fills if t.maker_side == "Ask"]
    assert sum(t.lots for t in bids) == sum(t.lots for t in asks) == 13
    assert len(bids) == header.trade_count
    assert sum(t.base_amount for t in bids) == header.base_volume
    assert sum(t.quote_amount for t in bids) == header.quote_volume
    assert sum(t.maker_fee for t in fills) == header.fees_accrued
    assert {(t.epoch, t.price_ticks, t.price, t.taker) for t in fills} == {
        (epoch, 120, 120 * TICK, None),
        (epoch + 1, 121, 121 * TICK, None),
    }
    settlements = await view.rows(AuctionSettlement)
    assert len(settlements) == 5 + 3
    assert header.last_clearing_price == 121 and header.auctions_settled == 2

    # the feed: each clearing and each chunk of the zone
    pushed = [(f["auction"]["kind"], f["auction"]["epoch"]) for f in frames if f["type"] == "auction"]
    assert pushed == [
        ("cleared", epoch),
        *[("settled", epoch)] * 3,
        ("cleared", epoch + 1),
        ("settled", epoch + 1),
    ]
