"""Every failure path of the periodic call auction in LiteSVM, each with its specific error: cranking
before an epoch ends, clearing twice, settling a settled epoch, chunks out of order, epoch accounts of
another market, of the wrong slot or forged, placing while the slot holds an unsettled older epoch,
clearing out of order, cancelling after gate closure, the continuous instructions on a periodic market
and the auction instructions on a continuous one, signers, writability, expiry before the auction, and
paused markets and halted zones. After each refusal nothing changed (the market still conserves)."""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from auction_harness import PRICE_FIXED, PeriodicMarket, Placed
from instruction_edits import with_data, with_meta
from solders.instruction import Instruction
from solders.keypair import Keypair
from solders.pubkey import Pubkey
from trading_harness import Trader, TradingEnv, account_index, code, replace_account

from solgrid.sdk.registry import UserRole, ZoneStatus
from solgrid.sdk.trading import MarketStatus, RestingOrder, Side

E0 = 2_000_000
"""An even epoch: slot 0."""
BPL = 10**6


@dataclass
class Scene:
    env: TradingEnv
    market: PeriodicMarket
    seller: Trader
    buyer: Trader
    ask: Placed
    bid: Placed
    other: PeriodicMarket
    """A periodic market of the same zone against another quote mint, with an order in E0 too (its
    epoch account of slot 0 holds E0 as ours does)."""
    continuous: Pubkey
    """A continuous market of the same zone against a third quote mint."""
    continuous_trader: Trader

    def fail(self, ix: Instruction, *signers: Keypair) -> int:
        error = self.env.fail([ix], signers)
        self.market.assert_conserved()
        return error

    def place_ix(self, **extra: object) -> Instruction:
        return self.market.place_ix(self.buyer, Side.BID, 110, 5, **extra)  # type: ignore[arg-type]

    def cancel_ix(
        self, placed: Placed | None = None, trader: Trader | None = None, **extra: object
    ) -> Instruction:
        placed = placed or self.bid
        trader = trader or self.buyer
        return self.market.cancel_ix(trader, placed.epoch, placed.index, placed.order_id, **extra)  # type: ignore[arg-type]

    def ended(self) -> None:
        self.market.warp_past(E0)

    def cleared(self) -> None:
        self.ended()
        self.market.clear(E0)


@pytest.fixture
def scene(trading: TradingEnv) -> Scene:
    env = trading
    market = PeriodicMarket.create(env, params=env.default_params(maker_fee_bps=25))
    market.warp_to_epoch_start(E0)
    seller = env.trader(market.address, base=100 * BPL)
    buyer = env.trader(market.address, quote=100_000)
    ask = market.place(seller, Side.ASK, 100, 10)
    bid = market.place(buyer, Side.BID, 120, 10)
    other_quote, third_quote = Keypair(), Keypair()
    env.create_mint(other_quote, 6)
    env.create_mint(third_quote, 6)
    other = PeriodicMarket.create(env, quote_mint=other_quote.pubkey())
    # Both other markets quote other mints: their traders deposit GRID only.
    other_seller = env.trader(other.address, base=100 * BPL, wallet=seller.wallet)
    other.place(other_seller, Side.ASK, 120, 10)
    continuous = env.create_market(quote_mint=third_quote.pubkey())
    continuous_trader = env.trader(continuous, base=100 * BPL, wallet=seller.wallet)
    env.place(continuous, continuous_trader, Side.ASK, 130, 5)
    return Scene(env, market, seller, buyer, ask, bid, other, continuous, continuous_trader)


def error(name: str) -> int:
    return code(name)


# -- the state machine ----------------------------------------------------------------------------------


def test_crank_before_the_epoch_ends(scene: Scene) -> None:
    assert scene.fail(scene.market.clear_ix(E0)) == error("EpochNotEnded")
    scene.market.warp(scene.market.ends_at(E0) - 1)
    assert scene.fail(scene.market.clear_ix(E0)) == error("EpochNotEnded")
    assert scene.fail(scene.market.settle_ix(E0, 0)) == error("EpochNotPriceFixed")
    scene.market.warp(scene.market.ends_at(E0))
    scene.market.clear(E0)


