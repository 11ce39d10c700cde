"""``solgrid.sdk.trading.replay`` on events built in memory: an epoch's orders are the ones placed in it
and the ones the previous epoch rolled into it (at their indices), less the cancelled ones; other
markets and epochs are ignored; the reference is the latest earlier clearing with a volume; a gap in
the indices is an error, not a wrong result."""

from __future__ import annotations

import pytest
from solders.pubkey import Pubkey

from solgrid.sdk.trading import (
    AuctionOrderCancelled,
    AuctionOrderPlaced,
    EpochCleared,
    EpochSettled,
    Settlement,
    SettlementOutcome,
    Side,
)
from solgrid.sdk.trading.clearing import BookOrder
from solgrid.sdk.trading.events import NOT_ROLLED
from solgrid.sdk.trading.replay import IncompleteEvents, auction_orders, matches, recompute, reference_price

MARKET, OTHER, TRADER = Pubkey.new_unique(), Pubkey.new_unique(), Pubkey.new_unique()


def placed(
    epoch: int, index: int, side: Side, price: int, lots: int, market: Pubkey = MARKET
) -> AuctionOrderPlaced:
    return AuctionOrderPlaced(
        market, TRADER, 0, epoch, index, 100 + index, 0, side, price, lots, 0, True, 0, 0, 0
    )


def cancelled(epoch: int, index: int) -> AuctionOrderCancelled:
    return AuctionOrderCancelled(MARKET, TRADER, epoch, index, 100 + index, 0, Side.BID, 1, 1, 0, 0, 0)


def settled(epoch: int, rolled: list[tuple[int, Side, int, int]]) -> EpochSettled:
    records = [
        Settlement(TRADER, 1, 0, price, 0, 0, 0, 0, 0, 0, lots, 9, index, side, SettlementOutcome.ROLLED)
        for index, side, price, lots in rolled
    ]
    expired = Settlement(
        TRADER, 2, 0, 50, 0, 0, 0, 0, 0, 0, 3, 10, NOT_ROLLED, Side.ASK, SettlementOutcome.EXPIRED
    )
    return EpochSettled(MARKET, TRADER, epoch, 0, 11, True, 0, 0, [*records, expired])


def cleared(epoch: int, price: int, volume: int) -> EpochCleared:
    return EpochCleared(MARKET, 1, epoch, 0, 0, price, volume, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)


def test_placed_rolled_and_cancelled_orders_in_index_order() -> None:
    events = [
        cleared(6, 101, 5),
        settled(6, [(0, Side.BID, 105, 4)]),
        placed(7, 1, Side.ASK, 100, 5),
        placed(7, 2, Side.BID, 103, 2),
        placed(7, 0, Side.BID, 99, 1, market=OTHER),  # another market
        placed(8, 0, Side.ASK, 1, 1),  # a later epoch
        cancelled(7, 2),
    ]
    assert auction_orders(events, MARKET, 7) == [
        BookOrder(Side.BID, 105, 4),
        BookOrder(Side.ASK, 100, 5),
        BookOrder(Side.BID, 103, 0),
    ]
    assert reference_price(events, MARKET, 7) == 101
    result = recompute(events, MARKET, 7)
    assert (result.price, result.volume) == (101, 4)  # the interval 100..105, clamped to the reference
    program = cleared(7, 101, 4)
    assert not matches(program, result)  # its marginal fields are zero here: a mismatch is reported
    full = EpochCleared(MARKET, 1, 7, 0, 0, 101, 4, 4, 5, 4, 5, 105, 4, 100, 4, 101, 2, 2, 0)
    assert matches(full, result)


def test_the_reference_skips_clearings_without_volume_and_later_epochs() -> None:
    events = [cleared(3, 90, 2), cleared(5, 0, 0), cleared(9, 120, 1)]
    assert reference_price(events, MARKET, 6) == 90 and reference_price(events, MARKET, 3) == 0


def test_a_missing_order_is_an_error() -> None:
    with pytest.raises(IncompleteEvents, match="indices"):
        auction_orders([placed(7, 0, Side.BID, 5, 1), placed(7, 2, Side.ASK, 5, 1)], MARKET, 7)
