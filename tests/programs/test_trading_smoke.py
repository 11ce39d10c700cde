"""The shortest trade: a resting ask, a crossing bid, settled between seats, reported by one event."""

from __future__ import annotations

from trading_harness import TradingEnv

from solgrid.sdk.trading import Fill, OrderPlaced
from solgrid.sdk.trading.units import OrderState, Side


def test_a_crossing_order_fills_at_the_makers_price_and_settles(trading: TradingEnv) -> None:
    market = trading.create_market()
    seller = trading.trader(market, base=10_000_000_000)
    buyer = trading.trader(market, quote=10_000_000)
    trading.place(market, seller, Side.ASK, price=120, lots=1000)
    sent = trading.place(market, buyer, Side.BID, price=125, lots=400)

    [placed] = trading.events(sent)
    assert isinstance(placed, OrderPlaced)
    assert placed.state == OrderState.FILLED and placed.filled_lots == 400 and placed.rested_lots == 0
    assert placed.steps == [
        Fill(
            maker=seller.pubkey,
            maker_order_id=0,
            maker_client_order_id=0,
            price=120,
            lots=400,
            base_amount=400 * 10**6,
            quote_amount=48_000,
            maker_fee=0,
            taker_fee=120,
            maker_remaining_lots=600,
        )
    ]
    state = trading.market_state(market)
    sell_seat, buy_seat = state.seats
    assert (sell_seat.base_free, sell_seat.base_locked, sell_seat.quote_free) == (
        9_000_000_000,
        600_000_000,
        48_000,
    )
    assert (buy_seat.base_free, buy_seat.quote_free) == (400_000_000, 10_000_000 - 48_120)
    assert state.header.fees_accrued == 120
    assert [(o.price, o.lots) for o in state.asks] == [(120, 600)] and state.bids == []