def test_clear_twice(scene: Scene) -> None:
    scene.cleared()
    assert scene.fail(scene.market.clear_ix(E0)) == error("EpochAlreadyCleared")
    scene.market.settle_all(E0)
    assert scene.fail(scene.market.clear_ix(E0)) == error("EpochAlreadyCleared")


def test_settle_a_settled_epoch(scene: Scene) -> None:
    scene.cleared()
    scene.market.settle_all(E0)
    for cursor in (0, 2):
        assert scene.fail(scene.market.settle_ix(E0, cursor)) == error("EpochAlreadySettled")


def test_chunks_out_of_order_and_invalid_chunks(scene: Scene) -> None:
    scene.cleared()
    assert scene.fail(scene.market.settle_ix(E0, 1)) == error("ChunkOutOfOrder")  # one would be skipped
    scene.market.settle_chunk(E0, 1)
    assert scene.market.holding(E0).cursor == 1
    assert scene.fail(scene.market.settle_ix(E0, 0)) == error("ChunkOutOfOrder")  # a retry of that chunk
    assert scene.fail(scene.market.settle_ix(E0, 2)) == error("ChunkOutOfOrder")
    for size in (0, 65, 255):
        assert scene.fail(scene.market.settle_ix(E0, 1, size)) == error("InvalidChunk")
    scene.market.settle_chunk(E0, 1)


def test_placing_while_the_slot_holds_an_unsettled_older_epoch(scene: Scene) -> None:
    m = scene.market
    m.warp_to_epoch_start(E0 + 2)
    buyer = scene.buyer.wallet
    assert scene.fail(scene.place_ix(), buyer) == error("EpochNotSettled")  # E0 was never cleared
    m.clear(E0)
    assert scene.fail(scene.place_ix(), buyer) == error("EpochNotSettled")  # cleared, not settled
    m.settle_chunk(E0, 1)
    assert scene.fail(scene.place_ix(), buyer) == error("EpochNotSettled")  # half settled
    m.settle_all(E0)
    m.place(scene.buyer, Side.BID, 110, 5)  # the keeper caught up: the slot is E0 + 2's


def test_an_epoch_cannot_start_while_the_other_slot_holds_an_older_unsettled_one(scene: Scene) -> None:
    """E0 + 1 (slot 1) holds a rolling order nobody cranked; at E0 + 4 slot 0 is free, but E0 + 1's
    remainder must still roll into E0 + 2 in slot 0: E0 + 4 cannot start until the keeper caught up
    through E0 + 1, E0 + 2 and E0 + 3, each rolling the order on."""
    m = scene.market
    scene.cleared()
    m.settle_all(E0)
    m.warp_to_epoch_start(E0 + 1)
    rolling = m.place(scene.seller, Side.ASK, 200, 5, rollover=True)
    m.warp_to_epoch_start(E0 + 4)
    assert scene.fail(scene.place_ix(), scene.buyer.wallet) == error("EpochNotSettled")
    for epoch in (E0 + 1, E0 + 2, E0 + 3):
        m.clear(epoch)
        [settled] = m.settle_all(epoch)
        assert [(s.order_id, type(s.outcome).__name__) for s in settled.settlements] == [
            (rolling.order_id, "Rolled")
        ]
    assert m.holding(E0 + 4).orders[0].order_id == rolling.order_id
    assert m.place(scene.buyer, Side.BID, 110, 5).epoch == E0 + 4


def test_epochs_clear_in_order(scene: Scene) -> None:
    m = scene.market
    m.warp_to_epoch_start(E0 + 1)
    m.place(scene.seller, Side.ASK, 100, 5)
    m.warp_past(E0 + 1)
    assert scene.fail(m.clear_ix(E0 + 1)) == error("EpochOutOfOrder")  # E0 is still collecting
    m.clear(E0)
    assert scene.fail(m.clear_ix(E0 + 1)) == error("EpochOutOfOrder")  # E0 is not settled
    m.settle_all(E0)
    m.clear(E0 + 1)


