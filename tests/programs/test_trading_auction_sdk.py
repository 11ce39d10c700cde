"""The SDK's periodic-market flow against the program in LiteSVM: a periodic market created with
``create_market(epoch_secs)``, auction orders placed and cancelled with the SDK's builders and read back
from the epoch account, and the crank's transactions (:func:`solgrid.sdk.trading.crank.epoch_steps`)
sent exactly as the SDK builds them, compute-budget instructions included: the on-chain clearing and
every order's settlement equal :mod:`solgrid.sdk.trading.clearing` recomputed from the order events, and
a chunk of 64 orders that all roll into the next epoch (the costliest chunk) fits the budget the SDK
gives it."""

from __future__ import annotations

import random
from dataclasses import dataclass

from solders.hash import Hash
from solders.keypair import Keypair
from solders.message import MessageV0
from solders.pubkey import Pubkey
from trading_harness import ZONE_ID, Trader, TradingEnv

from solgrid.localnet.svm import Sent, send_v0_svm
from solgrid.sdk.trading import (
    AuctionEpoch,
    AuctionOrderCancelled,
    AuctionOrderPlaced,
    EpochCleared,
    EpochSettled,
    EpochState,
    SettlementOutcome,
    Side,
    TradingEvent,
    decode_event,
)
from solgrid.sdk.trading.clearing import BookOrder, aggregate, clear, fills
from solgrid.sdk.trading.crank import Action, clear_compute_units, epoch_steps, settle_compute_units
from solgrid.sdk.trading.epochs import current_window, slot_of
from solgrid.sdk.trading.events import NOT_ROLLED

EPOCH_SECS = 900
BASE = 10**12
QUOTE = 10**10


@dataclass
class Auction:
    env: TradingEnv
    market: Pubkey

    def epoch(self, epoch: int) -> AuctionEpoch | None:
        client = self.env.client
        for slot in (0, 1):
            address = client.epoch_pda(self.market, slot).address
            account = client.decode_epoch(
                address, self.env.registry.data(address), self.env.market_state(self.market)
            )
            if account.holds(epoch):
                return account
        return None

    def place(
        self, trader: Trader, side: Side, price: int, lots: int, rollover: bool = True
    ) -> AuctionOrderPlaced:
        ix = self.env.client.place_auction_order(
            trader=trader.pubkey,
            market=self.market,
            zone_id=ZONE_ID,
            seat=trader.seat,
            side=side,
            price=price,
            lots=lots,
            rollover=rollover,
        )
        [event] = self.env.events(self.env.send([ix], [trader.wallet]))
        assert isinstance(event, AuctionOrderPlaced)
        return event

    def cancel(self, trader: Trader, placed: AuctionOrderPlaced) -> AuctionOrderCancelled:
        ix = self.env.client.cancel_auction_order(
            trader=trader.pubkey,
            market=self.market,
            zone_id=ZONE_ID,
            seat=trader.seat,
            epoch=placed.epoch,
            index=placed.index,
            order_id=placed.order_id,
        )
        [event] = self.env.events(self.env.send([ix], [trader.wallet]))
        assert isinstance(event, AuctionOrderCancelled)
        return event

    def send_step(self, instructions: list) -> tuple[Sent, list[TradingEvent]]:  # type: ignore[type-arg]
        """Sends a crank step as the SDK built it (its own compute-budget instructions, nothing added)."""
        payer = self.env.payer
        sent = send_v0_svm(self.env.svm, payer, instructions)
        keys = list(MessageV0.try_compile(payer.pubkey(), instructions, [], Hash.default()).account_keys)
        events = []
        for group in sent.meta.inner_instructions():
            for inner in group:
                ix = inner.instruction()
                if keys[ix.program_id_index] == self.env.client.program_id:
                    event = decode_event(self.env.client.coder, bytes(ix.data))
                    if event is not None:
                        events.append(event)
        return sent, events


def periodic_market(env: TradingEnv) -> Auction:
    ix = env.client.create_market(
        payer=env.payer.pubkey(),
        zone_id=ZONE_ID,
        base_mint=env.base_mint.pubkey(),
        quote_mint=env.quote_mint.pubkey(),
        params=env.default_params(maker_fee_bps=20),
        cosigners=[r.pubkey() for r in env.registry.quorum()],
        epoch_secs=EPOCH_SECS,
    )
    env.send([ix], env.registry.quorum())
    return Auction(env, env.client.market_pda(ZONE_ID, env.quote_mint.pubkey()).address)


