"""``solgrid.sdk.trading.funding`` against the program: an order's requirement is what the program
spends at most (exactly, when the whole order trades at its limit price), and a plan claims the seat,
deposits the shortfall and places the order in one transaction."""

from __future__ import annotations

import pytest
from trading_harness import LOT_SIZE_WH, TICK_SIZE, TradingEnv, code

from solgrid.sdk.trading import MarketParams, OrderPlaced
from solgrid.sdk.trading.events import Deposited, SeatClaimed
from solgrid.sdk.trading.funding import (
    Asset,
    OrderSpec,
    order_requirement,
    plan_deposit,
    plan_order,
    withdraw_instructions,
)
from solgrid.sdk.trading.units import OrderKind, OrderState, Side, fee


def _params(trading: TradingEnv, taker: int = 25, maker: int = 0) -> MarketParams:
    return MarketParams(
        tick_size=TICK_SIZE,
        lot_size_wh=LOT_SIZE_WH,
        fee_recipient=trading.payer.pubkey(),
        taker_fee_bps=taker,
        maker_fee_bps=maker,
    )


def test_a_plan_claims_the_seat_deposits_the_shortfall_and_places(trading: TradingEnv) -> None:
    market = trading.create_market()
    seller = trading.trader(market, base=10_000_000_000)
    trading.place(market, seller, Side.ASK, price=120, lots=1000)
    buyer = trading.registry.verified_wallet()
    trading.fund(buyer.pubkey(), trading.quote_mint, 1_000_000)

    state = trading.market_state(market)
    plan, shortfall = plan_order(
        trading.client,
        state,
        buyer.pubkey(),
        OrderSpec(Side.BID, price=125, lots=400),
        deposit_shortfall=True,
    )
    assert plan.claims_seat and plan.seat == 1 and plan.asset is Asset.QUOTE
    assert shortfall == plan.deposit == 400 * 125 + fee(400 * 125, 25) == 50_125
    claimed, deposited, placed = trading.events(trading.send(plan.instructions, [buyer]))
    assert isinstance(claimed, SeatClaimed) and claimed.seat == 1
    assert isinstance(deposited, Deposited) and deposited.amount == 50_125
    assert isinstance(placed, OrderPlaced) and placed.state == OrderState.FILLED
    assert (placed.quote_traded, placed.taker_fee) == (48_000, 120)
    seat = trading.market_state(market).seats[1]
    assert seat.trader == buyer.pubkey() and seat.quote_free == 50_125 - 48_120

    # Free balance covers the next order: no claim, no deposit, one instruction.
    state = trading.market_state(market)
    spec = OrderSpec(Side.BID, price=120, lots=10, kind=OrderKind.IMMEDIATE_OR_CANCEL)
    plan, shortfall = plan_order(trading.client, state, buyer.pubkey(), spec, deposit_shortfall=True)
    assert (plan.claims_seat, plan.deposit, shortfall, len(plan.instructions)) == (False, 0, 0, 1)
    (placed,) = trading.events(trading.send(plan.instructions, [buyer]))
    assert isinstance(placed, OrderPlaced) and placed.filled_lots == 10

    # Without depositing, a shortfall is reported and nothing is deposited.
    spec = OrderSpec(Side.BID, price=120, lots=100)
    plan, shortfall = plan_order(trading.client, state, buyer.pubkey(), spec, deposit_shortfall=False)
    assert plan.deposit == 0 and shortfall > 0 and len(plan.instructions) == 1

    # Withdrawing what is left goes back to the buyer's token account.
    free = trading.market_state(market).seats[1].quote_free
    assert free == 50_125 - 48_120 - (10 * 120 + fee(10 * 120, 25))
    ixs = withdraw_instructions(
        trading.client, trading.market_state(market), buyer.pubkey(), Asset.QUOTE, free
    )
    trading.send(ixs, [buyer])
    assert trading.market_state(market).seats[1].quote_free == 0
    assert trading.token_balance(plan.account) == 1_000_000 - 50_125 + free


def test_a_deposit_plan_claims_the_seat_once(trading: TradingEnv) -> None:
    market = trading.create_market()
    wallet = trading.registry.verified_wallet()
    trading.fund(wallet.pubkey(), trading.base_mint, 5_000)
    first = plan_deposit(trading.client, trading.market_state(market), wallet.pubkey(), Asset.GRID, 2_000)
    assert first.claims_seat and len(first.instructions) == 2
    trading.send(first.instructions, [wallet])
    second = plan_deposit(trading.client, trading.market_state(market), wallet.pubkey(), Asset.GRID, 3_000)
    assert not second.claims_seat and len(second.instructions) == 1 and second.seat == first.seat
    trading.send(second.instructions, [wallet])
    assert trading.market_state(market).seats[first.seat].base_free == 5_000


