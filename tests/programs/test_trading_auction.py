"""The periodic call auction in LiteSVM (issue 13): periodic markets and their epoch accounts, a full epoch
with several traders cleared at one price (buyers refunded their limit minus the price, fees, balances and
real token withdrawals), rationing at the marginal price by time priority, rollover on and off, expiry before
the next epoch's end, cancelling, and the reuse of an epoch account two epochs later.

Every expected number comes from the independent model in ``auction_harness`` (brute-force clearing,
price-time allotment) and the fee rule, never from the program's own output."""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from auction_harness import (
    COLLECTING,
    EMPTY,
    EPOCH_DATA_AT,
    NOT_ROLLED,
    PRICE_FIXED,
    SETTLED,
    PeriodicMarket,
    Placed,
    one_event,
    reference_clearing,
    reference_fills,
)
from trading_harness import Trader, TradingEnv

from solgrid.sdk.trading import Side
from solgrid.sdk.trading.units import fee

GRID = 10**9
E0 = 2_000_000
"""An even epoch (slot 0) at which the tests start, 1 s after its start."""
MAKER_BPS = 25
BPL = 10**6
"""Base atoms per lot (1 Wh lots)."""


@pytest.fixture
def market(trading: TradingEnv) -> PeriodicMarket:
    market = PeriodicMarket.create(trading, params=trading.default_params(maker_fee_bps=MAKER_BPS))
    market.warp_to_epoch_start(E0)
    return market


def outcome(settlement: object) -> str:
    return type(settlement.outcome).__name__  # type: ignore[attr-defined]


@dataclass
class Book:
    """Orders placed in one epoch, in arrival order, with who placed them."""

    market: PeriodicMarket
    entries: list[tuple[Trader, Side, int, int, Placed]]

    def place(self, trader: Trader, side: Side, price: int, lots: int, **extra: object) -> Placed:
        placed = self.market.place(trader, side, price, lots, **extra)
        self.entries.append((trader, side, price, lots, placed))
        return placed

    @property
    def live(self) -> list[tuple[Side, int, int]]:
        return [(side, price, lots) for _, side, price, lots, _ in self.entries]


def expected_settlement(
    side: Side, price: int, lots: int, filled: int, clearing: int, bps: int
) -> tuple[int, int, int]:
    """(base atoms, quote atoms before fees, fee) of an order's settlement at ``clearing``, with 1-atom
    lot-ticks (tick 1,000 quote atoms per kWh, 1 Wh lots): a bid's fee never exceeds what its lock
    reserved for the filled lots."""
    cost = filled * clearing
    if side == Side.ASK:
        return filled * BPL, cost, fee(cost, bps)
    reserved = fee(lots * price, bps) - fee((lots - filled) * price, bps)
    return filled * BPL, cost, min(fee(cost, bps), reserved)


# -- periodic markets ----------------------------------------------------------------------------------


def test_a_periodic_market_has_two_epoch_accounts_at_their_pdas(trading: TradingEnv) -> None:
    env = trading
    market = PeriodicMarket.create(env, epoch_secs=600)
    periodic = market.periodic()
    assert (periodic.epoch_secs, periodic.auction_orders, periodic.auctions_settled) == (600, 0, 0)
    for slot in (0, 1):
        view = market.epoch_view(slot)
        account = env.registry.account(view.address)
        assert account is not None and account.owner == env.client.program_id
        assert account.lamports == env.svm.minimum_balance_for_rent_exemption(EPOCH_DATA_AT)
        assert view.size == EPOCH_DATA_AT and view.header.region_len == 0
        assert (view.header.market, view.header.slot, view.state) == (market.address, slot, EMPTY)
        assert (
            view.header.bump == periodic.epoch_bumps[slot] == env.client.epoch_pda(market.address, slot).bump
        )


def test_market_created_reports_the_epoch_length(trading: TradingEnv) -> None:
    env = trading
    ix = PeriodicMarket.create_ix(env, epoch_secs=900)
    event = one_event(env, env.send([ix], env.registry.quorum()), "MarketCreated")
    assert event.epoch_secs == 900