def assert_conserved(env: TradingEnv, market: Pubkey) -> None:
    """With no epoch mid-settlement, the vaults hold exactly the seats' balances (and the fees)."""
    state = env.market_state(market)
    h = state.header
    assert env.token_balance(h.base_vault) == sum(s.base_free + s.base_locked for s in state.seats)
    quote = sum(s.quote_free + s.quote_locked for s in state.seats) + h.fees_accrued
    assert env.token_balance(h.quote_vault) == quote


def test_a_periodic_market_cranked_with_the_sdks_steps_matches_the_reference(trading: TradingEnv) -> None:
    auction = periodic_market(trading)
    header = trading.market_state(auction.market).header
    assert header.periodic and header.epoch_secs == EPOCH_SECS and header.auction_orders == 0
    for slot in (0, 1):
        pda = trading.client.epoch_pda(auction.market, slot)
        assert header.epoch_bumps[slot] == pda.bump
        account = trading.client.decode_epoch(pda.address, trading.registry.data(pda.address))
        assert account.header.state is EpochState.EMPTY and account.header.slot == slot

    traders = [trading.trader(auction.market, base=BASE, quote=QUOTE) for _ in range(3)]
    rng = random.Random(13)
    now = trading.now()
    span = current_window(now, EPOCH_SECS)
    placed: list[AuctionOrderPlaced] = []
    for _ in range(150):
        trader = rng.choice(traders)
        side = rng.choice(list(Side))
        price = rng.randint(95, 105) + (2 if side is Side.BID else 0)
        placed.append(auction.place(trader, side, price, rng.randint(1, 40), rollover=rng.random() < 0.5))
    assert [p.index for p in placed] == list(range(150)) and {p.epoch for p in placed} == {span.epoch}
    cancelled = {p.index for p in rng.sample(placed, 12)}
    for p in placed:
        if p.index in cancelled:
            owner = next(t for t in traders if t.pubkey == p.trader)
            assert auction.cancel(owner, p).lots == p.lots

    # The epoch account holds what the events say: the reference recomputes its levels from them.
    book = [BookOrder(p.side, p.price, 0 if p.index in cancelled else p.lots) for p in placed]
    account = auction.epoch(span.epoch)
    assert account is not None and account.levels == aggregate(book)
    assert [o.order_id for o in account.orders] == [p.order_id for p in placed]
    assert {o.trader for o in account.orders} == {t.pubkey for t in traders}
    assert [o.index for o in account.live] == [p.index for p in placed if p.index not in cancelled]
    indicative = account.clearing(0)
    assert indicative.volume > 0

    # Before the gate closure the crank has nothing to do; after it, clear then three chunks.
    market = trading.market_state(auction.market)
    assert epoch_steps(trading.client, market, account, now, trading.payer.pubkey()) == []
    trading.advance(span.ends_at - now)
    steps = epoch_steps(trading.client, market, account, trading.now(), trading.payer.pubkey())
    assert [(s.action, s.cursor) for s in steps] == [
        (Action.CLEAR, 0),
        (Action.SETTLE, 0),
        (Action.SETTLE, 64),
        (Action.SETTLE, 128),
    ]
    _, [cleared] = auction.send_step(steps[0].instructions)
    assert isinstance(cleared, EpochCleared)
    expected = clear(aggregate(book), 0)
    assert expected == indicative
    assert (cleared.price, cleared.volume_lots, cleared.demand_lots, cleared.supply_lots) == (
        expected.price,
        expected.volume,
        expected.demand,
        expected.supply,
    )
    assert (cleared.bid_marginal_price, cleared.bid_marginal_lots) == (
        expected.bid_marginal_price,
        expected.bid_marginal,
    )
    assert (cleared.ask_marginal_price, cleared.ask_marginal_lots) == (
        expected.ask_marginal_price,
        expected.ask_marginal,
    )
    assert (cleared.orders, cleared.levels, cleared.reference_price) == (138, len(aggregate(book)), 0)

    settlements = {}
    for step in steps[1:]:
        sent, [chunk] = auction.send_step(step.instructions)
        assert isinstance(chunk, EpochSettled) and chunk.from_index == step.cursor
        assert sent.program_cu(trading.client.program_id) < settle_compute_units()
        settlements.update({s.index: s for s in chunk.settlements})
    assert chunk.done and sorted(settlements) == sorted(p.index for p in placed if p.index not in cancelled)
    allotted = fills(book, expected)
    next_epoch = auction.epoch(span.epoch + 1)
    assert next_epoch is not None and next_epoch.header.state is EpochState.COLLECTING
    for index, s in settlements.items():
        order = placed[index]
        assert s.filled_lots == allotted[index], index
        assert s.quote_amount == s.filled_lots * expected.price * header.quote_per_lot_tick
        rest = order.lots - s.filled_lots
        if rest and order.rollover:
            assert s.rolled_index != NOT_ROLLED
            rolled = next_epoch.orders[s.rolled_index]
            assert (rolled.order_id, rolled.lots, rolled.rolled_in) == (order.order_id, rest, True)
        else:
            assert s.rolled_index == NOT_ROLLED
        rolls = bool(rest and order.rollover)
        assert (
            s.outcome
            is {
                (True, False, False): SettlementOutcome.FILLED,
                (True, True, True): SettlementOutcome.PARTIALLY_FILLED_ROLLED,
                (True, True, False): SettlementOutcome.PARTIALLY_FILLED_EXPIRED,
                (False, True, True): SettlementOutcome.ROLLED,
                (False, True, False): SettlementOutcome.EXPIRED,
            }[(s.filled_lots > 0, rest > 0, rolls)]
        )
    settled = auction.epoch(span.epoch)
    assert settled is not None and settled.header.state is EpochState.SETTLED
    assert (
        epoch_steps(
            trading.client,
            trading.market_state(auction.market),
            settled,
            trading.now(),
            trading.payer.pubkey(),
        )
        == []
    )
    assert trading.market_state(auction.market).header.last_clearing_price == expected.price
    assert_conserved(trading, auction.market)


