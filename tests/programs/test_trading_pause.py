"""The registry's emergency pause seen from trading, in LiteSVM: while TRADING is paused in a market's
zone (``pause_zone``, one regulator) or market-wide (``pause_market``), nothing is placed
(``place_order``, ``place_auction_order``) or cleared (``clear_epoch``): ``TradingPaused``. Cancelling
(``cancel_order``, ``cancel_auction_order``, also after the gate closure, as in a paused market),
withdrawing, depositing, claiming a seat and settling an epoch already cleared keep working. The
other flags (READINGS, MINTING) do not stop trading; a quorum's ``resume_*`` reopens it. The registry
Config is bound by owner and type: a copy from before the pause, or another registry account, is
refused (``InvalidRegistryConfig``)."""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from auction_harness import PeriodicMarket, Placed
from solders.instruction import Instruction
from solders.keypair import Keypair
from solders.pubkey import Pubkey
from trading_harness import PAUSE_TRADING, Trader, TradingEnv, code, replace_account

from solgrid.sdk.trading import OrderState, Side

GRID = 10**9
BPL = 10**6
READINGS, MINTING = 1, 2
E0 = 2_000_000
"""An even epoch: slot 0."""

PAUSES = [
    pytest.param(7, id="zone"),  # the market's zone (ZONE_ID)
    pytest.param(None, id="market-wide"),
]


@dataclass
class Continuous:
    env: TradingEnv
    market: Pubkey
    seller: Trader
    buyer: Trader

    def fail(self, ix: Instruction, *signers: Keypair) -> int:
        error = self.env.fail([ix], signers)
        self.env.assert_conserved(self.market)
        return error

    def bid_ix(self, price: int = 90, lots: int = 10) -> Instruction:
        return self.env.place_ix(self.market, self.buyer, Side.BID, price, lots)


@pytest.fixture
def continuous(trading: TradingEnv) -> Continuous:
    env = trading
    market = env.create_market()
    seller = env.trader(market, base=10 * GRID)
    buyer = env.trader(market, quote=1_000_000)
    env.place(market, seller, Side.ASK, 100, 50)
    env.place(market, buyer, Side.BID, 80, 20)
    return Continuous(env, market, seller, buyer)


@pytest.mark.parametrize("zone_id", PAUSES)
def test_placing_is_refused_while_trading_is_paused(continuous: Continuous, zone_id: int | None) -> None:
    s, env = continuous, continuous.env
    env.pause(PAUSE_TRADING, zone_id)
    assert s.fail(s.bid_ix(), s.buyer.wallet) == code("TradingPaused")
    # A taker that would cross is refused as well, on either side.
    assert s.fail(s.bid_ix(price=100), s.buyer.wallet) == code("TradingPaused")
    ask = env.place_ix(s.market, s.seller, Side.ASK, 80, 5)
    assert s.fail(ask, s.seller.wallet) == code("TradingPaused")
    # A quorum resumes it.
    env.resume(PAUSE_TRADING, zone_id)
    env.place(s.market, s.buyer, Side.BID, 90, 10)
    env.assert_conserved(s.market)


def test_a_pause_of_another_zone_or_of_readings_and_minting_does_not_stop_trading(
    continuous: Continuous,
) -> None:
    s, env = continuous, continuous.env
    env.registry.create_zone(8, "south")
    env.pause(PAUSE_TRADING, 8)
    env.pause(READINGS | MINTING, 7)
    env.pause(READINGS | MINTING, None)
    sent = env.place(s.market, s.buyer, Side.BID, 100, 5)
    assert env.placed(sent).state == OrderState.FILLED
    # The zone's flags and the market-wide ones combine: TRADING in either stops it.
    env.pause(PAUSE_TRADING, None)
    assert s.fail(s.bid_ix(), s.buyer.wallet) == code("TradingPaused")


@pytest.mark.parametrize("zone_id", PAUSES)
def test_cancel_withdraw_deposit_and_seats_go_on_while_trading_is_paused(
    continuous: Continuous, zone_id: int | None
) -> None:
    s, env = continuous, continuous.env
    env.pause(PAUSE_TRADING, zone_id)
    state = env.market_state(s.market)
    [bid] = [o for o in state.bids if o.trader == s.buyer.pubkey]
    [ask] = [o for o in state.asks if o.trader == s.seller.pubkey]
    env.cancel(s.market, s.buyer, bid)
    env.cancel(s.market, s.seller, ask)
    header = env.market_state(s.market).header
    env.withdraw(s.market, s.seller, header.base_vault, 10 * GRID)
    env.withdraw(s.market, s.buyer, header.quote_vault, 1_000_000)
    env.deposit(s.market, s.seller, header.base_vault, s.seller.base_account, GRID)
    newcomer = env.trader(s.market, quote=5_000)  # claims a seat and deposits
    state = env.assert_conserved(s.market)
    assert not state.bids and not state.asks
    assert state.seat_of(newcomer.pubkey) is not None
    assert env.token_balance(s.seller.base_account) == 9 * GRID