def test_wrong_epoch_number(scene: Scene) -> None:
    m = scene.market
    scene.ended()
    assert scene.fail(m.clear_ix(E0 + 2)) == error("WrongEpoch")  # slot 0 holds E0
    assert scene.fail(m.clear_ix(E0 - 2)) == error("WrongEpoch")
    assert scene.fail(m.clear_ix(E0 + 1)) == error("WrongEpoch")  # slot 1 is empty
    m.clear(E0)
    assert scene.fail(m.settle_ix(E0 + 2, 0)) == error("WrongEpoch")
    ix = m.cancel_ix(scene.buyer, E0 + 2, scene.bid.index, scene.bid.order_id)
    assert scene.fail(ix, scene.buyer.wallet) == error("WrongEpoch")


# -- epoch accounts ----------------------------------------------------------------------------------


def test_epoch_accounts_of_another_market(scene: Scene) -> None:
    m, theirs = scene.market, scene.other
    ix = replace_account(scene.place_ix(), "epoch_0", theirs.slot_account(0))
    assert scene.fail(ix, scene.buyer.wallet) == error("WrongEpochAccount")
    ix = replace_account(scene.place_ix(), "epoch_1", theirs.slot_account(1))
    assert scene.fail(ix, scene.buyer.wallet) == error("WrongEpochAccount")
    ix = scene.cancel_ix(epoch_account=theirs.slot_account(0))
    assert scene.fail(ix, scene.buyer.wallet) == error("WrongEpochAccount")
    scene.ended()
    assert scene.fail(m.clear_ix(E0, epoch_account=theirs.slot_account(0))) == error("WrongEpochAccount")
    assert scene.fail(m.clear_ix(E0, other=theirs.slot_account(1))) == error("WrongEpochAccount")
    m.clear(E0)
    assert scene.fail(m.settle_ix(E0, 0, epoch_account=theirs.slot_account(0))) == error("WrongEpochAccount")
    assert scene.fail(m.settle_ix(E0, 0, next_account=theirs.slot_account(1))) == error("WrongEpochAccount")
    m.settle_all(E0)


def test_epoch_accounts_of_the_wrong_slot(scene: Scene) -> None:
    m = scene.market
    zero, one = m.slot_account(0), m.slot_account(1)
    swapped = replace_account(replace_account(scene.place_ix(), "epoch_0", one), "epoch_1", zero)
    assert scene.fail(swapped, scene.buyer.wallet) == error("WrongEpochAccount")
    same = replace_account(scene.place_ix(), "epoch_1", zero)
    assert scene.fail(same, scene.buyer.wallet) == error("WrongEpochAccount")
    assert scene.fail(scene.cancel_ix(epoch_account=one), scene.buyer.wallet) == error("WrongEpochAccount")
    scene.ended()
    assert scene.fail(m.clear_ix(E0, epoch_account=one)) == error("WrongEpochAccount")
    assert scene.fail(m.clear_ix(E0, other=zero)) == error("WrongEpochAccount")
    m.clear(E0)
    assert scene.fail(m.settle_ix(E0, 0, epoch_account=one)) == error("WrongEpochAccount")
    assert scene.fail(m.settle_ix(E0, 0, next_account=zero)) == error("WrongEpochAccount")


def forged(scene: Scene, owner: Pubkey, discriminator: bytes | None = None) -> Pubkey:
    """A byte-for-byte copy of the market's epoch account of slot 0 at a new address, owned by ``owner``
    (with another discriminator when given)."""
    data = bytearray(scene.env.registry.data(scene.market.slot_account(0)))
    if discriminator is not None:
        data[:8] = discriminator
    fake = Keypair().pubkey()
    scene.env.forge(fake, bytes(data), owner)
    return fake


