"""Orders in LiteSVM: place_order (every kind, matching with price-time priority, fees, self-trade
modes, expiry, client order ids, the epoch limit, who may trade, growth of the book), cancel_order and
prune_expired, every success path and each failure with its exact error.

The harness market has 1 Wh lots and 1,000-atom ticks per kWh: a lot at ``p`` ticks costs ``p`` quote
atoms, and a lot is 10^6 base atoms. Fees: taker 25 bps, maker 0 unless a test sets it.
"""

from __future__ import annotations

import random

import pytest
from instruction_edits import with_data, with_meta
from registry_harness import T0
from solders.pubkey import Pubkey
from trading_harness import Trader, TradingEnv, code

from solgrid.sdk.registry import UserRole, ZoneStatus
from solgrid.sdk.trading import (
    Fill,
    MarketParams,
    OrderKind,
    OrderPlaced,
    OrderState,
    Removal,
    RemovalReason,
    SelfTradeMode,
    Side,
)
from solgrid.sdk.trading.events import OrderCancelled, OrdersExpired
from solgrid.sdk.trading.units import EPOCH_SECS, MAX_PRICE_TICKS, fee

LOT = 10**6
"""Base atoms per lot (1 Wh)."""
GRID = 10**9
ORDER_LEN = 56
BID, ASK = Side.BID, Side.ASK
LIMIT, POST_ONLY, IOC = OrderKind.LIMIT, OrderKind.POST_ONLY, OrderKind.IMMEDIATE_OR_CANCEL
OTHER_ZONE = 8
# Offsets in place_order's data (discriminator, seat u32, then the enum bytes).
SIDE_AT, KIND_AT, SELF_TRADE_AT = 12, 13, 14


@pytest.fixture
def market(trading: TradingEnv) -> Pubkey:
    return trading.create_market()


def seller(env: TradingEnv, market: Pubkey, grid: int = 10) -> Trader:
    return env.trader(market, base=grid * GRID)


def buyer(env: TradingEnv, market: Pubkey, quote: int = 10_000_000) -> Trader:
    return env.trader(market, quote=quote)


def book(env: TradingEnv, market: Pubkey) -> list[tuple[Side, int, int, Pubkey]]:
    """(side, price, lots, owner) of every resting order, bids then asks, best first."""
    state = env.market_state(market)
    return [(o.side, o.price, o.lots, o.trader) for o in (*state.bids, *state.asks)]


def fail_place(env: TradingEnv, market: Pubkey, trader: Trader, side: Side, price: int, lots: int,
               kind: OrderKind = LIMIT, **extra: int) -> int:  # fmt: skip
    ix = env.place_ix(market, trader, side, price, lots, kind, **extra)  # type: ignore[arg-type]
    return env.fail([ix], [trader.wallet])


# -- resting orders --------------------------------------------------------------------------------------


def test_limit_orders_rest_and_lock_their_funds(trading: TradingEnv, market: Pubkey) -> None:
    env = trading
    s, b = seller(env, market), buyer(env, market, 1_000_000)
    placed = env.placed(
        env.place(market, s, ASK, price=100, lots=1_000, client_order_id=9, expires_at=T0 + 3600)
    )
    assert placed == OrderPlaced(
        market=market,
        trader=s.pubkey,
        seat=s.seat,
        order_id=0,
        client_order_id=9,
        side=ASK,
        kind=LIMIT,
        self_trade=SelfTradeMode.CANCEL_RESTING,
        price=100,
        lots=1_000,
        expires_at=T0 + 3600,
        filled_lots=0,
        base_traded=0,
        quote_traded=0,
        taker_fee=0,
        rested_lots=1_000,
        cancelled_lots=0,
        state=OrderState.ACTIVE,
        timestamp=env.now(),
        steps=[],
    )
    placed = env.placed(env.place(market, b, BID, price=90, lots=1_000))
    assert (placed.order_id, placed.state, placed.rested_lots) == (1, OrderState.ACTIVE, 1_000)
    state = env.market_state(market)
    [ask], [bid] = state.asks, state.bids
    assert (ask.order_id, ask.price, ask.lots, ask.initial_lots, ask.client_order_id, ask.expires_at) == (
        0, 100, 1_000, 1_000, 9, T0 + 3600,
    )  # fmt: skip
    assert (ask.seat, ask.trader, ask.filled_on_entry, ask.maker_fee_bps) == (s.seat, s.pubkey, False, 0)
    assert (bid.order_id, bid.price, bid.lots, bid.trader) == (1, 90, 1_000, b.pubkey)
    sell_seat, buy_seat = state.seats[s.seat], state.seats[b.seat]
    assert (sell_seat.base_free, sell_seat.base_locked, sell_seat.open_orders) == (9 * GRID, GRID, 1)
    assert (buy_seat.quote_free, buy_seat.quote_locked, buy_seat.open_orders) == (910_000, 90_000, 1)
    assert (sell_seat.last_client_order_id, sell_seat.orders_in_epoch) == (9, 1)
    env.assert_conserved(market)


def test_a_crossing_limit_order_fills_and_rests_the_rest(trading: TradingEnv, market: Pubkey) -> None:
    env = trading
    s, b = seller(env, market), buyer(env, market)
    env.place(market, s, ASK, price=100, lots=300)
    placed = env.placed(env.place(market, b, BID, price=105, lots=500))
    assert (placed.filled_lots, placed.rested_lots, placed.state) == (300, 200, OrderState.PARTIALLY_FILLED)
    assert (placed.base_traded, placed.quote_traded, placed.taker_fee) == (300 * LOT, 30_000, 75)
    [bid] = env.market_state(market).bids
    assert (bid.price, bid.lots, bid.initial_lots, bid.filled_on_entry) == (105, 200, 200, True)
    seat = env.market_state(market).seats[b.seat]
    assert (seat.base_free, seat.quote_locked, seat.quote_free) == (
        300 * LOT,
        21_000,
        10_000_000 - 30_075 - 21_000,
    )
    env.assert_conserved(market)