def test_a_registry_config_from_before_the_pause_or_of_another_type_is_refused(
    continuous: Continuous,
) -> None:
    s, env = continuous, continuous.env
    registry_config = env.client.registry_config()
    before = env.registry.data(registry_config)
    env.pause(PAUSE_TRADING, None)
    # The unpaused copy at another address, owned by another program (the registry itself creates an
    # account of its Config type only at its PDA, which is why owner and type bind it).
    fake = Keypair().pubkey()
    env.forge(fake, before, Keypair().pubkey())
    ix = replace_account(s.bid_ix(), "registry_config", fake)
    assert s.fail(ix, s.buyer.wallet) == code("InvalidRegistryConfig")
    # The market's Zone (a registry account, unpaused) in its place.
    ix = replace_account(s.bid_ix(), "registry_config", env.client.registry_zone(7))
    assert s.fail(ix, s.buyer.wallet) == code("InvalidRegistryConfig")


# -- periodic markets ---------------------------------------------------------------------------------


@dataclass
class Auction:
    env: TradingEnv
    market: PeriodicMarket
    seller: Trader
    buyer: Trader
    ask: Placed
    bid: Placed

    def fail(self, ix: Instruction, *signers: Keypair) -> int:
        error = self.env.fail([ix], signers)
        self.market.assert_conserved()
        return error

    def cancel_ix(self, trader: Trader, placed: Placed) -> Instruction:
        return self.market.cancel_ix(trader, placed.epoch, placed.index, placed.order_id)


@pytest.fixture
def auction(trading: TradingEnv) -> Auction:
    env = trading
    market = PeriodicMarket.create(env)
    market.warp_to_epoch_start(E0)
    seller = env.trader(market.address, base=100 * BPL)
    buyer = env.trader(market.address, quote=100_000)
    ask = market.place(seller, Side.ASK, 100, 10)
    bid = market.place(buyer, Side.BID, 120, 10)
    return Auction(env, market, seller, buyer, ask, bid)


@pytest.mark.parametrize("zone_id", PAUSES)
def test_auction_orders_and_clearing_wait_while_trading_is_paused(
    auction: Auction, zone_id: int | None
) -> None:
    a, env, m = auction, auction.env, auction.market
    env.pause(PAUSE_TRADING, zone_id)
    place = m.place_ix(a.buyer, Side.BID, 110, 5)
    assert a.fail(place, a.buyer.wallet) == code("TradingPaused")
    m.warp_past(E0)
    assert a.fail(m.clear_ix(E0)) == code("TradingPaused")
    env.resume(PAUSE_TRADING, zone_id)
    cleared = m.clear(E0)
    assert cleared.volume_lots == 10
    # A price already fixed settles while trading is paused again: only settlement releases the funds.
    env.pause(PAUSE_TRADING, zone_id)
    m.settle_all(E0)
    header = env.market_state(m.address).header
    env.withdraw(
        m.address, a.seller, header.quote_vault, env.market_state(m.address).seats[a.seller.seat].quote_free
    )
    m.assert_conserved()


@pytest.mark.parametrize("zone_id", PAUSES)
def test_auction_orders_can_be_cancelled_after_the_gate_closure_while_trading_is_paused(
    auction: Auction, zone_id: int | None
) -> None:
    a, env, m = auction, auction.env, auction.market
    # Before the end any order leaves, paused or not.
    env.pause(PAUSE_TRADING, zone_id)
    m.cancel(a.seller, a.ask)
    env.resume(PAUSE_TRADING, zone_id)
    # After the gate closure the bid is committed to the clearing ...
    m.warp_past(E0)
    assert a.fail(a.cancel_ix(a.buyer, a.bid), a.buyer.wallet) == code("AuctionClosed")
    # ... unless trading is paused (nothing clears then), as in a paused market.
    env.pause(PAUSE_TRADING, zone_id)
    cancelled = m.cancel(a.buyer, a.bid)
    assert cancelled.order_id == a.bid.order_id
    seat = env.market_state(m.address).seats[a.buyer.seat]
    assert (seat.quote_locked, seat.quote_free) == (0, 100_000)
    header = env.market_state(m.address).header
    env.withdraw(m.address, a.buyer, header.quote_vault, 100_000)
    m.assert_conserved()


def test_cancelling_binds_the_pause_accounts(auction: Auction) -> None:
    a, env, m = auction, auction.env, auction.market
    registry_config = env.client.registry_config()
    unpaused = env.registry.data(registry_config)
    env.pause(PAUSE_TRADING, None)
    m.warp_past(E0)
    # Naming an unpaused copy of the Config, or another zone, proves nothing about the pause.
    fake = Keypair().pubkey()
    env.forge(fake, unpaused, Keypair().pubkey())
    ix = replace_account(a.cancel_ix(a.buyer, a.bid), "registry_config", fake)
    assert a.fail(ix, a.buyer.wallet) == code("InvalidRegistryConfig")
    env.registry.create_zone(8, "south")
    ix = replace_account(a.cancel_ix(a.buyer, a.bid), "zone", env.client.registry_zone(8))
    assert a.fail(ix, a.buyer.wallet) == code("InvalidZone")
    # The paused cancellation itself goes through; a cleared epoch keeps its orders, paused or not.
    m.cancel(a.buyer, a.bid)
    env.resume(PAUSE_TRADING, None)
    m.clear(E0)
    env.pause(PAUSE_TRADING, 7)
    assert a.fail(a.cancel_ix(a.seller, a.ask), a.seller.wallet) == code("AuctionClosed")