def test_fake_epoch_accounts(scene: Scene) -> None:
    env, m = scene.env, scene.market
    program = env.client.program_id
    fakes = [
        forged(scene, Keypair().pubkey()),  # not the program's
        forged(scene, program, env.client.coder.account_discriminator("Market")),  # not an AuctionEpoch
        m.address,  # the market itself
        env.client.config_pda().address,
        Keypair().pubkey(),  # nothing there
    ]
    for fake in fakes:
        ix = replace_account(scene.place_ix(), "epoch_0", fake)
        assert scene.fail(ix, scene.buyer.wallet) == error("WrongEpochAccount"), fake
        assert scene.fail(scene.cancel_ix(epoch_account=fake), scene.buyer.wallet) == error(
            "WrongEpochAccount"
        )
    scene.ended()
    for fake in fakes:
        assert scene.fail(m.clear_ix(E0, epoch_account=fake)) == error("WrongEpochAccount")
        assert scene.fail(m.clear_ix(E0, other=fake)) == error("WrongEpochAccount")
    m.clear(E0)
    for fake in fakes:
        assert scene.fail(m.settle_ix(E0, 0, epoch_account=fake)) == error("WrongEpochAccount")
        assert scene.fail(m.settle_ix(E0, 0, next_account=fake)) == error("WrongEpochAccount")
    assert m.holding(E0).state == PRICE_FIXED


# -- cancelling -------------------------------------------------------------------------------------------


def test_cancel_after_gate_closure(scene: Scene) -> None:
    scene.ended()
    assert scene.fail(scene.cancel_ix(), scene.buyer.wallet) == error("AuctionClosed")
    scene.market.clear(E0)
    assert scene.fail(scene.cancel_ix(), scene.buyer.wallet) == error("AuctionClosed")
    scene.market.settle_all(E0)
    assert scene.fail(scene.cancel_ix(), scene.buyer.wallet) == error("AuctionClosed")


def test_cancel_only_ones_own_live_order(scene: Scene) -> None:
    m = scene.market
    # The seller names its own seat and the buyer's order: not its order.
    ix = m.cancel_ix(scene.seller, E0, scene.bid.index, scene.bid.order_id)
    assert scene.fail(ix, scene.seller.wallet) == error("NotOrderOwner")
    # The seller names the buyer's seat: not its seat.
    ix = m.cancel_ix(scene.seller, E0, scene.bid.index, scene.bid.order_id, seat=scene.buyer.seat)
    assert scene.fail(ix, scene.seller.wallet) == error("WrongSeat")
    # The order id must be the one at that index; an index past the orders holds none.
    ix = m.cancel_ix(scene.buyer, E0, scene.bid.index, scene.ask.order_id)
    assert scene.fail(ix, scene.buyer.wallet) == error("OrderNotFound")
    ix = m.cancel_ix(scene.buyer, E0, 7, scene.bid.order_id)
    assert scene.fail(ix, scene.buyer.wallet) == error("OrderNotFound")
    m.cancel(scene.buyer, scene.bid)
    assert scene.fail(scene.cancel_ix(), scene.buyer.wallet) == error("OrderNotFound")  # twice


# -- market modes -----------------------------------------------------------------------------------------


def test_continuous_instructions_on_a_periodic_market(scene: Scene) -> None:
    env, m = scene.env, scene.market
    ix = env.place_ix(m.address, scene.buyer, Side.BID, 110, 5)
    assert scene.fail(ix, scene.buyer.wallet) == error("WrongMarketMode")
    resting = RestingOrder(
        side=Side.BID,
        price=120,
        order_id=scene.bid.order_id,
        lots=10,
        initial_lots=10,
        client_order_id=0,
        expires_at=0,
        seat=scene.buyer.seat,
        trader=scene.buyer.pubkey,
        filled_on_entry=False,
        maker_fee_bps=25,
    )
    assert scene.fail(env.cancel_ix(m.address, scene.buyer, resting), scene.buyer.wallet) == error(
        "WrongMarketMode"
    )
    assert scene.fail(env.client.prune_expired(market=m.address)) == error("WrongMarketMode")