def test_a_continuous_market_leaves_the_epoch_pdas_alone(trading: TradingEnv) -> None:
    env = trading
    market = env.create_market()
    assert PeriodicMarket(env, market, 0).periodic().epoch_secs == 0
    for slot in (0, 1):
        assert env.registry.account(env.client.epoch_pda(market, slot).address) is None


# -- one epoch ------------------------------------------------------------------------------------------


def test_a_full_epoch_clears_at_one_price_and_settles_every_trader(
    trading: TradingEnv, market: PeriodicMarket
) -> None:
    env = trading
    sellers = [env.trader(market.address, base=100 * BPL) for _ in range(3)]
    buyers = [env.trader(market.address, quote=100_000) for _ in range(3)]
    book = Book(market, [])
    book.place(sellers[0], Side.ASK, 90, 30)
    book.place(buyers[0], Side.BID, 130, 20)
    book.place(sellers[1], Side.ASK, 110, 25)
    book.place(buyers[1], Side.BID, 120, 30)
    book.place(sellers[2], Side.ASK, 125, 40)
    book.place(buyers[2], Side.BID, 105, 15)
    market.assert_conserved()
    view = market.holding(E0)
    assert view.state == COLLECTING and [o.order_id for o in view.orders] == [
        p.order_id for *_, p in book.entries
    ]
    assert [p.index for *_, p in book.entries] == list(range(6))

    expected = reference_clearing(book.live)
    assert expected.volume > 0
    market.warp_past(E0)
    cleared = market.clear(E0)
    assert (cleared.price, cleared.volume_lots, cleared.demand_lots, cleared.supply_lots) == (
        expected.price,
        expected.volume,
        expected.demand,
        expected.supply,
    )
    assert (cleared.total_bid_lots, cleared.total_ask_lots) == (65, 95)
    assert (cleared.reference_price, cleared.orders, cleared.levels) == (0, 6, 6)
    assert (cleared.starts_at, cleared.ends_at) == (E0 * 900, (E0 + 1) * 900)
    header = market.holding(E0).header
    assert (header.clearing_price, header.volume_lots, _state(market, E0)) == (
        expected.price,
        expected.volume,
        PRICE_FIXED,
    )
    market.assert_conserved()

    before = {
        t.seat: s for t in (*sellers, *buyers) for s in [env.market_state(market.address).seats[t.seat]]
    }
    [settled] = market.settle_all(E0)
    assert (settled.from_index, settled.to_index, settled.done) == (0, 6, True)
    fills = reference_fills(book.live, expected.volume)
    fees = 0
    seats = env.market_state(market.address).seats
    for (trader, side, price, lots, placed), filled, s in zip(
        book.entries, fills, settled.settlements, strict=True
    ):
        base, quote, paid = expected_settlement(side, price, lots, filled, expected.price, MAKER_BPS)
        fees += paid
        assert (s.order_id, s.index, s.filled_lots, s.base_amount, s.quote_amount, s.fee) == (
            placed.order_id,
            placed.index,
            filled,
            base,
            quote,
            paid,
        )
        assert s.remaining_lots == lots - filled and s.rolled_index == NOT_ROLLED
        old, new = before[trader.seat], seats[trader.seat]
        if side == Side.BID:
            # The buyer's lock returns in full; it pays the clearing price (not its limit) and its fee.
            refund = lots * price + fee(lots * price, MAKER_BPS) - quote - paid
            assert s.quote_released == refund and s.base_released == 0
            assert new.quote_free == old.quote_free + refund and new.quote_locked == 0
            assert new.base_free == old.base_free + base
            if filled > 0:
                assert refund >= filled * (price - expected.price)  # at least its limit minus the price
        else:
            assert s.base_released == lots * BPL - base and s.quote_released == 0
            assert new.base_free == old.base_free + lots * BPL - base and new.base_locked == 0
            assert new.quote_free == old.quote_free + quote - paid
        assert outcome(s) == (
            "Filled" if filled == lots else "PartiallyFilledExpired" if filled else "Expired"
        )
    header = env.market_state(market.address).header
    assert header.fees_accrued == fees > 0
    assert (header.base_volume, header.quote_volume, header.trade_count) == (
        expected.volume * BPL,
        expected.volume * expected.price,
        sum(1 for (_, s, *_), f in zip(book.entries, fills, strict=True) if s == Side.BID and f),
    )
    periodic = market.periodic()
    assert (periodic.last_clearing_price, periodic.last_settled_epoch, periodic.auctions_settled) == (
        expected.price,
        E0,
        1,
    )
    assert periodic.auction_orders == 0
    epoch = market.holding(E0).header
    assert _state(market, E0) == SETTLED and epoch.fees == fees and epoch.settled_at == env.now()

    # What the auction credited is real: a buyer withdraws its GRID, a seller its quote.
    buyer, seller = buyers[0], sellers[0]
    got_base = seats[buyer.seat].base_free
    got_quote = seats[seller.seat].quote_free
    env.withdraw(market.address, buyer, env.market_state(market.address).header.base_vault, got_base)
    env.withdraw(market.address, seller, env.market_state(market.address).header.quote_vault, got_quote)
    assert env.token_balance(buyer.base_account) == got_base > 0
    assert env.token_balance(seller.quote_account) == got_quote > 0
    market.assert_conserved()