def test_post_only_rests_or_is_refused_when_it_would_take(trading: TradingEnv, market: Pubkey) -> None:
    env = trading
    s, b = seller(env, market), buyer(env, market)
    env.place(market, s, ASK, price=100, lots=300, kind=POST_ONLY)
    assert fail_place(env, market, b, BID, 100, 10, POST_ONLY) == code("PostOnlyWouldCross")
    assert fail_place(env, market, b, BID, 120, 10, POST_ONLY) == code("PostOnlyWouldCross")
    placed = env.placed(env.place(market, b, BID, price=99, lots=10, kind=POST_ONLY))
    assert (placed.state, placed.rested_lots, placed.kind) == (OrderState.ACTIVE, 10, POST_ONLY)
    assert fail_place(env, market, s, ASK, 99, 10, POST_ONLY) == code("PostOnlyWouldCross")
    assert book(env, market) == [(BID, 99, 10, b.pubkey), (ASK, 100, 300, s.pubkey)]


def test_immediate_or_cancel_drops_what_it_cannot_fill(trading: TradingEnv, market: Pubkey) -> None:
    env = trading
    s, b = seller(env, market), buyer(env, market)
    env.place(market, s, ASK, price=100, lots=300)
    env.place(market, s, ASK, price=110, lots=300)
    size = len(env.registry.data(market))
    placed = env.placed(env.place(market, b, BID, price=105, lots=500, kind=IOC))
    assert (placed.filled_lots, placed.cancelled_lots, placed.rested_lots) == (300, 200, 0)
    assert placed.state == OrderState.CANCELLED
    assert [(f.price, f.lots) for f in placed.fills] == [(100, 300)]
    placed = env.placed(env.place(market, b, BID, price=110, lots=300, kind=IOC))
    assert (placed.filled_lots, placed.state) == (300, OrderState.FILLED)
    # Nothing crosses: nothing trades, nothing rests, nothing is locked or counted.
    placed = env.placed(env.place(market, b, BID, price=50, lots=300, kind=IOC))
    assert (placed.filled_lots, placed.cancelled_lots, placed.state) == (0, 300, OrderState.CANCELLED)
    state = env.market_state(market)
    assert state.bids == [] and state.asks == []
    assert state.seats[b.seat].quote_locked == 0 and state.seats[b.seat].orders_in_epoch == 0
    assert len(env.registry.data(market)) == size
    env.assert_conserved(market)


def test_price_time_priority_across_makers(trading: TradingEnv, market: Pubkey) -> None:
    env = trading
    makers = [seller(env, market) for _ in range(5)]
    for maker, price in zip(makers, (101, 100, 100, 102, 100), strict=True):
        env.place(market, maker, ASK, price=price, lots=10)
    taker = buyer(env, market)
    placed = env.placed(env.place(market, taker, BID, price=102, lots=45))
    assert [(f.maker, f.maker_order_id, f.price, f.lots) for f in placed.fills] == [
        (makers[1].pubkey, 1, 100, 10),
        (makers[2].pubkey, 2, 100, 10),
        (makers[4].pubkey, 4, 100, 10),
        (makers[0].pubkey, 0, 101, 10),
        (makers[3].pubkey, 3, 102, 5),
    ]
    assert placed.fills[-1].maker_remaining_lots == 5 and placed.quote_traded == 3 * 1_000 + 1_010 + 510
    # The same on the bid side, for an incoming ask.
    bidders = [buyer(env, market) for _ in range(4)]
    for bidder, price in zip(bidders, (99, 100, 100, 98), strict=True):
        env.place(market, bidder, BID, price=price, lots=10)
    placed = env.placed(env.place(market, makers[0], ASK, price=98, lots=40))
    assert [(f.maker, f.price) for f in placed.fills] == [
        (bidders[1].pubkey, 100),
        (bidders[2].pubkey, 100),
        (bidders[0].pubkey, 99),
        (bidders[3].pubkey, 98),
    ]
    env.assert_conserved(market)


def test_partial_fills_keep_the_makers_place(trading: TradingEnv, market: Pubkey) -> None:
    env = trading
    first, second = seller(env, market), seller(env, market)
    env.place(market, first, ASK, price=100, lots=100)
    env.place(market, second, ASK, price=100, lots=100)
    taker = buyer(env, market)
    for lots, remaining in ((30, 70), (30, 40)):
        placed = env.placed(env.place(market, taker, BID, price=100, lots=lots))
        assert [(f.maker, f.lots, f.maker_remaining_lots) for f in placed.fills] == [
            (first.pubkey, lots, remaining)
        ]
    [head, tail] = env.market_state(market).asks
    assert (head.trader, head.lots, head.initial_lots) == (first.pubkey, 40, 100)
    assert head.partially_filled and tail.trader == second.pubkey
    placed = env.placed(env.place(market, taker, BID, price=100, lots=50))
    assert [(f.maker, f.lots, f.maker_remaining_lots) for f in placed.fills] == [
        (first.pubkey, 40, 0),
        (second.pubkey, 10, 90),
    ]
    state = env.market_state(market)
    assert state.seats[first.seat].open_orders == 0 and state.seats[first.seat].base_locked == 0
    assert state.seats[first.seat].quote_free == 10_000 and state.header.trade_count == 4
    env.assert_conserved(market)


def test_a_fill_never_trades_worse_than_either_limit(trading: TradingEnv, market: Pubkey) -> None:
    env = trading
    s, b = seller(env, market), buyer(env, market)
    env.place(market, b, BID, price=120, lots=10)
    placed = env.placed(env.place(market, s, ASK, price=90, lots=10))
    assert [f.price for f in placed.fills] == [120]  # the seller gets the resting bid's price
    env.place(market, s, ASK, price=90, lots=10)
    placed = env.placed(env.place(market, b, BID, price=120, lots=10))
    assert [f.price for f in placed.fills] == [90]  # the buyer pays the resting ask's price