def test_auction_instructions_on_a_continuous_market(scene: Scene) -> None:
    env = scene.env
    c = PeriodicMarket(env, scene.continuous, 900)
    trader = scene.continuous_trader
    assert env.fail([c.place_ix(trader, Side.ASK, 110, 5)], [trader.wallet]) == error("WrongMarketMode")
    assert env.fail([c.cancel_ix(trader, E0, 0, 0)], [trader.wallet]) == error("WrongMarketMode")
    scene.ended()
    assert env.fail([c.clear_ix(E0)]) == error("WrongMarketMode")
    assert env.fail([c.settle_ix(E0, 0)]) == error("WrongMarketMode")
    env.assert_conserved(scene.continuous)


# -- signers and writability ------------------------------------------------------------------------------


def test_signers(scene: Scene) -> None:
    m = scene.market
    assert scene.fail(with_meta(scene.place_ix(), 0, signer=False)) == error("MissingSigner")
    assert scene.fail(with_meta(scene.cancel_ix(), 0, signer=False)) == error("MissingSigner")
    scene.cleared()
    stranger = Keypair()
    ix = with_meta(m.settle_ix(E0, 0, payer=stranger.pubkey()), 0, signer=False)
    assert scene.fail(ix) == error("MissingSigner")


def writable_cases(scene: Scene) -> list[tuple[Instruction, str, list[Keypair]]]:
    cases = [
        (scene.place_ix(), name, [scene.buyer.wallet]) for name in ("trader", "market", "epoch_0", "epoch_1")
    ]
    cases += [(scene.cancel_ix(), name, [scene.buyer.wallet]) for name in ("market", "epoch_account")]
    return cases


def test_non_writable_accounts(scene: Scene) -> None:
    m = scene.market
    # The trader pays only when the epoch account grows: the next order of 8 finds no room.
    for _ in range(7):
        m.place(scene.buyer, Side.BID, 111, 1)
    for ix, name, signers in writable_cases(scene):
        ix = with_meta(ix, account_index(ix, name), writable=False)
        assert scene.fail(ix, *signers) == error("AccountNotWritable"), name
    scene.ended()
    for name in ("market", "epoch_account"):
        ix = m.clear_ix(E0)
        assert scene.fail(with_meta(ix, account_index(ix, name), writable=False)) == error(
            "AccountNotWritable"
        )
    m.clear(E0)
    payer = scene.env.wallet()
    for name in ("payer", "market", "epoch_account", "next_epoch_account"):
        ix = m.settle_ix(E0, 0, payer=payer.pubkey())
        ix = with_meta(ix, account_index(ix, name), writable=False)
        assert scene.fail(ix, payer) == error("AccountNotWritable"), name


def test_settle_needs_the_system_program(scene: Scene) -> None:
    scene.cleared()
    ix = replace_account(scene.market.settle_ix(E0, 0), "system_program", Keypair().pubkey())
    assert scene.fail(ix) == error("InvalidSystemProgram")


# -- placing ----------------------------------------------------------------------------------------------


def test_expiry_before_the_auction_ends(scene: Scene) -> None:
    ends = scene.market.ends_at(E0)
    for expires_at in (ends - 1, scene.env.now() + 1, 1):
        assert scene.fail(scene.place_ix(expires_at=expires_at), scene.buyer.wallet) == error(
            "ExpiresBeforeAuction"
        )
    scene.market.place(scene.buyer, Side.BID, 110, 5, expires_at=ends)