def _state(market: PeriodicMarket, epoch: int) -> int:
    return market.holding(epoch).state


def test_no_crossing_clears_without_a_price_and_refunds_everyone(
    trading: TradingEnv, market: PeriodicMarket
) -> None:
    env = trading
    seller = env.trader(market.address, base=50 * BPL)
    buyer = env.trader(market.address, quote=10_000)
    market.place(seller, Side.ASK, 150, 10)
    market.place(buyer, Side.BID, 100, 10)
    market.warp_past(E0)
    cleared = market.clear(E0)
    assert (cleared.price, cleared.volume_lots) == (0, 0)
    [settled] = market.settle_all(E0)
    assert [outcome(s) for s in settled.settlements] == ["Expired", "Expired"]
    seats = env.market_state(market.address).seats
    assert (seats[seller.seat].base_free, seats[buyer.seat].quote_free) == (50 * BPL, 10_000)
    assert market.periodic().last_clearing_price == 0  # no volume: no reference for the next epoch


def test_an_empty_epoch_is_cleared_and_settled_in_one_chunk(
    trading: TradingEnv, market: PeriodicMarket
) -> None:
    trader = trading.trader(market.address, quote=10_000)
    placed = market.place(trader, Side.BID, 100, 10)
    market.cancel(trader, placed)
    market.warp_past(E0)
    assert market.clear(E0).orders == 0
    [settled] = market.settle_all(E0)
    assert (settled.settlements, settled.done, settled.to_index) == ([], True, 1)  # the tombstone counts


def test_the_marginal_price_is_rationed_by_time_priority(trading: TradingEnv, market: PeriodicMarket) -> None:
    """Three sellers at the clearing price share what the buyers take in the order they placed their
    orders (not by seat), a cancelled order in between keeps no priority, better prices fill first."""
    env = trading
    a, b, c, d = (env.trader(market.address, base=100 * BPL) for _ in range(4))
    buyer = env.trader(market.address, quote=100_000)
    c_order = market.place(c, Side.ASK, 100, 10)
    cancelled = market.place(d, Side.ASK, 100, 10)
    a_order = market.place(a, Side.ASK, 100, 10)
    b_order = market.place(b, Side.ASK, 100, 10)
    cheap = market.place(d, Side.ASK, 95, 4)
    market.place(buyer, Side.BID, 100, 19)
    market.cancel(d, cancelled)
    market.warp_past(E0)
    cleared = market.clear(E0)
    assert (cleared.price, cleared.volume_lots, cleared.ask_marginal_price, cleared.ask_marginal_lots) == (
        100,
        19,
        100,
        15,
    )
    [settled] = market.settle_all(E0)
    by_id = {s.order_id: s for s in settled.settlements}
    assert cancelled.order_id not in by_id
    assert [by_id[p.order_id].filled_lots for p in (cheap, c_order, a_order, b_order)] == [4, 10, 5, 0]
    assert [outcome(by_id[p.order_id]) for p in (c_order, a_order, b_order)] == [
        "Filled",
        "PartiallyFilledExpired",
        "Expired",
    ]