# -- fees ------------------------------------------------------------------------------------------------


def test_fees_round_up_on_cumulative_amounts(trading: TradingEnv) -> None:
    env = trading
    market = env.create_market(env.default_params(maker_fee_bps=10))
    maker = seller(env, market)
    env.place(market, maker, ASK, price=7, lots=1_000)
    takers = [buyer(env, market, 100_000) for _ in range(3)]
    # One maker order filled three times: 700, 1,400 and 2,800 quote cumulative at 10 bps round up to
    # 1, 2 and 3, so the maker pays 1, 1, 1 (not ceil of each fill: 1, 1, 2).
    expected = [(100, 700, 1, 2), (100, 700, 1, 2), (200, 1_400, 1, 4)]
    for taker, (lots, quote, maker_fee, taker_fee) in zip(takers, expected, strict=True):
        placed = env.placed(env.place(market, taker, BID, price=7, lots=lots))
        [fill] = placed.fills
        assert (fill.quote_amount, fill.maker_fee, fill.taker_fee) == (quote, maker_fee, taker_fee)
        assert placed.taker_fee == taker_fee
        seat = env.market_state(market).seats[taker.seat]
        assert seat.quote_free == 100_000 - quote - taker_fee
    seat = env.market_state(market).seats[maker.seat]
    assert seat.quote_free == 2_800 - 3
    assert env.market_state(market).header.fees_accrued == 3 + 8

    # A taker crossing several makers pays 25 bps of its cumulative quote, rounded up once per step:
    # 100, 200, 300 quote cumulative -> ceil(0.25), ceil(0.5), ceil(0.75) = 1, 1, 1 -> 1, 0, 0.
    env.cancel(market, maker, env.market_state(market).asks[0])
    for _ in range(3):
        env.place(market, seller(env, market), ASK, price=10, lots=10)
    taker = buyer(env, market, 100_000)
    placed = env.placed(env.place(market, taker, BID, price=10, lots=30))
    assert [(f.quote_amount, f.taker_fee, f.maker_fee) for f in placed.fills] == [
        (100, 1, 1),
        (100, 0, 1),
        (100, 0, 1),
    ]
    assert placed.taker_fee == 1
    assert env.market_state(market).seats[taker.seat].quote_free == 100_000 - 301
    env.assert_conserved(market)


def test_a_resting_bid_locks_its_maker_fee_and_pays_it_exactly(trading: TradingEnv) -> None:
    env = trading
    market = env.create_market(env.default_params(maker_fee_bps=10))
    b = buyer(env, market, 1_000_000)
    env.place(market, b, BID, price=333, lots=1_000)  # 333,000 quote + ceil(333) fee
    seat = env.market_state(market).seats[b.seat]
    assert (seat.quote_locked, seat.quote_free) == (333_333, 1_000_000 - 333_333)
    s = seller(env, market)
    fills = []
    for lots in (1, 2, 997):
        placed = env.placed(env.place(market, s, ASK, price=333, lots=lots))
        fills += placed.fills
        env.assert_conserved(market)
    # Cumulative 333, 999, 333,000 at 10 bps: ceil 1, 1, 333 -> 1, 0, 332.
    assert [f.maker_fee for f in fills] == [1, 0, 332]
    seat = env.market_state(market).seats[b.seat]
    assert (seat.quote_locked, seat.quote_free, seat.base_free) == (0, 1_000_000 - 333_333, 1_000 * LOT)


def test_fees_accrue_to_the_market_and_never_create_tokens(trading: TradingEnv) -> None:
    env = trading
    market = env.create_market(env.default_params(maker_fee_bps=1_000, taker_fee_bps=1_000))
    s, b = seller(env, market), buyer(env, market)
    for price in (1, 3, 7):
        env.place(market, s, ASK, price=price, lots=1)
    placed = env.placed(env.place(market, b, BID, price=7, lots=3))
    assert [(f.quote_amount, f.maker_fee, f.taker_fee) for f in placed.fills] == [
        (1, 1, 1),
        (3, 1, 0),
        (7, 1, 1),
    ]
    state = env.assert_conserved(market)
    assert state.header.fees_accrued == 5
    assert state.seats[s.seat].quote_free == 11 - 3 and state.seats[b.seat].quote_free == 10_000_000 - 11 - 2


# -- self-trade ------------------------------------------------------------------------------------------


def test_self_trade_cancel_resting(trading: TradingEnv, market: Pubkey) -> None:
    env = trading
    me = env.trader(market, base=GRID, quote=1_000_000)
    other = seller(env, market)
    env.place(market, me, ASK, price=100, lots=10)
    env.place(market, other, ASK, price=101, lots=20)
    placed = env.placed(
        env.place(market, me, BID, price=101, lots=15, self_trade=SelfTradeMode.CANCEL_RESTING)
    )
    assert placed.steps == [
        Removal(me.pubkey, 0, 0, 100, 10, 0, 10 * LOT, 0, ASK, RemovalReason.SELF_TRADE_CANCELLED),
        Fill(other.pubkey, 1, 0, 101, 15, 15 * LOT, 1_515, 0, 4, 5),
    ]
    assert (placed.filled_lots, placed.cancelled_lots, placed.state) == (15, 0, OrderState.FILLED)
    seat = env.market_state(market).seats[me.seat]
    assert (seat.base_free, seat.base_locked, seat.open_orders) == (GRID + 15 * LOT, 0, 0)
    env.assert_conserved(market)