def test_a_chunk_of_64_rolling_orders_fits_the_sdks_budget(trading: TradingEnv) -> None:
    auction = periodic_market(trading)
    buyer, seller = (trading.trader(auction.market, base=BASE, quote=QUOTE) for _ in range(2))
    span = current_window(trading.now(), EPOCH_SECS)
    # Bids below the asks, each at a price of its own: nothing executes, every order rolls into the
    # next epoch (which grows).
    for i in range(32):
        auction.place(buyer, Side.BID, 90 - i, 1 + i)
        auction.place(seller, Side.ASK, 110 + i, 1 + i)
    trading.advance(span.ends_at - trading.now())
    account = auction.epoch(span.epoch)
    assert account is not None
    steps = epoch_steps(
        trading.client, trading.market_state(auction.market), account, trading.now(), Keypair().pubkey()
    )
    assert [s.action for s in steps] == [Action.CLEAR, Action.SETTLE]
    sent, [cleared] = auction.send_step(steps[0].instructions)
    assert isinstance(cleared, EpochCleared) and cleared.price == 0 and cleared.volume_lots == 0
    assert cleared.levels == 64 and sent.program_cu(trading.client.program_id) < clear_compute_units(64)
    # The payer of the step built for a fresh key cannot pay; rebuild it for the harness payer.
    steps = epoch_steps(
        trading.client,
        trading.market_state(auction.market),
        auction.epoch(span.epoch),
        trading.now(),
        trading.payer.pubkey(),  # type: ignore[arg-type]
    )
    sent, [chunk] = auction.send_step(steps[0].instructions)
    assert isinstance(chunk, EpochSettled) and chunk.done and chunk.lamports_paid > 0
    assert all(s.outcome is SettlementOutcome.ROLLED for s in chunk.settlements)
    used = sent.program_cu(trading.client.program_id)
    assert used < settle_compute_units(), (used, settle_compute_units())
    rolled = auction.epoch(span.epoch + 1)
    assert (
        rolled is not None and rolled.header.rolled_in == 64 and slot_of(span.epoch + 1) == rolled.header.slot
    )
    assert_conserved(trading, auction.market)
