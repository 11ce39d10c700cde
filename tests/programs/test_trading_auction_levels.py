"""The epochs' limits of the periodic call auction in LiteSVM: at most 4,096 price levels and 131,072 orders
per epoch, so that every epoch can be cleared and settled.

* An epoch filled to exactly 4,096 levels through the program refuses an order at a new price
  (``TooManyPriceLevels``) and takes one at a price it has; the previous epoch's remainders that would
  need a new level there are refunded instead of rolled (``EpochFull``, ``PartiallyFilledEpochFull``),
  and the full epoch is cleared in one transaction (its compute units printed, and within the budget the
  SDK's crank asks for) and settled, tokens conserved after every chunk.
* An epoch account near the order cap (the orders it has seen, most of them cancelled, written into the
  account as ``cancel_auction_order`` leaves them) takes the last 64 orders a settlement rolls into it in
  one chunk, growing an account of 7 MiB (the costliest chunk: its compute units printed, and within the
  SDK crank's budget), refunds the next one (``EpochFull``) and refuses new orders
  (``TooManyAuctionOrders``).
"""

from __future__ import annotations

import struct

from auction_harness import COLLECTING, SETTLED, PeriodicMarket, one_event
from trading_harness import Trader, TradingEnv, code

from solgrid.localnet.svm import MAX_COMPUTE_UNITS
from solgrid.sdk.trading import SettlementOutcome, Side
from solgrid.sdk.trading.crank import clear_compute_units, settle_compute_units
from solgrid.sdk.trading.units import MAX_AUCTION_LEVELS, MAX_AUCTION_ORDERS, fee

E0 = 2_000_000
"""An even epoch: slot 0."""
BPL = 10**6
MAKER_BPS = 25
FILLER_FROM = 1_001
"""The filler's orders in E0 + 1 are at 1,001, 1,003, 1,005, ... ticks."""
DISCRIMINATOR_LEN = 8
HEADER_AT = DISCRIMINATOR_LEN
COUNTS = struct.Struct("<4I")
"""order_count, live_orders, level_count, region_len: at offset 200 of the epoch header."""
COUNTS_AT = HEADER_AT + 200
HEADER_LEN = 256
LEVEL_LEN = 24
ORDER_LEN = 56
MAX_CHUNK = 64


def market_maker(env: TradingEnv, market: PeriodicMarket, base: int = 0, quote: int = 0) -> Trader:
    """A trader exempt from the per-seat order limit (the market authority's choice)."""
    trader = env.trader(market.address, base=base, quote=quote)
    env.set_market_maker(market.address, trader.pubkey)
    return trader


def filler_price(i: int) -> int:
    return FILLER_FROM + 2 * i


def fill_levels(market: PeriodicMarket, filler: Trader, count: int) -> None:
    """``count`` levels in the current epoch, two ticks apart from ``FILLER_FROM`` up: a one-lot ask at
    each but the top one, where a bid for all of them waits. The clearing's costliest book of those
    measured: a gap beside every level, and every level and gap a better price than the last (more
    volume), so that the clearing does all its work at each."""
    env = market.env
    for i in range(count - 1):
        env.send([market.place_ix(filler, Side.ASK, filler_price(i), 1)], [filler.wallet])
    env.send([market.place_ix(filler, Side.BID, filler_price(count - 1), count)], [filler.wallet])


def outcomes(event: object) -> dict[int, tuple[SettlementOutcome, int, int]]:
    """order id -> (outcome, filled lots, remaining lots) of an ``EpochSettled`` (anchorpy) event."""
    return {
        s.order_id: (SettlementOutcome(type(s.outcome).index), s.filled_lots, s.remaining_lots)
        for s in event.settlements  # type: ignore[attr-defined]
    }


