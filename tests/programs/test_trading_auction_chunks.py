"""Chunked settlement of a call auction in LiteSVM: an epoch of 100 orders from 20 traders settled in
chunks of 7, 32 and 64 orders, with token conservation checked after every chunk against the real SPL
vault balances (seats + accrued fees + tokens in transit in the epoch), the result compared with the
independent model, and the compute units per settled order printed (the goal: at most 2,000 CU per
settled order and at least 32 orders per transaction)."""

from __future__ import annotations

import random

import pytest
from auction_harness import (
    COLLECTING,
    SETTLED,
    PeriodicMarket,
    one_event,
    reference_clearing,
    reference_fills,
)
from trading_harness import Trader, TradingEnv

from solgrid.localnet.svm import MAX_COMPUTE_UNITS
from solgrid.sdk.trading import Side
from solgrid.sdk.trading.units import fee

E0 = 2_000_000
BPL = 10**6
MAKER_BPS = 25


def place_random_book(
    market: PeriodicMarket, traders: list[Trader], count: int, seed: int
) -> list[tuple[Side, int, int, bool, int]]:
    """``count`` orders around a price of 110 (about half rolling over, a few cancelled); returns the
    live ones as (side, price, lots, rollover, order_id) in arrival order."""
    rng = random.Random(seed)
    live = []
    for i in range(count):
        trader = traders[i % len(traders)]
        side = Side.BID if trader.seat % 2 else Side.ASK
        price = rng.randint(95, 125)
        lots = rng.randint(1, 30)
        rollover = rng.random() < 0.5
        placed = market.place(trader, side, price, lots, rollover=rollover)
        if rng.random() < 0.05:
            market.cancel(trader, placed)
        else:
            live.append((side, price, lots, rollover, placed.order_id))
    return live


@pytest.mark.parametrize("chunk", [7, 32, 64])
def test_a_100_order_epoch_settles_in_chunks_conserving_tokens_after_each(
    trading: TradingEnv, chunk: int
) -> None:
    env = trading
    market = PeriodicMarket.create(env, params=env.default_params(maker_fee_bps=MAKER_BPS))
    market.warp_to_epoch_start(E0)
    traders = [env.trader(market.address, base=1_000 * BPL, quote=1_000_000) for _ in range(20)]
    live = place_random_book(market, traders, 100, seed=13)
    market.assert_conserved()
    expected = reference_clearing([(s, p, q) for s, p, q, _, _ in live])
    fills = reference_fills([(s, p, q) for s, p, q, _, _ in live], expected.volume)
    market.warp_past(E0)
    cleared = market.clear(E0)
    assert (cleared.price, cleared.volume_lots) == (expected.price, expected.volume) and expected.volume > 0

    settled = []
    chunks = 0
    cursor = 0
    while True:
        sent = market.settle_chunk(E0, chunk)
        event = one_event(env, sent, "EpochSettled")
        chunks += 1
        assert (event.from_index, event.to_index) == (cursor, min(cursor + chunk, 100))
        cursor = event.to_index
        market.assert_conserved()  # after every chunk, against the SPL vaults
        settled.extend(event.settlements)
        cu = sent.program_cu(env.client.program_id)
        assert cu <= MAX_COMPUTE_UNITS
        if len(event.settlements) >= 32:
            print(
                f"\nsettle_epoch chunk of {chunk}: {len(event.settlements)} orders settled in {cu} CU "
                f"({cu / len(event.settlements):.0f} CU per order, event and fixed costs included)"
            )
        if event.done:
            break
    assert chunks == -(-100 // chunk)
    assert market.holding(E0).state == SETTLED
    by_id = {s.order_id: s for s in settled}
    assert len(by_id) == len(live)
    rolled = 0
    for (side, _, lots, rollover, order_id), filled in zip(live, fills, strict=True):
        s = by_id[order_id]
        assert s.filled_lots == filled, order_id
        assert s.quote_amount == filled * expected.price
        if side == Side.ASK:
            assert s.fee == fee(s.quote_amount, MAKER_BPS)
        rolls = rollover and filled < lots
        rolled += rolls
        assert (s.rolled_index != 2**32 - 1) == rolls
    nxt = market.holding(E0 + 1)
    assert (
        nxt.state == COLLECTING
        and nxt.header.rolled_in == rolled == market.holding(E0).header.rolled_orders > 0
    )
    assert sorted(o.order_id for o in nxt.orders) == sorted(
        oid for (_, _, lots, ro, oid), f in zip(live, fills, strict=True) if ro and f < lots
    )


def test_settlement_cost_per_order_and_the_worst_chunk(trading: TradingEnv) -> None:
    """CU of settling 64 matched orders against 1 (the marginal cost per order), and the worst chunk:
    64 unmatched orders at 64 distinct prices that all roll (each needs a new level and room in the
    next epoch, which the payer grows in the same transaction)."""
    env = trading
    market = PeriodicMarket.create(env, params=env.default_params(maker_fee_bps=MAKER_BPS))
    market.warp_to_epoch_start(E0)
    sellers = [env.trader(market.address, base=1_000 * BPL) for _ in range(8)]
    buyers = [env.trader(market.address, quote=10_000_000) for _ in range(8)]
    for i in range(65):
        if i % 2:
            market.place(buyers[i % 8], Side.BID, 120, 10)
        else:
            market.place(sellers[i % 8], Side.ASK, 100, 10)
    market.warp_past(E0)
    market.clear(E0)
    one = market.settle_chunk(E0, 1).program_cu(env.client.program_id)
    sixty_four = market.settle_chunk(E0, 64).program_cu(env.client.program_id)
    marginal = (sixty_four - one) / 63
    market.assert_conserved()
    print(
        f"\nsettle_epoch, matched orders: 1 order {one} CU, 64 orders {sixty_four} CU "
        f"({sixty_four / 64:.0f} CU per order; marginal {marginal:.0f} CU per order)"
    )

    market.warp_to_epoch_start(E0 + 2)
    for i in range(64):
        market.place(sellers[i % 8], Side.ASK, 200 + i, 1, rollover=True)
    market.place(buyers[0], Side.BID, 100, 1)
    market.warp_past(E0 + 2)
    market.clear(E0 + 2)
    assert market.holding(E0 + 2).header.clearing_price == 0
    # The slot of E0 + 3 (never used) is reset to E0 + 3 and grows for the 64 rolled orders.
    sent = market.settle_chunk(E0 + 2, 64)
    event = one_event(env, sent, "EpochSettled")
    worst = sent.program_cu(env.client.program_id)
    assert [type(s.outcome).__name__ for s in event.settlements].count("Rolled") == 64
    assert event.lamports_paid > 0
    assert len(market.holding(E0 + 3).levels) == 64
    market.assert_conserved()
    print(
        f"settle_epoch, worst chunk (64 rolled orders, 64 new levels, growth): {worst} CU "
        f"({worst / 64:.0f} CU per order)"
    )
    assert worst < MAX_COMPUTE_UNITS
