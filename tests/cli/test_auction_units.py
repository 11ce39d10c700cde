"""``solgrid auction show``'s document and text from epoch accounts built in memory, for the states a
walkthrough does not stop at: an auction with no crossing, a current epoch without orders, a past epoch
that had none, an epoch half settled, a clearing the levels do not reproduce."""

from __future__ import annotations

import dataclasses
from typing import Any

from solders.pubkey import Pubkey
from test_trading_units import HEADER

from solgrid.cli.auction_cmd import auction_document, render
from solgrid.sdk.trading import AuctionEpoch, AuctionLevel, EpochHeader, EpochState, MarketState

EPOCH_SECS = 900
EPOCH = 1_000
MARKET = MarketState(
    Pubkey.new_unique(), dataclasses.replace(HEADER, epoch_secs=EPOCH_SECS, maker_fee_bps=20), [], [], []
)


def header(state: EpochState, **values: Any) -> EpochHeader:
    zeros: dict[str, Any] = {f.name: 0 for f in dataclasses.fields(EpochHeader)}
    zeros.update(
        market=MARKET.address,
        epoch=EPOCH,
        starts_at=EPOCH * EPOCH_SECS,
        ends_at=(EPOCH + 1) * EPOCH_SECS,
        state=state,
        slot=EPOCH % 2,
    )
    zeros.update(values)
    return EpochHeader(**zeros)


def account(state: EpochState, levels: list[AuctionLevel], **values: Any) -> AuctionEpoch:
    return AuctionEpoch(Pubkey.new_unique(), header(state, **values), levels, [])


DURING = EPOCH * EPOCH_SECS + 100
AFTER = (EPOCH + 1) * EPOCH_SECS + 5


def test_an_auction_where_no_bid_meets_an_ask() -> None:
    uncrossed = account(
        EpochState.COLLECTING, [AuctionLevel(90, 5, 0), AuctionLevel(110, 0, 5)], live_orders=2
    )
    document = auction_document(MARKET, EPOCH, uncrossed, DURING)
    assert (document["state"], document["price"], document["volume_kwh"]) == ("COLLECTING", None, "0.000")
    assert [c["price_ticks"] for c in document["curve"]] == [110, 90] and not any(
        c["clearing"] for c in document["curve"]
    )
    lines = render(document, DURING)
    assert "state: collecting orders until 1970-01-11T10:15:00Z (in 800 s)" in lines
    assert "indicative price (if the auction closed now): none, no bid meets an ask" in lines
    assert not any("<-" in line for line in lines)


def test_epochs_without_orders() -> None:
    current = auction_document(MARKET, EPOCH, None, DURING)
    assert (current["state"], current["orders"], current["curve"], current["price"]) == (
        "COLLECTING",
        0,
        [],
        None,
    )
    past = auction_document(MARKET, EPOCH, None, AFTER)
    assert past["state"] == "EMPTY" and "state: no orders" in render(past, AFTER)
    assert (
        render(past, AFTER)[-1] == "indicative price (if the auction closed now): none, no bid meets an ask"
    )


def test_a_half_settled_epoch_and_the_reference_it_used() -> None:
    levels = [AuctionLevel(100, 0, 10), AuctionLevel(110, 14, 0)]
    fixed = account(
        EpochState.PRICE_FIXED,
        levels,
        reference_price=107,
        clearing_price=107,
        volume_lots=10,
        demand_lots=14,
        supply_lots=10,
        bid_marginal_price=110,
        ask_marginal_price=100,
        order_count=130,
        live_orders=128,
        cursor=64,
    )
    document = auction_document(MARKET, EPOCH, fixed, AFTER)
    assert (document["state"], document["indicative"], document["recomputed_matches"]) == (
        "PRICE_FIXED",
        False,
        True,
    )
    assert (document["reference_price"], document["price"], document["settled_orders"]) == (
        "0.107000",
        "0.107000",
        64,
    )
    lines = render(document, AFTER)
    assert "state: cleared, settling: 64 of 130 orders settled" in lines
    assert any(line.endswith("<- clearing") and line.split()[0] == "0.107000" for line in lines)
    # Without that reference the rule would pick the middle, 105: a different result than the account's.
    moved = dataclasses.replace(fixed, header=dataclasses.replace(fixed.header, reference_price=0))
    document = auction_document(MARKET, EPOCH, moved, AFTER)
    assert document["recomputed_matches"] is False
    assert "recomputed from the levels with the clearing rule: A DIFFERENT RESULT" in render(document, AFTER)


def test_an_open_auction_uses_the_markets_last_price_as_reference() -> None:
    levels = [AuctionLevel(100, 0, 10), AuctionLevel(110, 10, 0)]
    market = dataclasses.replace(MARKET, header=dataclasses.replace(MARKET.header, last_clearing_price=102))
    document = auction_document(market, EPOCH, account(EpochState.COLLECTING, levels), AFTER)
    assert (document["state"], document["price"], document["reference_price"]) == (
        "CLOSED",
        "0.102000",
        "0.102000",
    )
    assert "closed at 1970-01-11T10:15:00Z, waiting for the crank to clear it" in render(document, AFTER)[1]