def test_self_trade_decrement_both(trading: TradingEnv) -> None:
    env = trading
    market = env.create_market(env.default_params(maker_fee_bps=10))
    me = env.trader(market, base=GRID, quote=1_000_000)
    other = seller(env, market)
    env.place(market, me, ASK, price=100, lots=10)
    env.place(market, other, ASK, price=101, lots=20)
    placed = env.placed(
        env.place(market, me, BID, price=101, lots=15, self_trade=SelfTradeMode.DECREMENT_BOTH)
    )
    assert placed.steps == [
        Removal(me.pubkey, 0, 0, 100, 10, 0, 10 * LOT, 0, ASK, RemovalReason.SELF_TRADE_DECREMENTED),
        Fill(other.pubkey, 1, 0, 101, 5, 5 * LOT, 505, 1, 2, 15),
    ]
    assert (placed.filled_lots, placed.cancelled_lots, placed.rested_lots) == (5, 10, 0)
    assert placed.state == OrderState.CANCELLED
    # A resting bid larger than the incoming ask shrinks, and releases its quote with its unowed fee.
    env.cancel(market, other, env.market_state(market).asks[0])
    env.place(market, me, BID, price=1_000, lots=30)  # order 3 (2 was the bid above); locks 30,000 + 30
    placed = env.placed(
        env.place(market, me, ASK, price=1_000, lots=10, self_trade=SelfTradeMode.DECREMENT_BOTH)
    )
    assert placed.steps == [
        Removal(me.pubkey, 3, 0, 1_000, 10, 20, 0, 10_010, BID, RemovalReason.SELF_TRADE_DECREMENTED),
    ]
    assert (placed.filled_lots, placed.cancelled_lots, placed.state) == (0, 10, OrderState.CANCELLED)
    [bid] = env.market_state(market).bids
    assert (bid.lots, bid.initial_lots) == (20, 20)
    assert env.market_state(market).seats[me.seat].quote_locked == 20_020
    env.assert_conserved(market)


def test_self_trade_abort(trading: TradingEnv, market: Pubkey) -> None:
    env = trading
    me = env.trader(market, base=GRID, quote=1_000_000)
    other = seller(env, market)
    env.place(market, other, ASK, price=99, lots=5)
    env.place(market, me, ASK, price=100, lots=10)
    before = env.registry.data(market)
    error = fail_place(env, market, me, BID, 100, 10, self_trade=SelfTradeMode.ABORT)
    assert error == code("SelfTrade")
    assert env.registry.data(market) == before  # not even the fill with the other maker stands
    # Not crossing its own order, Abort trades normally.
    placed = env.placed(env.place(market, me, BID, price=99, lots=5, self_trade=SelfTradeMode.ABORT))
    assert placed.state == OrderState.FILLED


# -- expiry ----------------------------------------------------------------------------------------------


def test_an_order_must_expire_in_the_future(trading: TradingEnv, market: Pubkey) -> None:
    env = trading
    s = seller(env, market)
    for expires_at in (env.now(), env.now() - 1, 1):
        assert fail_place(env, market, s, ASK, 100, 1, expires_at=expires_at) == code("AlreadyExpired")
    env.place(market, s, ASK, price=100, lots=1, expires_at=env.now() + 1)


def test_an_expired_maker_never_matches_and_its_funds_return(trading: TradingEnv, market: Pubkey) -> None:
    env = trading
    early, late = seller(env, market), seller(env, market)
    env.place(market, early, ASK, price=100, lots=10, expires_at=T0 + 60)
    env.place(market, late, ASK, price=101, lots=10)
    taker = buyer(env, market)
    env.advance(59)  # one second before its expiry it still trades
    placed = env.placed(env.place(market, taker, BID, price=101, lots=1))
    assert [(f.maker, f.price) for f in placed.fills] == [(early.pubkey, 100)]
    env.advance(1)  # expires_at == now: expired
    placed = env.placed(env.place(market, taker, BID, price=101, lots=5))
    assert placed.steps == [
        Removal(early.pubkey, 0, 0, 100, 9, 0, 9 * LOT, 0, ASK, RemovalReason.EXPIRED),
        Fill(late.pubkey, 1, 0, 101, 5, 5 * LOT, 505, 0, 2, 5),
    ]
    seat = env.market_state(market).seats[early.seat]
    assert (seat.base_free, seat.base_locked, seat.open_orders) == (10 * GRID - LOT, 0, 0)
    env.assert_conserved(market)


def test_an_order_meeting_only_expired_orders_rests(trading: TradingEnv, market: Pubkey) -> None:
    env = trading
    s = seller(env, market)
    env.place(market, s, ASK, price=100, lots=10, expires_at=T0 + 10)
    env.advance(10)
    b = buyer(env, market)
    placed = env.placed(env.place(market, b, BID, price=100, lots=10))
    assert placed.fills == [] and [r.reason for r in placed.removals] == [RemovalReason.EXPIRED]
    assert (placed.rested_lots, placed.state) == (10, OrderState.ACTIVE)
    assert book(env, market) == [(BID, 100, 10, b.pubkey)]
    env.assert_conserved(market)


def test_prune_expired_is_permissionless_and_bounded(trading: TradingEnv, market: Pubkey) -> None:
    env = trading
    s, b = seller(env, market), buyer(env, market)
    env.place(market, s, ASK, price=110, lots=1, expires_at=T0 + 5)  # 0
    env.place(market, s, ASK, price=111, lots=2)  # 1, never expires
    env.place(market, s, ASK, price=112, lots=3, expires_at=T0 + 50)  # 2
    env.place(market, b, BID, price=90, lots=4, expires_at=T0 + 5)  # 3
    env.place(market, b, BID, price=91, lots=5, expires_at=T0 + 500)  # 4
    sent = env.prune(market)
    assert env.events(sent) == [OrdersExpired(market=market, timestamp=env.now(), orders=[])]
    env.advance(60)
    # Anyone may prune: the transaction's only signer is a stranger paying its fee.
    stranger = env.registry.wallet()
    ix = env.client.prune_expired(market=market, max_orders=2)
    assert not any(meta.is_signer for meta in ix.accounts)
    sent = env.record("prune_expired", env.send([ix], payer=stranger))
    [event] = env.events(sent)
    assert isinstance(event, OrdersExpired)
    assert [
        (r.order_id, r.side, r.lots, r.base_released, r.quote_released, r.reason) for r in event.orders
    ] == [
        (3, BID, 4, 0, 360, RemovalReason.EXPIRED),
        (0, ASK, 1, LOT, 0, RemovalReason.EXPIRED),
    ]
    [event] = env.events(env.prune(market))
    assert isinstance(event, OrdersExpired) and [r.order_id for r in event.orders] == [2]
    assert sorted(o.order_id for o in (*env.market_state(market).bids, *env.market_state(market).asks)) == [
        1,
        4,
    ]
    for bad in (0, 81):
        assert env.fail([env.client.prune_expired(market=market, max_orders=bad)]) == code(
            "InvalidMatchLimit"
        )
    env.assert_conserved(market)


