"""The trading tables against the chain: real trades on the local node (the workspace programs at
genesis), indexed live by ``solgrid indexer run``'s service, compared with the market account.

The run covers each kind of order change: a partial fill, a maker filled, an IOC whose remainder is
cancelled after it met an expired ask (lazy expiry), a cancel, a prune, a self-trade decrement, plus
grow_market (its MarketGrown stored as a plain event), a market update and fee collection.
Registering a trader, verifying it and claiming its seat go in one transaction, so the registry's
catch-up may store it first (the tables do not depend on which program's catch-up stores what)."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

import aiohttp
from indexer_support import DbView, eventually, running
from solana.rpc.async_api import AsyncClient
from solana.rpc.commitment import Confirmed
from solders.instruction import Instruction
from solders.keypair import Keypair
from solders.pubkey import Pubkey
from solders.system_program import CreateAccountParams, create_account
from solders.sysvar import CLOCK
from spl.token.constants import TOKEN_PROGRAM_ID
from spl.token.instructions import (
    InitializeMintParams,
    MintToParams,
    create_associated_token_account,
    get_associated_token_address,
    initialize_mint,
    mint_to,
)
from websockets.asyncio.client import connect

from node_market import funded
from solgrid.indexer.models import Event, Market, Order, OrderStateChange, PriceBucket, Trade, Transaction
from solgrid.indexer.service import IndexerConfig
from solgrid.localnet.background import BackgroundNode
from solgrid.sdk.registry import Limits, RegistryClient, UserRole
from solgrid.sdk.trading import MarketParams, MarketState, TradingClient
from solgrid.sdk.trading.units import MarketStatus, OrderKind, SelfTradeMode, Side
from solgrid.sdk.transactions import send_and_confirm

ZONE = 4
TICK, LOT_WH = 10_000, 100
"""0.01 of the 6-decimal quote per kWh; lots of 0.1 kWh."""
registry, trading = RegistryClient(), TradingClient()


class Run:
    """The regulator/upgrade authority, the market, and every transaction landed (in order)."""

    def __init__(self, rpc: AsyncClient, rpc_url: str, authority: Keypair) -> None:
        self.rpc, self.url, self.authority = rpc, rpc_url, authority
        self.me = authority.pubkey()
        self.signatures: list[str] = []
        self.grown = ""
        """The grow_market transaction."""
        self.market = Pubkey.default()
        self.seats: dict[Pubkey, int] = {}

    async def send(self, ixs: list[Instruction], payer: Keypair, *signers: Keypair) -> str:
        landed = await send_and_confirm(self.rpc, ixs, payer, list(signers), coders=[trading.coder])
        self.signatures.append(str(landed.signature))
        return str(landed.signature)

    async def mint(self, decimals: int) -> Pubkey:
        mint = Keypair()
        lamports = (await self.rpc.get_minimum_balance_for_rent_exemption(82)).value
        create = CreateAccountParams(
            from_pubkey=self.me, to_pubkey=mint.pubkey(), lamports=lamports, space=82, owner=TOKEN_PROGRAM_ID
        )
        init = InitializeMintParams(
            decimals=decimals, program_id=TOKEN_PROGRAM_ID, mint=mint.pubkey(), mint_authority=self.me
        )
        await send_and_confirm(
            self.rpc, [create_account(create), initialize_mint(init)], self.authority, [mint]
        )
        return mint.pubkey()

    async def trader(self, role: UserRole, funds: dict[Pubkey, int]) -> Keypair:
        """A verified user of ZONE with a seat (one transaction: registry and trading), tokens deposited."""
        wallet = await funded(self.rpc)
        key = wallet.pubkey()
        ixs = [
            registry.register_user(payer=key, authority=key, role=role, zone_id=ZONE),
            registry.verify_user(regulator=self.me, wallet=key),
            trading.claim_seat(trader=key, market=self.market),
        ]
        for mint, amount in funds.items():
            ixs.append(create_associated_token_account(self.me, key, mint))
            dest = get_associated_token_address(key, mint)
            ixs.append(
                mint_to(
                    MintToParams(
                        program_id=TOKEN_PROGRAM_ID,
                        mint=mint,
                        dest=dest,
                        mint_authority=self.me,
                        amount=amount,
                    )
                )
            )
        await self.send(ixs, self.authority, wallet)
        state = await self.state()
        seat = state.seat_of(key)
        assert seat is not None
        self.seats[key] = seat.index
        vaults = {
            state.header.base_mint: state.header.base_vault,
            state.header.quote_mint: state.header.quote_vault,
        }
        await self.send(
            [
                trading.deposit(
                    trader=key,
                    market=self.market,
                    seat=seat.index,
                    vault=vaults[mint],
                    source=get_associated_token_address(key, mint),
                    amount=amount,
                )
                for mint, amount in funds.items()
            ],
            wallet,
        )
        return wallet

    async def place(self, wallet: Keypair, side: Side, price: int, lots: int, **extra: Any) -> str:
        ix = trading.place_order(
            trader=wallet.pubkey(),
            market=self.market,
            zone_id=ZONE,
            seat=self.seats[wallet.pubkey()],
            side=side,
            price=price,
            lots=lots,
            **extra,
        )
        return await self.send([ix], wallet)

    async def state(self) -> MarketState:
        state = await trading.fetch_market(self.rpc, self.market)
        assert state is not None
        return state

    async def now(self) -> int:
        clock = (await self.rpc.get_account_info(CLOCK)).value
        assert clock is not None
        return int.from_bytes(bytes(clock.data)[32:40], "little", signed=True)

    async def advance(self, seconds: int) -> None:
        body = {"jsonrpc": "2.0", "id": 1, "method": "solgrid_advanceTime", "params": [seconds]}
        async with aiohttp.ClientSession() as http, http.post(self.url, json=body) as response:
            assert "result" in await response.json()


async def open_market(run: Run, epoch_secs: int = 0) -> tuple[Pubkey, Pubkey]:
    """Registry, zone ZONE, GRID and a 6-decimal quote mint, the trading program and the zone's market
    (continuous, or periodic with ``epoch_secs``); returns (base, quote) mints."""
    me, authority = run.me, run.authority
    await run.rpc.confirm_transaction((await run.rpc.request_airdrop(me, 10**11)).value, Confirmed)
    await run.send(
        [
            registry.initialize(payer=me, authority=me, limits=Limits()),
            registry.set_regulators(regulators=[me], threshold=1, cosigners=[me]),
            registry.create_zone(
                payer=me, zone_id=ZONE, name="trading", max_capacity_kw=1_000, cosigners=[me]
            ),
        ],
        authority,
    )
    base, quote = await run.mint(9), await run.mint(6)
    await run.send([trading.initialize(payer=me, authority=me, base_mint=base)], authority)
    params = MarketParams(
        tick_size=TICK, lot_size_wh=LOT_WH, fee_recipient=me, taker_fee_bps=25, maker_fee_bps=10
    )
    await run.send(
        [
            trading.create_market(
                payer=me,
                zone_id=ZONE,
                base_mint=base,
                quote_mint=quote,
                params=params,
                cosigners=[me],
                epoch_secs=epoch_secs,
            )
        ],
        authority,
    )
    run.market = trading.market_pda(ZONE, quote).address
    return base, quote


async def trade(run: Run) -> dict[str, Keypair]:
    me, authority = run.me, run.authority
    base, quote = await open_market(run)
    alice = await run.trader(UserRole.PROSUMER, {base: 2_000 * LOT_WH * 10**6, quote: 10**9})
    bob = await run.trader(UserRole.CONSUMER, {quote: 10**9})
    carol = await run.trader(UserRole.CONSUMER, {quote: 10**9})

    now = await run.now()
    await run.place(alice, Side.ASK, 120, 1_000)  # 0: partly filled by bob, then filled by carol
    await run.place(alice, Side.ASK, 121, 300, expires_at=now + 60)  # 1: expires, removed by carol's IOC
    await run.place(bob, Side.BID, 125, 400)  # 2: takes 400 of order 0
    await run.advance(120)
    await run.place(
        carol, Side.BID, 130, 800, kind=OrderKind.IMMEDIATE_OR_CANCEL
    )  # 3: 600 filled, 200 dropped
    await run.place(bob, Side.BID, 110, 200)  # 4: cancelled
    await run.send(
        [
            trading.cancel_order(
                trader=bob.pubkey(),
                market=run.market,
                seat=run.seats[bob.pubkey()],
                side=Side.BID,
                price=110,
                order_id=4,
            )
        ],
        bob,
    )
    await run.place(alice, Side.ASK, 140, 100, expires_at=await run.now() + 60)  # 5: pruned
    await run.advance(120)
    await run.send([trading.prune_expired(market=run.market)], bob)
    await run.place(alice, Side.ASK, 150, 100)  # 6: decremented by her own bid to 60
    await run.place(alice, Side.BID, 150, 40, self_trade=SelfTradeMode.DECREMENT_BOTH)  # 7: cancelled
    await run.place(carol, Side.BID, 100, 50)  # 8: rests
    grow = trading.grow_market(payer=me, market=run.market, extra_seats=1, extra_orders=8)
    run.grown = await run.send([grow], authority)
    await run.send(
        [
            trading.update_market(
                market=run.market,
                tick_size=TICK,
                lot_size_wh=LOT_WH,
                min_order_lots=1,
                taker_fee_bps=30,
                maker_fee_bps=10,
                max_orders_per_epoch=100,
                fee_recipient=me,
                status=MarketStatus.ACTIVE,
                cosigners=[me],
            )
        ],
        authority,
    )
    destination = get_associated_token_address(me, quote)
    state = await run.state()
    await run.send(
        [
            create_associated_token_account(me, me, quote),
            trading.collect_fees(
                fee_recipient=me,
                market=run.market,
                quote_vault=state.header.quote_vault,
                destination=destination,
            ),
        ],
        authority,
    )
    return {"alice": alice, "bob": bob, "carol": carol}


async def test_real_trades_are_indexed_as_the_market_account_shows_them(
    trading_node: tuple[BackgroundNode, Keypair], tmp_path: Path
) -> None:
    background, authority = trading_node
    db_url = f"sqlite+aiosqlite:///{tmp_path / 'trading.db'}"
    config = IndexerConfig(
        db_url=db_url, rpc_url=background.rpc_url, ws_url=background.ws_url, feed_port=0, poll_interval=0.5
    )
    view = DbView(db_url)
    try:
        async with running(config) as service, AsyncClient(background.rpc_url, Confirmed) as rpc:
            async with connect(f"ws://127.0.0.1:{service.feed.port}") as feed:
                for sid, topic in (("t", {"trades": ZONE}), ("b", {"book": ZONE})):
                    await feed.send(json.dumps({"op": "subscribe", "id": sid, "filter": topic}))
                    assert json.loads(await feed.recv())["type"] == "subscribed"
                run = Run(rpc, background.rpc_url, authority)
                traders = await trade(run)
                await eventually(lambda: view.has_all(run.signatures), "every transaction indexed")
                frames = await drain(feed)
            state = await run.state()
            now = await run.now()
        await check(view, run, state, now, traders, frames)
    finally:
        await view.close()


async def drain(feed: Any) -> list[dict[str, Any]]:
    got = []
    while True:
        try:
            got.append(json.loads(await asyncio.wait_for(feed.recv(), 1.0)))
        except TimeoutError:
            return got


async def check(
    view: DbView,
    run: Run,
    state: MarketState,
    now: int,
    traders: dict[str, Keypair],
    frames: list[dict[str, Any]],
) -> None:
    header = state.header
    alice, bob, carol = (str(traders[n].pubkey()) for n in ("alice", "bob", "carol"))
    [market] = await view.rows(Market)
    assert (market.address, market.zone_id, market.base_mint, market.quote_mint, market.quote_decimals) == (
        str(run.market),
        ZONE,
        str(header.base_mint),
        str(header.quote_mint),
        header.quote_decimals,
    )
    assert (market.tick_size, market.lot_size_wh, market.min_order_lots, market.max_orders_per_epoch) == (
        header.tick_size,
        header.lot_size_wh,
        header.min_order_lots,
        header.max_orders_per_epoch,
    )
    assert (market.taker_fee_bps, market.maker_fee_bps, market.status) == (30, header.maker_fee_bps, "Active")
    assert header.taker_fee_bps == 30 and market.quote_decimals == 6

    # every order the market numbered is a row; what rests is exactly the chain's book
    orders = sorted(await view.rows(Order), key=lambda o: o.order_id)
    assert [o.order_id for o in orders] == list(range(header.next_order_id))
    resting = {(o.order_id, o.side.name.title(), o.price, o.lots) for o in (*state.bids, *state.asks)}
    assert {(o.order_id, o.side, o.price, o.remaining_lots) for o in orders if o.remaining_lots} == resting
    assert [(o.trader, o.state, o.filled_lots, o.cancelled_lots, o.remaining_lots) for o in orders] == [
        (alice, "Filled", 1_000, 0, 0),
        (alice, "Expired", 0, 300, 0),
        (bob, "Filled", 400, 0, 0),
        (carol, "Cancelled", 600, 200, 0),
        (bob, "Cancelled", 0, 200, 0),
        (alice, "Expired", 0, 100, 0),
        (alice, "Active", 0, 40, 60),
        (alice, "Cancelled", 0, 40, 0),
        (carol, "Active", 0, 0, 50),
    ]
    history = sorted(await view.rows(OrderStateChange), key=lambda c: (c.slot, c.id))
    changes = {o.order_id: [c.change for c in history if c.order_id == o.order_id] for o in orders}
    assert changes == {
        0: ["placed", "filled", "filled"],
        1: ["placed", "expired"],
        2: ["placed"],
        3: ["placed"],
        4: ["placed", "cancelled"],
        5: ["placed", "expired"],
        6: ["placed", "self_trade_decremented"],
        7: ["placed"],
        8: ["placed"],
    }

    # the trades add up to the market's counters
    trades = sorted(await view.rows(Trade), key=lambda t: (t.slot, t.id))
    assert len(trades) == header.trade_count == 2
    assert sum(t.base_amount for t in trades) == header.base_volume
    assert sum(t.quote_amount for t in trades) == header.quote_volume
    assert sum(t.maker_fee + t.taker_fee for t in trades) == header.fees_accrued + header.fees_collected
    assert header.fees_accrued == 0 and header.fees_collected > 0
    assert [
        (t.maker, t.taker, t.maker_order_id, t.taker_order_id, t.price_ticks, t.price, t.lots, t.energy_wh)
        for t in trades
    ] == [
        (alice, bob, 0, 2, 120, 120 * TICK, 400, 400 * LOT_WH),
        (alice, carol, 0, 3, 120, 120 * TICK, 600, 600 * LOT_WH),
    ]
    assert {t.zone_id for t in trades} == {ZONE}

    # the last price bucket's book is the chain's (no expired order is left resting)
    buckets = sorted(await view.rows(PriceBucket), key=lambda b: b.bucket_start)
    assert sum(b.trade_count for b in buckets) == 2 and sum(b.volume_wh for b in buckets) == 1_000 * LOT_WH
    bids, asks = state.depth(now=now)
    assert (
        (buckets[-1].ask_wh, buckets[-1].bid_wh)
        == (
            sum(level.lots for level in asks) * LOT_WH,
            sum(level.lots for level in bids) * LOT_WH,
        )
        == (60 * LOT_WH, 50 * LOT_WH)
    )

    # grow_market emitted its one MarketGrown through its self-CPI, stored in `events` only
    [grown] = await view.rows(Transaction, Transaction.signature == run.grown)
    assert grown.succeeded and grown.event_count == 1 and not grown.logs_truncated
    [event] = await view.rows(Event, Event.signature == run.grown)
    assert (event.name, event.data["market"], event.data["payer"]) == (
        "MarketGrown",
        str(run.market),
        str(run.me),
    )
    assert (event.data["extra_seats"], event.data["extra_orders"]) == (1, 8)
    assert event.data["lamports_paid"] > 0 and event.data["order_capacity"] >= 8

    # the feed pushed each trade and each book change of the zone, as stored
    pushed = [f["trade"] for f in frames if f["type"] == "trade"]
    assert [(t["signature"], t["step"], t["lots"]) for t in pushed] == [
        (t.signature, t.step, t.lots) for t in trades
    ]
    book = [(f["book"]["order_id"], f["book"]["change"]) for f in frames if f["type"] == "book"]
    assert book == [
        (0, "placed"), (1, "placed"), (0, "filled"), (0, "filled"), (1, "expired"), (4, "placed"),
        (4, "cancelled"), (5, "placed"), (5, "expired"), (6, "placed"), (6, "self_trade_decremented"),
        (8, "placed"),
    ]  # fmt: skip