def test_place_checks_as_a_resting_order(scene: Scene) -> None:
    env, m, buyer = scene.env, scene.market, scene.buyer
    data = bytes(scene.place_ix().data)
    assert scene.fail(with_data(scene.place_ix(), data[:-1] + b"\x02"), buyer.wallet) == error(
        "InvalidOrderArgs"
    )
    assert scene.fail(with_data(scene.place_ix(), data[:12] + b"\x02" + data[13:]), buyer.wallet) == error(
        "InvalidOrderArgs"
    )
    assert scene.fail(m.place_ix(buyer, Side.BID, 110, 0), buyer.wallet) == error("ZeroQuantity")
    assert scene.fail(m.place_ix(buyer, Side.BID, 0, 5), buyer.wallet) == error("InvalidPrice")
    assert scene.fail(m.place_ix(buyer, Side.BID, 2**40 + 1, 5), buyer.wallet) == error("InvalidPrice")
    assert scene.fail(m.place_ix(buyer, Side.BID, 1_000, 1_000), buyer.wallet) == error("InsufficientFunds")
    assert scene.fail(m.place_ix(buyer, Side.BID, 110, 5, seat=scene.seller.seat), buyer.wallet) == error(
        "WrongSeat"
    )
    m.place(buyer, Side.BID, 110, 5, client_order_id=9)
    assert scene.fail(m.place_ix(buyer, Side.BID, 110, 5, client_order_id=9), buyer.wallet) == error(
        "ClientOrderIdReused"
    )
    consumer = env.wallet(UserRole.CONSUMER)
    trader = env.trader(m.address, base=10 * BPL, wallet=consumer)
    assert scene.fail(m.place_ix(trader, Side.ASK, 110, 5), consumer) == error("RoleCannotSell")
    env.suspend(consumer.pubkey())
    assert scene.fail(m.place_ix(trader, Side.BID, 110, 5), consumer) == error("UserNotVerified")
    ix = replace_account(scene.place_ix(), "user", env.client.registry_user(scene.seller.pubkey))
    assert scene.fail(ix, buyer.wallet) == error("InvalidUser")


def test_paused_market(scene: Scene) -> None:
    env, m = scene.env, scene.market
    env.update_market(m.address, status=MarketStatus.PAUSED)
    assert scene.fail(scene.place_ix(), scene.buyer.wallet) == error("MarketPaused")
    scene.ended()
    assert scene.fail(m.clear_ix(E0)) == error("MarketPaused")
    env.update_market(m.address, status=MarketStatus.ACTIVE)
    m.clear(E0)
    # A cleared epoch settles while the market is paused: its funds are released only by settlement.
    env.update_market(m.address, status=MarketStatus.PAUSED)
    m.settle_all(E0)


def test_halted_zone_and_wrong_zone(scene: Scene) -> None:
    env, m = scene.env, scene.market
    env.set_zone_status(ZoneStatus.HALTED)
    assert scene.fail(scene.place_ix(), scene.buyer.wallet) == error("ZoneHalted")
    scene.ended()
    assert scene.fail(m.clear_ix(E0)) == error("ZoneHalted")
    env.set_zone_status(ZoneStatus.ACTIVE)
    other_zone = env.client.registry_zone(8)
    assert scene.fail(replace_account(m.clear_ix(E0), "zone", other_zone)) == error("InvalidZone")
    m.clear(E0)


def test_tick_and_lot_size_stay_while_auction_orders_wait(scene: Scene) -> None:
    env, m = scene.env, scene.market
    ix = env.update_market_ix(m.address, tick_size=2_000)
    assert env.fail([ix], env.registry.quorum()) == error("OrdersResting")
    scene.cleared()
    m.settle_all(E0)
    env.update_market(m.address, tick_size=2_000)


# -- create_market --------------------------------------------------------------------------------------


def test_create_market_checks_the_epoch_length_and_accounts(trading: TradingEnv) -> None:
    env = trading
    quorum = env.registry.quorum()
    assert env.fail([PeriodicMarket.create_ix(env, epoch_secs=86_401)], quorum) == error("InvalidEpochLength")
    ix = PeriodicMarket.create_ix(env)
    zero, one = (ix.accounts[account_index(ix, n)].pubkey for n in ("epoch_0", "epoch_1"))
    swapped = replace_account(replace_account(ix, "epoch_0", one), "epoch_1", zero)
    assert env.fail([swapped], quorum) == error("WrongEpochAccount")
    assert env.fail([replace_account(ix, "epoch_1", Keypair().pubkey())], quorum) == error(
        "WrongEpochAccount"
    )
    assert env.fail([with_meta(ix, account_index(ix, "epoch_0"), writable=False)], quorum) == error(
        "AccountNotWritable"
    )
    market = PeriodicMarket.create(env, epoch_secs=86_400)
    assert market.periodic().epoch_secs == 86_400
