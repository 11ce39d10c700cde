"""Conservation in LiteSVM: a seeded random run of a few hundred operations by several traders (orders
of every kind and self-trade mode, expiries, cancels, deposits, withdrawals, prunes, fee collection,
growth, clock jumps), checking after every operation that

* the vaults hold exactly the seats' free and locked balances (plus the accrued fees in quote), every
  seat locks exactly what its resting orders lock, and the book is in priority order and not crossed
  (:meth:`TradingEnv.assert_conserved`);
* no token appeared or vanished: wallets, vaults and the fee destination add up to what was minted;
* every fill is at the maker's price, within both limits, and its amounts and fees follow the market's
  units and cumulative rounding.

``SOLGRID_TRADING_SEED=<n>`` replays a run; a failure names its seed.
"""

from __future__ import annotations

import os
import random
from dataclasses import dataclass, field

from registry_harness import T0
from solders.instruction import Instruction
from solders.keypair import Keypair
from solders.pubkey import Pubkey
from solders.transaction_status import InstructionErrorCustom, TransactionErrorInstructionError
from trading_harness import KeyedSent, Trader, TradingEnv, code

from solgrid.localnet.svm import TransactionFailed
from solgrid.sdk.registry import UserRole
from solgrid.sdk.trading import MarketState, OrderKind, OrderPlaced, RestingOrder, SelfTradeMode, Side
from solgrid.sdk.trading.units import fee

GRID = 10**9
OPERATIONS = 600
MINTED_BASE = 60 * GRID
MINTED_QUOTE = 60_000_000
TAKER_BPS, MAKER_BPS = 25, 7
# Refusals a random operation may legitimately meet.
PLACE_REFUSALS = {
    code(name)
    for name in (
        "InsufficientFunds",
        "PostOnlyWouldCross",
        "SelfTrade",
        "OrderLimitReached",
        "ClientOrderIdReused",
        "RoleCannotSell",
    )
}


@dataclass
class Run:
    env: TradingEnv
    market: Pubkey
    rng: random.Random
    traders: list[Trader]
    consumer: Trader
    recipient: Keypair
    fee_destination: Pubkey
    counts: dict[str, int] = field(default_factory=dict)
    last: KeyedSent | None = None
    """The last transaction :meth:`attempt` sent successfully."""

    @property
    def wallets(self) -> list[Trader]:
        return [*self.traders, self.consumer]

    def state(self) -> MarketState:
        return self.env.market_state(self.market)

    def count(self, what: str) -> None:
        self.counts[what] = self.counts.get(what, 0) + 1

    def attempt(self, what: str, ix: Instruction, signer: Keypair, refusals: set[int]) -> bool:
        """Sends ``ix`` signed by ``signer``; True if it succeeded, False if refused with one of
        ``refusals`` (any other failure fails the test)."""
        try:
            self.last = self.env.send([ix], [signer])
        except TransactionFailed as failed:
            err, error = failed.err, None
            if isinstance(err, TransactionErrorInstructionError) and isinstance(
                err.err, InstructionErrorCustom
            ):
                error = err.err.code
            assert error in refusals, f"{what}: {failed}"
            self.count(f"{what} refused {error}")
            return False
        self.count(what)
        return True