def test_prune_removes_up_to_80_orders_in_one_event(trading: TradingEnv, market: Pubkey) -> None:
    env = trading
    env.update_market(market, max_orders_per_epoch=1_000)
    s = seller(env, market, grid=1)
    for i in range(85):
        env.place(market, s, ASK, price=100 + i, lots=1, expires_at=T0 + 10)
    env.advance(10)
    [event] = env.events(env.prune(market))
    assert isinstance(event, OrdersExpired) and [r.order_id for r in event.orders] == list(range(80))
    [event] = env.events(env.prune(market))
    assert isinstance(event, OrdersExpired) and [r.order_id for r in event.orders] == list(range(80, 85))
    state = env.assert_conserved(market)
    assert state.asks == [] and state.seats[s.seat].base_free == GRID


# -- client order ids and the epoch limit -----------------------------------------------------------------


def test_client_order_ids_must_increase(trading: TradingEnv, market: Pubkey) -> None:
    env = trading
    s = seller(env, market)
    other = seller(env, market)
    env.place(market, s, ASK, price=100, lots=1, client_order_id=5)
    for reused in (5, 4, 1):
        assert fail_place(env, market, s, ASK, 100, 1, client_order_id=reused) == code("ClientOrderIdReused")
    # Another trader's ids are its own; 0 means none and may repeat.
    env.place(market, other, ASK, price=100, lots=1, client_order_id=5)
    env.place(market, s, ASK, price=100, lots=1)
    env.place(market, s, ASK, price=100, lots=1)
    # A refused order does not use its id.
    assert fail_place(env, market, s, ASK, 100, 10**6, client_order_id=6) == code("InsufficientFunds")
    env.place(market, s, ASK, price=100, lots=1, client_order_id=6)
    # An IOC that trades nothing still uses its id.
    b = buyer(env, market)
    env.place(market, b, BID, price=1, lots=1, kind=IOC, client_order_id=3)
    assert fail_place(env, market, b, BID, 1, 1, client_order_id=3) == code("ClientOrderIdReused")
    assert env.market_state(market).seats[s.seat].last_client_order_id == 6