def test_the_tie_break_prefers_the_previous_clearing_price(
    trading: TradingEnv, market: PeriodicMarket
) -> None:
    """Equal volume and surplus over a range of prices: with no reference the middle of the range,
    afterwards the price closest to the previous clearing price."""
    env = trading
    seller = env.trader(market.address, base=100 * BPL)
    buyer = env.trader(market.address, quote=100_000)
    reference = 0
    for epoch, ask, bid, price in ((E0, 100, 120, 110), (E0 + 1, 100, 140, 110), (E0 + 2, 115, 140, 115)):
        market.warp_to_epoch_start(epoch)
        market.place(seller, Side.ASK, ask, 10)
        market.place(buyer, Side.BID, bid, 10)
        market.warp_past(epoch)
        cleared = market.clear(epoch)
        expected = reference_clearing([(Side.ASK, ask, 10), (Side.BID, bid, 10)], reference)
        assert (cleared.price, cleared.reference_price) == (expected.price, reference) == (price, reference)
        market.settle_all(epoch)
        reference = price


# -- rollover and expiry ----------------------------------------------------------------------------------


def test_rollover_carries_the_remainder_into_the_next_epoch_until_filled(
    trading: TradingEnv, market: PeriodicMarket
) -> None:
    env = trading
    seller = env.trader(market.address, base=100 * BPL)
    buyer = env.trader(market.address, quote=100_000)
    rolling = market.place(seller, Side.ASK, 100, 30, rollover=True, client_order_id=7)
    market.place(buyer, Side.BID, 100, 10)
    market.warp_past(E0)
    market.clear(E0)
    [settled] = market.settle_all(E0)
    s = next(s for s in settled.settlements if s.order_id == rolling.order_id)
    assert (outcome(s), s.filled_lots, s.remaining_lots, s.rolled_index) == (
        "PartiallyFilledRolled",
        10,
        20,
        0,
    )
    assert s.base_released == 0  # the unsold 20 lots lock again in the next epoch
    nxt = market.holding(E0 + 1)
    assert (nxt.state, nxt.header.rolled_in, nxt.header.starts_at) == (COLLECTING, 1, (E0 + 1) * 900)
    [rolled] = nxt.orders
    assert (rolled.order_id, rolled.client_order_id, rolled.lots, rolled.initial_lots, rolled.price) == (
        rolling.order_id,
        7,
        20,
        20,
        100,
    )
    assert market.holding(E0).header.rolled_orders == 1
    seat = env.market_state(market.address).seats[seller.seat]
    assert (seat.base_locked, seat.open_orders) == (20 * BPL, 1)
    market.assert_conserved()

    # Nothing matches in E0 + 1: it rolls again (a whole order: Rolled); E0 + 2 fills it.
    market.warp_past(E0 + 1)
    market.clear(E0 + 1)
    [settled] = market.settle_all(E0 + 1)
    assert [(outcome(s), s.rolled_index) for s in settled.settlements] == [("Rolled", 0)]
    market.warp_to_epoch_start(E0 + 2)
    market.place(buyer, Side.BID, 105, 25)
    market.warp_past(E0 + 2)
    assert market.clear(E0 + 2).price == 100  # the previous price is in the optimal range [100, 105]
    [settled] = market.settle_all(E0 + 2)
    assert [(outcome(s), s.filled_lots) for s in settled.settlements] == [
        ("Filled", 20),
        ("PartiallyFilledExpired", 20),
    ]
    assert env.market_state(market.address).seats[seller.seat].open_orders == 0
    assert market.periodic().auctions_settled == 3
    market.assert_conserved()


def test_without_rollover_the_remainder_is_refunded(trading: TradingEnv, market: PeriodicMarket) -> None:
    env = trading
    buyer = env.trader(market.address, quote=100_000)
    seller = env.trader(market.address, base=100 * BPL)
    bid = market.place(buyer, Side.BID, 120, 30)
    market.place(seller, Side.ASK, 110, 10)
    unmatched = market.place(seller, Side.ASK, 130, 5)
    market.warp_past(E0)
    market.clear(E0)
    [settled] = market.settle_all(E0)
    by_id = {s.order_id: s for s in settled.settlements}
    b = by_id[bid.order_id]
    assert (outcome(b), b.filled_lots, b.rolled_index) == ("PartiallyFilledExpired", 10, NOT_ROLLED)
    lock = 30 * 120 + fee(30 * 120, MAKER_BPS)
    assert b.quote_released == lock - b.quote_amount - b.fee
    assert (
        outcome(by_id[unmatched.order_id]) == "Expired" and by_id[unmatched.order_id].base_released == 5 * BPL
    )
    assert market.epoch_view((E0 + 1) % 2).state == EMPTY  # nothing rolled: the next slot is untouched
    seats = env.market_state(market.address).seats
    assert seats[buyer.seat].quote_locked == seats[seller.seat].base_locked == 0