def start(env: TradingEnv, rng: random.Random) -> Run:
    recipient = env.registry.wallet()
    params = env.default_params(
        taker_fee_bps=TAKER_BPS,
        maker_fee_bps=MAKER_BPS,
        max_orders_per_epoch=12,
        fee_recipient=recipient.pubkey(),
    )
    market = env.create_market(params)
    traders = []
    for i in range(5):
        trader = env.trader(market)
        env.fund(trader.pubkey, env.base_mint, MINTED_BASE // 6)
        env.fund(trader.pubkey, env.quote_mint, MINTED_QUOTE // 6)
        if i == 0:
            env.set_market_maker(market, trader.pubkey)
        traders.append(trader)
    consumer = env.trader(market, wallet=env.wallet(UserRole.CONSUMER))
    env.fund(consumer.pubkey, env.base_mint, MINTED_BASE // 6)
    env.fund(consumer.pubkey, env.quote_mint, MINTED_QUOTE // 6)
    header = env.market_state(market).header
    for trader in [*traders, consumer]:
        env.deposit(market, trader, header.base_vault, trader.base_account, rng.randrange(1, 6) * GRID)
        env.deposit(market, trader, header.quote_vault, trader.quote_account, rng.randrange(1, 6) * 1_000_000)
    destination = env.fund(recipient.pubkey(), env.quote_mint, 0)
    return Run(env, market, rng, traders, consumer, recipient, destination)


def check_fills(run: Run, placed: OrderPlaced, before: MarketState) -> None:
    """Every fill at the maker's price, inside the taker's limit, with exact amounts and fees."""
    header = before.header
    resting = {o.order_id: o for o in (*before.bids, *before.asks)}
    quote_before = 0
    for fill in placed.fills:
        maker: RestingOrder = resting[fill.maker_order_id]
        assert fill.price == maker.price and fill.maker == maker.trader
        assert fill.price <= placed.price if placed.side == Side.BID else fill.price >= placed.price
        assert fill.lots <= maker.lots and fill.maker_remaining_lots == maker.lots - fill.lots
        unit = fill.price * header.quote_per_lot_tick
        assert (fill.base_amount, fill.quote_amount) == (
            fill.lots * header.base_atoms_per_lot,
            fill.lots * unit,
        )
        filled = (maker.initial_lots - maker.lots) * unit
        assert fill.maker_fee == fee(filled + fill.quote_amount, maker.maker_fee_bps) - fee(
            filled, maker.maker_fee_bps
        )
        taker_fee = fee(quote_before + fill.quote_amount, header.taker_fee_bps) - fee(
            quote_before, header.taker_fee_bps
        )
        assert fill.taker_fee == taker_fee
        quote_before += fill.quote_amount
    assert placed.quote_traded == quote_before and placed.taker_fee == fee(quote_before, header.taker_fee_bps)
    assert placed.filled_lots + placed.rested_lots + placed.cancelled_lots == placed.lots


def place(run: Run) -> None:
    rng, env = run.rng, run.env
    trader = rng.choice(run.wallets)
    side = Side.BID if trader is run.consumer and rng.random() < 0.8 else rng.choice([Side.BID, Side.ASK])
    kind = rng.choices(list(OrderKind), weights=[6, 2, 2])[0]
    state = run.state()
    opposite = state.asks if side == Side.BID else state.bids
    if opposite and rng.random() < 0.4:
        # Aggressive: crosses the best opposite order, often several levels deep.
        step = rng.randint(0, 3)
        price = opposite[0].price + step if side == Side.BID else max(1, opposite[0].price - step)
    else:
        price = rng.randint(92, 108)
    lots = rng.choice([rng.randint(1, 20), rng.randint(1, 2_000)])
    last_id = state.seats[trader.seat].last_client_order_id
    client_order_id = rng.choices([0, last_id + rng.randint(1, 3), last_id], weights=[6, 3, 1])[0]
    expires_at = rng.choice([0, 0, 0, env.now() + rng.randint(1, 900)])
    self_trade = rng.choice(list(SelfTradeMode))
    max_matches = rng.choice([80, 80, rng.randint(1, 5)])
    ix = env.place_ix(
        run.market,
        trader,
        side,
        price,
        lots,
        kind,
        client_order_id=client_order_id,
        expires_at=expires_at,
        self_trade=self_trade,
        max_matches=max_matches,
    )
    if run.attempt("place", ix, trader.wallet, PLACE_REFUSALS):
        assert run.last is not None
        placed = env.placed(run.last)
        assert not (trader is run.consumer and side == Side.ASK)
        check_fills(run, placed, state)
        run.counts["fills"] = run.counts.get("fills", 0) + len(placed.fills)


def cancel(run: Run) -> None:
    state = run.state()
    orders = [*state.bids, *state.asks]
    if not orders:
        return
    order = run.rng.choice(orders)
    owner = next(t for t in run.wallets if t.pubkey == order.trader)
    if run.rng.random() < 0.2:
        other = run.rng.choice([t for t in run.wallets if t is not owner])
        ix = run.env.cancel_ix(run.market, other, order)
        assert not run.attempt("cancel another's", ix, other.wallet, {code("NotOrderOwner")})
        return
    assert run.attempt("cancel", run.env.cancel_ix(run.market, owner, order), owner.wallet, set())


def deposit(run: Run) -> None:
    trader = run.rng.choice(run.wallets)
    base = run.rng.random() < 0.5
    account = trader.base_account if base else trader.quote_account
    held = run.env.token_balance(account)
    if held == 0:
        return
    header = run.state().header
    ix = run.env.client.deposit(
        trader=trader.pubkey,
        market=run.market,
        seat=trader.seat,
        vault=header.base_vault if base else header.quote_vault,
        source=account,
        amount=run.rng.randint(1, held),
    )
    assert run.attempt("deposit", ix, trader.wallet, set())


def withdraw(run: Run) -> None:
    trader = run.rng.choice(run.wallets)
    seat = run.state().seats[trader.seat]
    base = run.rng.random() < 0.5
    free = seat.base_free if base else seat.quote_free
    too_much = run.rng.random() < 0.2
    amount = free + 1 if too_much else run.rng.randint(0, free)
    if amount == 0:
        return
    header = run.state().header
    ix = run.env.withdraw_ix(run.market, trader, header.base_vault if base else header.quote_vault, amount)
    refusals = {code("InsufficientFunds")} if too_much else set()
    assert run.attempt("withdraw", ix, trader.wallet, refusals) != too_much


def prune(run: Run) -> None:
    run.env.prune(run.market, run.rng.randint(1, 80))
    run.count("prune")


def collect(run: Run) -> None:
    accrued = run.state().header.fees_accrued
    ix = run.env.collect_fees_ix(run.market, run.recipient.pubkey(), run.fee_destination)
    refusals = {code("ZeroQuantity")} if accrued == 0 else set()
    assert run.attempt("collect", ix, run.recipient, refusals) == (accrued > 0)


def grow(run: Run) -> None:
    extra = run.rng.randint(1, 16)
    header = run.state().header
    free = header.order_capacity - header.bid_count - header.ask_count
    ix = run.env.client.grow_market(
        payer=run.env.payer.pubkey(), market=run.market, extra_seats=0, extra_orders=extra
    )
    # A market keeps at most 256 free order slots.
    refused = free + extra > 256
    assert (
        run.attempt("grow", ix, run.env.payer, {code("TooMuchFreeCapacity")} if refused else set()) != refused
    )


def tick(run: Run) -> None:
    run.env.advance(run.rng.choice([1, 30, 200, 600]))
    run.count("clock")


OPERATIONS_BY_WEIGHT = [(place, 50), (cancel, 14), (deposit, 8), (withdraw, 10), (prune, 4), (collect, 3),
                        (grow, 2), (tick, 9)]  # fmt: skip


def assert_tokens_conserved(run: Run) -> None:
    env = run.env
    header = run.state().header
    wallets = run.wallets
    base = sum(env.token_balance(t.base_account) for t in wallets) + env.token_balance(header.base_vault)
    quote = (
        sum(env.token_balance(t.quote_account) for t in wallets)
        + env.token_balance(header.quote_vault)
        + env.token_balance(run.fee_destination)
    )
    assert (base, quote) == (MINTED_BASE, MINTED_QUOTE)
    assert env.token_balance(run.fee_destination) == header.fees_collected


def test_a_random_run_conserves_every_token(trading: TradingEnv) -> None:
    seed = int(os.environ.get("SOLGRID_TRADING_SEED") or random.randrange(2**32))
    print(f"trading conservation seed {seed} (replay: SOLGRID_TRADING_SEED={seed})")
    rng = random.Random(seed)
    env = trading
    assert env.now() == T0
    run = start(env, rng)
    operations, weights = zip(*OPERATIONS_BY_WEIGHT, strict=True)
    for step in range(OPERATIONS):
        operation = rng.choices(operations, weights)[0]
        try:
            operation(run)
            env.assert_conserved(run.market)
            assert_tokens_conserved(run)
        except AssertionError as failure:
            raise AssertionError(f"seed {seed}, step {step} ({operation.__name__}): {failure}") from failure

    # Everything out: every order cancelled, every balance withdrawn, the fees collected.
    for order in [*run.state().bids, *run.state().asks]:
        owner = next(t for t in run.wallets if t.pubkey == order.trader)
        env.cancel(run.market, owner, order)
    header = run.state().header
    for trader in run.wallets:
        seat = run.state().seats[trader.seat]
        assert (seat.base_locked, seat.quote_locked, seat.open_orders) == (0, 0, 0)
        if seat.base_free:
            env.withdraw(run.market, trader, header.base_vault, seat.base_free)
        if seat.quote_free:
            env.withdraw(run.market, trader, header.quote_vault, seat.quote_free)
    if run.state().header.fees_accrued:
        collect(run)
    assert (env.token_balance(header.base_vault), env.token_balance(header.quote_vault)) == (0, 0)
    assert_tokens_conserved(run)
    # The run exercised the book, not only its refusals.
    assert run.counts.get("fills", 0) >= 50, f"seed {seed}: {run.counts}"
    assert run.counts.get("cancel", 0) >= 10 and run.counts.get("withdraw", 0) >= 10, (
        f"seed {seed}: {run.counts}"
    )
    print(sorted(run.counts.items()))