def test_the_epoch_limit_counts_resting_orders_per_15_minutes(trading: TradingEnv) -> None:
    env = trading
    market = env.create_market(env.default_params(max_orders_per_epoch=3))
    assert T0 % EPOCH_SECS == 0
    s = seller(env, market)
    for price in (100, 101, 102):
        env.place(market, s, ASK, price=price, lots=1)
    assert fail_place(env, market, s, ASK, 103, 1) == code("OrderLimitReached")
    # Cancelling does not give the slot back within the epoch; taking liquidity is never limited.
    env.cancel(market, s, env.market_state(market).asks[0])
    assert fail_place(env, market, s, ASK, 103, 1) == code("OrderLimitReached")
    b = buyer(env, market)
    env.place(market, b, BID, price=99, lots=1)
    env.place(market, s, ASK, price=99, lots=1)  # fills entirely: nothing rests, nothing counted
    env.place(market, s, ASK, price=90, lots=1, kind=IOC)
    env.advance(EPOCH_SECS - 1)
    assert fail_place(env, market, s, ASK, 103, 1) == code("OrderLimitReached")
    env.advance(1)  # the next epoch
    for price in (103, 104, 105):
        env.place(market, s, ASK, price=price, lots=1)
    assert fail_place(env, market, s, ASK, 106, 1) == code("OrderLimitReached")
    seat = env.market_state(market).seats[s.seat]
    assert (seat.epoch, seat.orders_in_epoch) == (T0 // EPOCH_SECS + 1, 3)
    env.advance(10 * EPOCH_SECS)
    env.place(market, s, ASK, price=106, lots=1)


# -- quantities, prices and limits ---------------------------------------------------------------------


def test_zero_dust_and_out_of_range_orders_are_refused(trading: TradingEnv) -> None:
    env = trading
    market = env.create_market(env.default_params(min_order_lots=5))
    s = seller(env, market)
    assert fail_place(env, market, s, ASK, 100, 0) == code("ZeroQuantity")
    assert fail_place(env, market, s, ASK, 100, 4) == code("BelowMinimumOrder")
    assert fail_place(env, market, s, ASK, 100, 4, IOC) == code("BelowMinimumOrder")
    assert fail_place(env, market, s, ASK, 0, 5) == code("InvalidPrice")
    assert fail_place(env, market, s, ASK, MAX_PRICE_TICKS + 1, 5) == code("InvalidPrice")
    assert fail_place(env, market, s, ASK, 2**64 - 1, 5) == code("InvalidPrice")
    # lots x price (and lots x base atoms) beyond 64 bits.
    assert fail_place(env, market, s, ASK, MAX_PRICE_TICKS, 2**30) == code("ArithmeticOverflow")
    assert fail_place(env, market, s, ASK, 1, 2**45) == code("ArithmeticOverflow")
    for bad in (0, 81):
        assert fail_place(env, market, s, ASK, 100, 5, max_matches=bad) == code("InvalidMatchLimit")
    env.place(market, s, ASK, price=MAX_PRICE_TICKS, lots=5, max_matches=80)
    env.place(market, s, ASK, price=1, lots=5, max_matches=1)
    assert [(o.price, o.lots) for o in env.market_state(market).asks] == [(1, 5), (MAX_PRICE_TICKS, 5)]


def test_tick_and_lot_units_of_a_coarser_market(trading: TradingEnv) -> None:
    """500 quote atoms per kWh ticks, 10 Wh lots: a lot at one tick is 5 quote atoms, 10^7 base atoms."""
    env = trading
    params = MarketParams(tick_size=500, lot_size_wh=10, fee_recipient=env.payer.pubkey(), taker_fee_bps=0)
    market = env.create_market(params)
    s, b = seller(env, market, grid=1), buyer(env, market, 10_000)
    env.place(market, s, ASK, price=240, lots=3)  # 0.12 quote per kWh
    placed = env.placed(env.place(market, b, BID, price=240, lots=2))
    assert (placed.base_traded, placed.quote_traded) == (2 * 10 * LOT, 2 * 240 * 5)
    seat = env.market_state(market).seats[s.seat]
    assert (seat.base_locked, seat.quote_free) == (10 * LOT, 2_400)


def test_the_match_limit_stops_matching_and_nothing_crossed_rests(
    trading: TradingEnv, market: Pubkey
) -> None:
    env = trading
    s = seller(env, market)
    for _ in range(5):
        env.place(market, s, ASK, price=100, lots=10)
    b = buyer(env, market)
    placed = env.placed(env.place(market, b, BID, price=100, lots=50, max_matches=3))
    assert (placed.filled_lots, placed.rested_lots, placed.cancelled_lots) == (30, 0, 20)
    assert placed.state == OrderState.CANCELLED and len(placed.fills) == 3
    assert [lots for _, _, lots, _ in book(env, market)] == [10, 10]
    env.assert_conserved(market)


def test_insufficient_funds(trading: TradingEnv, market: Pubkey) -> None:
    env = trading
    s, b = seller(env, market, grid=1), buyer(env, market, 10_000)
    assert fail_place(env, market, b, BID, 100, 101) == code("InsufficientFunds")  # 10,100 to lock
    assert fail_place(env, market, s, ASK, 100, 1_001) == code("InsufficientFunds")  # 1,001 Wh of 1,000
    env.place(market, s, ASK, price=100, lots=1_000)
    # The fills are covered (10,000) but not the taker fee on top (25).
    assert fail_place(env, market, b, BID, 100, 100) == code("InsufficientFunds")
    placed = env.placed(env.place(market, b, BID, price=100, lots=99))
    assert placed.quote_traded + placed.taker_fee == 9_900 + 25
    assert fail_place(env, market, s, ASK, 100, 1) == code("InsufficientFunds")


def test_unknown_enum_values_are_refused(trading: TradingEnv, market: Pubkey) -> None:
    env = trading
    s = seller(env, market)
    ix = env.place_ix(market, s, ASK, 100, 1)
    data = bytes(ix.data)
    assert (data[SIDE_AT], data[KIND_AT], data[SELF_TRADE_AT]) == (ASK, LIMIT, SelfTradeMode.CANCEL_RESTING)
    for at, value in ((SIDE_AT, 2), (KIND_AT, 3), (SELF_TRADE_AT, 3), (SIDE_AT, 255)):
        bad = data[:at] + bytes([value]) + data[at + 1 :]
        assert env.fail([with_data(ix, bad)], [s.wallet]) == code("InvalidOrderArgs")
    env.place(market, s, ASK, price=100, lots=1)
    cancel = env.cancel_ix(market, s, env.market_state(market).asks[0])
    cancel_data = bytes(cancel.data)
    assert cancel_data[12] == ASK
    assert env.fail([with_data(cancel, cancel_data[:12] + b"\x02" + cancel_data[13:])], [s.wallet]) == code(
        "InvalidOrderArgs"
    )
    # A truncated or padded argument list.
    for bad in (data[:-1], data + b"\x00"):
        assert env.fail([with_data(ix, bad)], [s.wallet]) == code("InvalidInstructionData")


# -- who may trade ---------------------------------------------------------------------------------------


def test_only_sellers_by_role_sell(trading: TradingEnv, market: Pubkey) -> None:
    env = trading
    consumer = env.trader(market, base=GRID, quote=100_000, wallet=env.wallet(UserRole.CONSUMER))
    assert fail_place(env, market, consumer, ASK, 100, 1) == code("RoleCannotSell")
    assert fail_place(env, market, consumer, ASK, 100, 1, IOC) == code("RoleCannotSell")
    env.place(market, consumer, BID, price=100, lots=1)
    operator = env.trader(market, base=GRID, wallet=env.wallet(UserRole.GRID_OPERATOR))
    placed = env.placed(env.place(market, operator, ASK, price=100, lots=1))
    assert placed.state == OrderState.FILLED
    env.place(market, seller(env, market), ASK, price=100, lots=1)


def test_a_trader_of_another_zone_buys_here_but_sells_only_in_its_own_zone(
    trading: TradingEnv, market: Pubkey
) -> None:
    """Buy orders come from any verified user; the energy a zone's market sells comes from that zone's
    producers (WrongZone applies to sell orders)."""
    env = trading
    env.registry.create_zone(OTHER_ZONE, "south")
    stranger = env.trader(market, base=GRID, quote=100_000, wallet=env.wallet(zone_id=OTHER_ZONE))
    assert fail_place(env, market, stranger, ASK, 100, 1) == code("WrongZone")
    assert fail_place(env, market, stranger, ASK, 100, 1, IOC) == code("WrongZone")
    s = seller(env, market)
    env.place(market, s, ASK, price=100, lots=1)
    assert env.placed(env.place(market, stranger, BID, price=100, lots=1)).state == OrderState.FILLED
    assert env.placed(env.place(market, stranger, BID, price=90, lots=1)).state == OrderState.ACTIVE
    # It sells in its own zone's market.
    other_market = env.create_market(zone_id=OTHER_ZONE)
    there = env.trader(other_market, base=GRID, wallet=stranger.wallet)
    ix = env.place_ix(other_market, there, ASK, 100, 1, zone_id=OTHER_ZONE)
    env.send([ix], [there.wallet])
    env.assert_conserved(market)


def test_a_halted_zone_stops_placing_not_cancelling_or_withdrawing(
    trading: TradingEnv, market: Pubkey
) -> None:
    env = trading
    s, b = seller(env, market), buyer(env, market)
    env.place(market, s, ASK, price=100, lots=10)
    env.set_zone_status(ZoneStatus.HALTED)
    for side, kind in ((BID, LIMIT), (BID, IOC), (ASK, POST_ONLY)):
        assert fail_place(env, market, b if side == BID else s, side, 100, 1, kind) == code("ZoneHalted")
    env.cancel(market, s, env.market_state(market).asks[0])
    env.withdraw(market, s, env.vault(market, ASK), GRID)
    env.prune(market)
    env.set_zone_status(ZoneStatus.ACTIVE)
    env.place(market, s, ASK, price=100, lots=10)
    assert env.placed(env.place(market, b, BID, price=100, lots=10)).state == OrderState.FILLED


def test_a_suspended_trader_cannot_place_but_cancels_and_withdraws(
    trading: TradingEnv, market: Pubkey
) -> None:
    env = trading
    s = seller(env, market)
    env.place(market, s, ASK, price=100, lots=10)
    env.suspend(s.pubkey)
    assert fail_place(env, market, s, ASK, 101, 1) == code("UserNotVerified")
    assert fail_place(env, market, s, BID, 1, 1, IOC) == code("UserNotVerified")
    env.cancel(market, s, env.market_state(market).asks[0])
    env.withdraw(market, s, env.vault(market, ASK), 10 * GRID)
    assert env.token_balance(s.base_account) == 10 * GRID


# -- growth ----------------------------------------------------------------------------------------------


def test_the_ninth_resting_order_grows_the_book_by_eight_slots_at_its_traders_expense(
    trading: TradingEnv, market: Pubkey
) -> None:
    env = trading
    s = seller(env, market)
    rent = env.svm.minimum_balance_for_rent_exemption
    grown, paid, due = [], [], []
    for i in range(9):
        size = len(env.registry.data(market))
        before = env.registry.balance(s.pubkey)
        env.place(market, s, ASK, price=100 + i, lots=1)
        after = len(env.registry.data(market))
        grown.append(after - size)
        paid.append(before - env.registry.balance(s.pubkey))
        due.append(rent(after) - rent(size))
        assert env.registry.balance(market) == rent(after)
    assert grown == [8 * ORDER_LEN] + [0] * 7 + [8 * ORDER_LEN]
    assert paid == due and paid[0] > 0 and paid[8] > 0
    for _ in range(7):
        env.place(market, s, ASK, price=200, lots=1)
    header = env.market_state(market).header
    assert header.order_capacity == header.ask_count == 16
    # An IOC never rests, so it never grows the book, even a full one.
    b = buyer(env, market)
    env.place(market, b, BID, price=1, lots=1, kind=IOC)
    assert env.market_state(market).header.order_capacity == 16
    # A slot freed by a cancel is used again.
    env.cancel(market, s, env.market_state(market).asks[-1])
    env.place(market, b, BID, price=1, lots=1)
    header = env.market_state(market).header
    assert (header.order_capacity, header.bid_count, header.ask_count) == (16, 1, 15)


def test_an_order_that_trades_completely_pays_no_rent_on_a_full_book(
    trading: TradingEnv, market: Pubkey
) -> None:
    """The market grows only when what is left of an order rests and no slot is free: an order that
    fills completely (limit, or IOC) pays nothing on a full book, one that rests pays for 8 slots."""
    env = trading
    s, b = seller(env, market), buyer(env, market)
    for i in range(8):
        env.place(market, s, ASK, price=100 + i, lots=10)
    header = env.market_state(market).header
    assert header.order_capacity == header.ask_count == 8
    size = len(env.registry.data(market))
    rent = env.svm.minimum_balance_for_rent_exemption

    def paid(kind: OrderKind, price: int, lots: int) -> tuple[int, OrderPlaced]:
        before = env.registry.balance(b.pubkey)
        placed = env.placed(env.place(market, b, BID, price=price, lots=lots, kind=kind))
        return before - env.registry.balance(b.pubkey), placed

    # 4 of the best ask's 10 lots: nothing rests, the maker keeps its slot.
    cost, placed = paid(LIMIT, 100, 4)
    assert (cost, placed.state, placed.filled_lots) == (0, OrderState.FILLED, 4)
    assert len(env.registry.data(market)) == size and env.market_state(market).header.order_capacity == 8
    cost, placed = paid(IOC, 101, 3)  # 3 more of the ask at 100
    assert (cost, placed.state) == (0, OrderState.FILLED)
    assert len(env.registry.data(market)) == size
    # 3 lots fill, 7 rest at 100: they take the slot of the ask they used up, nothing grows.
    cost, placed = paid(LIMIT, 100, 10)
    assert (placed.filled_lots, placed.rested_lots, placed.state) == (3, 7, OrderState.PARTIALLY_FILLED)
    assert cost == 0 and len(env.registry.data(market)) == size
    # The book is full again; a bid below every ask rests whole and grows it.
    cost, placed = paid(LIMIT, 50, 1)
    assert placed.state == OrderState.ACTIVE
    assert len(env.registry.data(market)) == size + 8 * ORDER_LEN
    assert cost == rent(size + 8 * ORDER_LEN) - rent(size) > 0
    env.assert_conserved(market)


# -- cancel_order ----------------------------------------------------------------------------------------


def test_cancel_releases_exactly_what_the_order_locked(trading: TradingEnv) -> None:
    env = trading
    market = env.create_market(env.default_params(maker_fee_bps=10))
    b = buyer(env, market, 1_000_000)
    env.place(market, b, BID, price=333, lots=1_000, client_order_id=77)  # locks 333,333
    s = seller(env, market)
    env.place(market, s, ASK, price=333, lots=400)  # maker fee ceil(133.2) = 134 charged
    [bid] = env.market_state(market).bids
    sent = env.cancel(market, b, bid)
    # Rest 600 lots = 199,800 quote plus the fee not yet owed: 333 - 134.
    assert env.events(sent) == [
        OrderCancelled(
            market=market,
            trader=b.pubkey,
            order_id=0,
            client_order_id=77,
            side=BID,
            price=333,
            lots=600,
            base_released=0,
            quote_released=199_800 + 199,
            timestamp=env.now(),
        )
    ]
    seat = env.market_state(market).seats[b.seat]
    assert (seat.quote_locked, seat.quote_free, seat.open_orders) == (0, 1_000_000 - 133_200 - 134, 0)
    env.place(market, s, ASK, price=500, lots=7)
    [ask] = env.market_state(market).asks
    [event] = env.events(env.cancel(market, s, ask))
    assert isinstance(event, OrderCancelled) and (event.base_released, event.quote_released) == (7 * LOT, 0)
    env.assert_conserved(market)


def test_cancel_finds_the_order_by_side_price_and_id(trading: TradingEnv, market: Pubkey) -> None:
    env = trading
    s = seller(env, market)
    env.place(market, s, ASK, price=100, lots=1)
    env.place(market, s, ASK, price=100, lots=2)
    [first, second] = env.market_state(market).asks

    def cancel(side: Side, price: int, order_id: int) -> int:
        ix = env.client.cancel_order(
            trader=s.pubkey, market=market, seat=s.seat, side=side, price=price, order_id=order_id
        )
        return env.fail([ix], [s.wallet])

    assert cancel(BID, 100, first.order_id) == code("OrderNotFound")
    assert cancel(ASK, 101, first.order_id) == code("OrderNotFound")
    assert cancel(ASK, 100, 7) == code("OrderNotFound")
    env.cancel(market, s, second)
    assert cancel(ASK, 100, second.order_id) == code("OrderNotFound")
    assert [o.order_id for o in env.market_state(market).asks] == [first.order_id]


def test_nobody_cancels_another_traders_order(trading: TradingEnv, market: Pubkey) -> None:
    env = trading
    owner, other = seller(env, market), seller(env, market)
    env.place(market, owner, ASK, price=100, lots=1)
    [order] = env.market_state(market).asks
    assert env.fail([env.cancel_ix(market, other, order)], [other.wallet]) == code("NotOrderOwner")
    assert env.fail([env.cancel_ix(market, other, order, seat=owner.seat)], [other.wallet]) == code(
        "WrongSeat"
    )
    ix = with_meta(env.cancel_ix(market, owner, order), 0, signer=False)
    assert env.fail([ix]) == code("MissingSigner")
    assert len(env.market_state(market).asks) == 1


# -- many fills in one transaction -----------------------------------------------------------------------


def test_64_fills_in_one_transaction_are_all_in_one_event(trading: TradingEnv, market: Pubkey) -> None:
    env = trading
    rng = random.Random(64)
    prices = [100 + i // 8 for i in range(64)]
    rng.shuffle(prices)
    makers = []
    for price in prices:
        maker = seller(env, market, grid=1)
        env.place(market, maker, ASK, price=price, lots=10 + price % 3)
        makers.append(maker)
    asks = env.market_state(market).asks
    assert len(asks) == 64
    expected = sorted(asks, key=lambda o: (o.price, o.order_id))
    taker = buyer(env, market, 1_000_000)
    total_lots = sum(o.lots for o in asks)
    sent = env.place(
        market, taker, BID, price=107, lots=total_lots + 5, max_matches=80, name="place_order[64 fills]"
    )
    [placed] = env.events(sent)
    assert isinstance(placed, OrderPlaced) and placed.removals == [] and len(placed.fills) == 64
    assert [(f.maker_order_id, f.maker, f.price, f.lots) for f in placed.fills] == [
        (o.order_id, o.trader, o.price, o.lots) for o in expected
    ]
    assert all(f.maker_remaining_lots == 0 for f in placed.fills)
    quote = sum(o.price * o.lots for o in asks)
    assert (placed.filled_lots, placed.quote_traded, placed.rested_lots) == (total_lots, quote, 5)
    assert placed.taker_fee == sum(f.taker_fee for f in placed.fills) == fee(quote, 25)
    state = env.assert_conserved(market)
    for maker, price in zip(makers, prices, strict=True):
        seat = state.seats[maker.seat]
        lots = 10 + price % 3
        assert (seat.quote_free, seat.base_free, seat.base_locked) == (price * lots, GRID - lots * LOT, 0)
    seat = state.seats[taker.seat]
    assert seat.base_free == total_lots * LOT
    assert seat.quote_free == 1_000_000 - quote - fee(quote, 25) - 5 * 107
    assert state.header.trade_count == 64 and state.header.fees_accrued == fee(quote, 25)
    assert env.cu["place_order[64 fills]"][0] < 1_400_000


def test_the_most_matches_fit_in_one_event(trading: TradingEnv, market: Pubkey) -> None:
    """80 steps, half of them removals of expired orders: the event carries them all."""
    env = trading
    env.update_market(market, max_orders_per_epoch=1_000)
    s = seller(env, market)
    for i in range(80):
        env.place(market, s, ASK, price=100 + i, lots=1, expires_at=T0 + 100 if i % 2 else 0)
    env.advance(100)
    b = buyer(env, market)
    placed = env.placed(env.place(market, b, BID, price=1_000, lots=100, max_matches=80))
    assert [type(step).__name__ for step in placed.steps] == ["Fill", "Removal"] * 40
    assert (placed.filled_lots, placed.rested_lots) == (40, 60)
    env.assert_conserved(market)