def test_an_epoch_at_the_level_cap_refuses_new_prices_refunds_what_cannot_roll_and_clears_in_one_transaction(
    trading: TradingEnv,
) -> None:
    env = trading
    market = PeriodicMarket.create(env, params=env.default_params(maker_fee_bps=MAKER_BPS))
    market.warp_to_epoch_start(E0)
    seller = env.trader(market.address, base=100 * BPL)
    buyers = [env.trader(market.address, quote=1_000_000) for _ in range(2)]
    filler = market_maker(env, market, base=MAX_AUCTION_LEVELS * BPL, quote=50_000_000)
    # E0, in index order.
    filled = market.place(seller, Side.ASK, 100, 4)
    new_level = market.place(buyers[0], Side.BID, 50, 1, rollover=True)
    no_room = market.place(buyers[1], Side.BID, 60, 1, rollover=True)
    partial = market.place(buyers[0], Side.BID, 100, 6, rollover=True)
    same_level = market.place(buyers[1], Side.BID, 50, 2, rollover=True)
    known = market.place(seller, Side.ASK, filler_price(1_000), 1, rollover=True)

    # E0 + 1 fills up to the cap.
    market.warp_to_epoch_start(E0 + 1)
    fill_levels(market, filler, MAX_AUCTION_LEVELS)
    full = market.holding(E0 + 1)
    assert full.header.level_count == MAX_AUCTION_LEVELS and full.state == COLLECTING
    market.assert_conserved()
    # A new price is refused, below, between or above the levels, on either side; nothing changed.
    for trader, side, price in ((buyers[0], Side.BID, 70), (seller, Side.ASK, 99_999)):
        refused = env.fail([market.place_ix(trader, side, price, 1)], [trader.wallet])
        assert refused == code("TooManyPriceLevels")
    market.assert_conserved()
    # A price the epoch has still takes orders.
    market.place(buyers[0], Side.BID, FILLER_FROM, 1)
    # Cancelling the only order at a level frees the level.
    gone = next(o for o in market.holding(E0 + 1).orders if o.price == filler_price(2_001))
    cancel = market.cancel_ix(filler, E0 + 1, gone.index, gone.order_id)
    env.send([cancel], [filler.wallet])
    assert market.holding(E0 + 1).header.level_count == MAX_AUCTION_LEVELS - 1

    # E0 settles: the bid at 50 takes the free level; the bid at 60 and the rest of the bid at 100
    # find no level and are refunded; the second bid at 50 and the ask at 3,001 roll into levels.
    cleared = market.clear(E0)
    assert (cleared.price, cleared.volume_lots) == (100, 4)
    [event] = market.settle_all(E0)
    assert outcomes(event) == {
        filled.order_id: (SettlementOutcome.FILLED, 4, 0),
        new_level.order_id: (SettlementOutcome.ROLLED, 0, 1),
        no_room.order_id: (SettlementOutcome.EPOCH_FULL, 0, 1),
        partial.order_id: (SettlementOutcome.PARTIALLY_FILLED_EPOCH_FULL, 4, 2),
        same_level.order_id: (SettlementOutcome.ROLLED, 0, 2),
        known.order_id: (SettlementOutcome.ROLLED, 0, 1),
    }
    refund = {s.order_id: s for s in event.settlements}
    assert refund[no_room.order_id].quote_released == 60 + fee(60, MAKER_BPS)
    assert refund[no_room.order_id].rolled_index == 2**32 - 1
    p = refund[partial.order_id]
    assert p.quote_amount + p.fee + p.quote_released == 600 + fee(600, MAKER_BPS)
    after = market.holding(E0 + 1)
    assert after.header.level_count == MAX_AUCTION_LEVELS and after.header.rolled_in == 3
    assert market.holding(E0).header.rolled_orders == 3
    assert env.fail([market.place_ix(buyers[1], Side.BID, 70, 1)], [buyers[1].wallet]) == code(
        "TooManyPriceLevels"
    )

    # The epoch at the cap clears in one transaction, within the SDK crank's budget for it.
    market.warp_past(E0 + 1)
    sent = env.record("clear_epoch", env.send([market.clear_ix(E0 + 1)]))
    cleared = one_event(env, sent, "EpochCleared")
    cu = sent.program_cu(env.client.program_id)
    print(
        f"\nclear_epoch of an epoch at the cap ({cleared.levels} price levels, {cleared.orders} orders): "
        f"{cu} CU of {MAX_COMPUTE_UNITS}"
    )
    assert cleared.levels == MAX_AUCTION_LEVELS
    assert cu < clear_compute_units(MAX_AUCTION_LEVELS) < MAX_COMPUTE_UNITS
    events = market.settle_all(E0 + 1)  # conservation checked after every chunk
    assert len(events) == -(-market.holding(E0 + 1).header.order_count // 64)
    assert market.holding(E0 + 1).state == SETTLED


def test_an_epoch_at_the_order_cap_takes_no_more_orders_and_refunds_what_cannot_roll(
    trading: TradingEnv,
) -> None:
    env = trading
    market = PeriodicMarket.create(env, params=env.default_params(maker_fee_bps=MAKER_BPS))
    market.warp_to_epoch_start(E0)
    buyer = env.trader(market.address, quote=1_000_000)
    seller = env.trader(market.address, base=100 * BPL)
    # E0: 65 bids that roll over, each at a price of its own, none matched.
    rolling = [market.place(buyer, Side.BID, 10 + i, 1, rollover=True) for i in range(MAX_CHUNK + 1)]
    market.warp_to_epoch_start(E0 + 1)
    live = market.place(seller, Side.ASK, 1_000, 1)

    # E0 + 1 has seen MAX_AUCTION_ORDERS - 64 orders: the live one and as many cancelled ones (empty
    # tombstones, as cancel_auction_order leaves them), in an account grown to fit them exactly.
    account = market.slot_account(1)
    data = env.registry.data(account)
    order_count, live_orders, level_count, region_len = COUNTS.unpack_from(data, COUNTS_AT)
    region = data[HEADER_AT + HEADER_LEN :]
    assert (order_count, live_orders, level_count, region_len) == (1, 1, 1, len(region))
    slots = MAX_AUCTION_ORDERS - MAX_CHUNK
    grown = region[:LEVEL_LEN] + bytes((slots - 1) * ORDER_LEN) + region[-ORDER_LEN:]
    header = bytearray(data[: HEADER_AT + HEADER_LEN])
    COUNTS.pack_into(header, COUNTS_AT, slots, 1, 1, len(grown))
    env.forge(account, bytes(header) + grown, env.client.program_id)
    assert market.holding(E0 + 1).header.order_count == slots
    market.assert_conserved()

    # E0's first chunk rolls 64 orders into 64 new levels there: the account grows by 5,120 bytes,
    # moving 7 MiB of orders: the costliest chunk.
    market.clear(E0)
    sent = env.record("settle_epoch", market.settle_chunk(E0))
    first = one_event(env, sent, "EpochSettled")
    cu = sent.program_cu(env.client.program_id)
    size = len(env.registry.data(account))
    print(
        f"\nsettle_epoch rolling 64 orders into new levels of an epoch account of {size:,} bytes (grown by "
        f"{MAX_CHUNK * (ORDER_LEN + LEVEL_LEN):,}): {cu} CU"
    )
    assert outcomes(first) == {p.order_id: (SettlementOutcome.ROLLED, 0, 1) for p in rolling[:MAX_CHUNK]}
    assert first.lamports_paid > 0
    assert size == HEADER_AT + HEADER_LEN + len(grown) + MAX_CHUNK * (ORDER_LEN + LEVEL_LEN)
    assert cu < settle_compute_units() < MAX_COMPUTE_UNITS
    market.assert_conserved()
    # The second chunk's order finds E0 + 1 full: refunded (no growth, whatever the chunk's size).
    sent = market.settle_chunk(E0, 1)
    second = one_event(env, sent, "EpochSettled")
    assert outcomes(second) == {rolling[-1].order_id: (SettlementOutcome.EPOCH_FULL, 0, 1)}
    assert second.done and second.lamports_paid == 0
    assert second.settlements[0].quote_released == 10 + MAX_CHUNK + fee(10 + MAX_CHUNK, MAKER_BPS)
    assert sent.program_cu(env.client.program_id) < settle_compute_units(1)
    full = market.holding(E0 + 1)
    assert full.header.order_count == MAX_AUCTION_ORDERS
    assert [o.order_id for o in full.orders[-MAX_CHUNK:]] == [p.order_id for p in rolling[:MAX_CHUNK]]
    market.assert_conserved()

    # Full: no order joins E0 + 1, not even at a price it has; one that is cancelled keeps its slot.
    for trader, side, price in ((seller, Side.ASK, 1_000), (buyer, Side.BID, 10)):
        refused = env.fail([market.place_ix(trader, side, price, 1)], [trader.wallet])
        assert refused == code("TooManyAuctionOrders")
    market.cancel(seller, live)
    refused = env.fail([market.place_ix(seller, Side.ASK, 1_000, 1)], [seller.wallet])
    assert refused == code("TooManyAuctionOrders")
    market.assert_conserved()