@pytest.mark.parametrize(("offset", "rolls"), [(-1, False), (0, True), (0 + 900, True)])
def test_a_remainder_rolls_only_if_it_does_not_expire_before_the_next_epoch_ends(
    trading: TradingEnv, market: PeriodicMarket, offset: int, rolls: bool
) -> None:
    seller = trading.trader(market.address, base=100 * BPL)
    expires_at = market.ends_at(E0 + 1) + offset
    market.place(seller, Side.ASK, 100, 10, rollover=True, expires_at=expires_at)
    market.warp_past(E0)
    market.clear(E0)
    [settled] = market.settle_all(E0)
    [s] = settled.settlements
    assert outcome(s) == ("Rolled" if rolls else "Expired")
    assert market.epoch_view((E0 + 1) % 2).state == (COLLECTING if rolls else EMPTY)
    market.assert_conserved()


# -- cancelling ---------------------------------------------------------------------------------------


def test_cancel_releases_the_lock_and_leaves_a_tombstone(trading: TradingEnv, market: PeriodicMarket) -> None:
    env = trading
    buyer = env.trader(market.address, quote=100_000)
    kept = market.place(buyer, Side.BID, 120, 10)
    gone = market.place(buyer, Side.BID, 110, 20)
    event = market.cancel(buyer, gone)
    assert (event.epoch, event.index, event.order_id, event.lots, event.price) == (
        E0,
        1,
        gone.order_id,
        20,
        110,
    )
    assert event.quote_released == 20 * 110 + fee(20 * 110, MAKER_BPS) and event.base_released == 0
    view = market.holding(E0)
    assert [o.lots for o in view.orders] == [10, 0]
    assert view.levels == [(120, 10, 0)] and view.header.live_orders == 1
    seat = env.market_state(market.address).seats[buyer.seat]
    assert (seat.open_orders, seat.quote_locked) == (1, kept.event.locked)
    market.assert_conserved()


def test_a_paused_market_lets_traders_cancel_after_gate_closure(
    trading: TradingEnv, market: PeriodicMarket
) -> None:
    from solgrid.sdk.trading import MarketStatus

    env = trading
    buyer = env.trader(market.address, quote=100_000)
    placed = market.place(buyer, Side.BID, 120, 10)
    env.update_market(market.address, status=MarketStatus.PAUSED)
    market.warp_past(E0)
    market.cancel(buyer, placed)  # a paused market cannot clear: the funds may leave
    assert env.market_state(market.address).seats[buyer.seat].quote_locked == 0
    market.assert_conserved()


# -- reuse ----------------------------------------------------------------------------------------------


def test_an_epoch_account_is_reused_two_epochs_later_without_new_rent(
    trading: TradingEnv, market: PeriodicMarket
) -> None:
    env = trading
    buyer = env.trader(market.address, quote=1_000_000)
    first = market.place(buyer, Side.BID, 100, 10)
    assert first.event.lamports_paid > 0  # the first order grows the empty account
    for i in range(8):
        market.place(buyer, Side.BID, 101 + i, 10)
    market.warp_past(E0)
    market.clear(E0)
    market.settle_all(E0)
    size = market.epoch_view(0).size
    market.warp_to_epoch_start(E0 + 2)
    again = market.place(buyer, Side.BID, 100, 10)
    assert (again.epoch, again.index, again.event.lamports_paid) == (E0 + 2, 0, 0)
    view = market.holding(E0 + 2)
    assert (view.state, view.size, len(view.orders), view.header.clearing_price) == (COLLECTING, size, 1, 0)
    market.assert_conserved()