@pytest.mark.parametrize("kind", [OrderKind.LIMIT, OrderKind.IMMEDIATE_OR_CANCEL])
def test_a_bid_trading_whole_at_its_limit_needs_exactly_the_requirement(
    trading: TradingEnv, kind: OrderKind
) -> None:
    market = trading.create_market(_params(trading, taker=25))
    seller = trading.trader(market, base=10_000_000_000)
    trading.place(market, seller, Side.ASK, price=333, lots=777)
    header = trading.market_state(market).header
    need = order_requirement(header, Side.BID, kind, price=333, lots=777)
    assert need == order_requirement(header, Side.BID, kind, 333, 777)
    assert need.asset is Asset.QUOTE and need.amount == 333 * 777 + fee(333 * 777, 25)

    short = trading.trader(market, quote=need.amount - 1)
    ix = trading.client.place_order(
        trader=short.pubkey,
        market=market,
        zone_id=header.zone_id,
        seat=short.seat,
        side=Side.BID,
        price=333,
        lots=777,
        kind=kind,
    )
    assert trading.fail([ix], [short.wallet]) == code("InsufficientFunds")

    exact = trading.trader(market, quote=need.amount)
    (placed,) = trading.events(trading.place(market, exact, Side.BID, price=333, lots=777, kind=kind))
    assert isinstance(placed, OrderPlaced) and placed.state == OrderState.FILLED
    assert trading.market_state(market).seats[exact.seat].quote_free == 0


def test_a_resting_post_only_bid_and_an_ask_need_exactly_the_requirement(trading: TradingEnv) -> None:
    market = trading.create_market(_params(trading, taker=30, maker=10))
    header = trading.market_state(market).header
    bid = order_requirement(header, Side.BID, OrderKind.POST_ONLY, price=97, lots=1_001)
    assert bid.amount == 97 * 1_001 + fee(97 * 1_001, 10)
    ask = order_requirement(header, Side.ASK, OrderKind.LIMIT, price=200, lots=3)
    assert ask == order_requirement(header, Side.ASK, OrderKind.POST_ONLY, 200, 3)
    assert ask.asset is Asset.GRID and ask.amount == 3 * header.base_atoms_per_lot

    for requirement, side, price, lots, kind in (
        (bid, Side.BID, 97, 1_001, OrderKind.POST_ONLY),
        (ask, Side.ASK, 200, 3, OrderKind.LIMIT),
    ):
        funds = "quote" if requirement.asset is Asset.QUOTE else "base"
        short = trading.trader(market, **{funds: requirement.amount - 1})
        ix = trading.client.place_order(
            trader=short.pubkey,
            market=market,
            zone_id=header.zone_id,
            seat=short.seat,
            side=side,
            price=price,
            lots=lots,
            kind=kind,
        )
        assert trading.fail([ix], [short.wallet]) == code("InsufficientFunds")
        exact = trading.trader(market, **{funds: requirement.amount})
        trading.place(market, exact, side, price=price, lots=lots, kind=kind)
        seat = trading.market_state(market).seats[exact.seat]
        assert (seat.quote_free, seat.base_free) == (0, 0)


@pytest.mark.parametrize("crossing", [0, 1, 250, 499, 500])
def test_a_limit_bid_that_trades_part_and_rests_the_rest_never_needs_more(
    trading: TradingEnv, crossing: int
) -> None:
    """With both fee rates set, the two rounded-up fees of a part that trades and a part that rests
    stay within the requirement whatever the split."""
    market = trading.create_market(_params(trading, taker=33, maker=17))
    if crossing:
        seller = trading.trader(market, base=10_000_000_000)
        trading.place(market, seller, Side.ASK, price=101, lots=crossing)
    header = trading.market_state(market).header
    need = order_requirement(header, Side.BID, OrderKind.LIMIT, price=101, lots=500)
    assert need.amount == 101 * 500 + fee(101 * 500, 33) + 1
    buyer = trading.trader(market, quote=need.amount)
    (placed,) = trading.events(trading.place(market, buyer, Side.BID, price=101, lots=500))
    assert isinstance(placed, OrderPlaced) and placed.filled_lots == crossing
    rest = 500 - crossing
    assert placed.rested_lots == rest
    seat = trading.market_state(market).seats[buyer.seat]
    assert seat.quote_locked == rest * 101 + fee(rest * 101, 17)
    assert seat.quote_free == need.amount - placed.quote_traded - placed.taker_fee - seat.quote_locked
