"""Traders' funds in LiteSVM: claim_seat, deposit, withdraw and collect_fees, every success path and
each failure with its exact error (token-program failures with SPL Token's own code)."""

from __future__ import annotations

import pytest
from instruction_edits import with_meta
from solders.instruction import Instruction
from solders.keypair import Keypair
from solders.pubkey import Pubkey
from trading_harness import Trader, TradingEnv, code, replace_account

from solgrid.sdk.registry import UserRole
from solgrid.sdk.trading import Side
from solgrid.sdk.trading.events import Deposited, FeesCollected, SeatClaimed, Withdrawn

SEAT_LEN = 96
# SPL Token's errors (spl_token::error::TokenError).
TOKEN_INSUFFICIENT_FUNDS = 1
GRID = 10**9
"""Base atoms of 1 kWh."""


@pytest.fixture
def market(trading: TradingEnv) -> Pubkey:
    return trading.create_market()


def vaults(env: TradingEnv, market: Pubkey) -> tuple[Pubkey, Pubkey]:
    header = env.market_state(market).header
    return header.base_vault, header.quote_vault


def deposit_ix(env: TradingEnv, market: Pubkey, trader: Trader, vault: Pubkey, source: Pubkey, amount: int,
               seat: int | None = None) -> Instruction:  # fmt: skip
    return env.client.deposit(
        trader=trader.pubkey,
        market=market,
        seat=trader.seat if seat is None else seat,
        vault=vault,
        source=source,
        amount=amount,
    )


# -- claim_seat ----------------------------------------------------------------------------------------


def test_claim_seat_grows_the_market_by_one_seat_paid_by_the_trader(
    trading: TradingEnv, market: Pubkey
) -> None:
    env = trading
    seats = []
    for expected in range(3):
        wallet = env.wallet()
        size = len(env.registry.data(market))
        before = env.registry.balance(wallet.pubkey())
        sent = env.send([env.client.claim_seat(trader=wallet.pubkey(), market=market)], [wallet])
        assert env.events(sent) == [
            SeatClaimed(market=market, trader=wallet.pubkey(), seat=expected, timestamp=env.now())
        ]
        assert len(env.registry.data(market)) == size + SEAT_LEN
        rent = env.svm.minimum_balance_for_rent_exemption
        assert before - env.registry.balance(wallet.pubkey()) == rent(size + SEAT_LEN) - rent(size)
        seats.append(wallet.pubkey())
    state = env.market_state(market)
    assert [s.trader for s in state.seats] == seats
    assert all(
        (s.base_free, s.base_locked, s.quote_free, s.quote_locked, s.open_orders, s.market_maker)
        == (0, 0, 0, 0, 0, False)
        for s in state.seats
    )


@pytest.mark.parametrize("role", list(UserRole))
def test_every_verified_role_may_take_a_seat(trading: TradingEnv, market: Pubkey, role: UserRole) -> None:
    wallet = trading.wallet(role)
    trading.send([trading.client.claim_seat(trader=wallet.pubkey(), market=market)], [wallet])
    assert trading.market_state(market).seat_of(wallet.pubkey()) is not None


def test_claim_seat_needs_a_verified_registry_user(trading: TradingEnv, market: Pubkey) -> None:
    env = trading
    pending = env.wallet(verified=False)
    ix = env.client.claim_seat(trader=pending.pubkey(), market=market)
    assert env.fail([ix], [pending]) == code("UserNotVerified")
    suspended = env.wallet()
    env.suspend(suspended.pubkey())
    ix = env.client.claim_seat(trader=suspended.pubkey(), market=market)
    assert env.fail([ix], [suspended]) == code("UserNotVerified")
    unregistered = env.registry.wallet()
    ix = env.client.claim_seat(trader=unregistered.pubkey(), market=market)
    assert env.fail([ix], [unregistered]) == code("InvalidUser")
    assert env.market_state(market).seats == []


def test_claim_seat_refuses_another_wallets_user(trading: TradingEnv, market: Pubkey) -> None:
    env = trading
    verified = env.wallet()
    stranger = env.registry.wallet()
    ix = env.client.claim_seat(trader=stranger.pubkey(), market=market)
    ix = replace_account(ix, "user", env.client.registry_user(verified.pubkey()))
    assert env.fail([ix], [stranger]) == code("InvalidUser")


def test_claim_seat_twice_fails(trading: TradingEnv, market: Pubkey) -> None:
    env = trading
    trader = env.trader(market)
    ix = env.client.claim_seat(trader=trader.pubkey, market=market)
    assert env.fail([ix], [trader.wallet]) == code("SeatExists")


def test_claim_seat_needs_the_traders_signature(trading: TradingEnv, market: Pubkey) -> None:
    env = trading
    wallet = env.wallet()
    ix = with_meta(env.client.claim_seat(trader=wallet.pubkey(), market=market), 0, signer=False)
    assert env.fail([ix]) == code("MissingSigner")


# -- deposit -------------------------------------------------------------------------------------------


def test_deposit_credits_the_seat_and_fills_the_vault(trading: TradingEnv, market: Pubkey) -> None:
    env = trading
    base_vault, quote_vault = vaults(env, market)
    trader = env.trader(market)
    env.fund(trader.pubkey, env.base_mint, 7 * GRID)
    env.fund(trader.pubkey, env.quote_mint, 5_000_000)
    sent = env.deposit(market, trader, base_vault, trader.base_account, 3 * GRID)
    assert env.events(sent) == [
        Deposited(
            market=market,
            trader=trader.pubkey,
            seat=trader.seat,
            mint=env.base_mint.pubkey(),
            amount=3 * GRID,
            free_after=3 * GRID,
            timestamp=env.now(),
        )
    ]
    env.deposit(market, trader, base_vault, trader.base_account, 4 * GRID)
    sent = env.deposit(market, trader, quote_vault, trader.quote_account, 5_000_000)
    [event] = env.events(sent)
    assert isinstance(event, Deposited) and (event.mint, event.free_after) == (
        env.quote_mint.pubkey(),
        5_000_000,
    )
    seat = env.market_state(market).seats[trader.seat]
    assert (seat.base_free, seat.quote_free) == (7 * GRID, 5_000_000)
    assert (env.token_balance(base_vault), env.token_balance(quote_vault)) == (7 * GRID, 5_000_000)
    assert env.token_balance(trader.base_account) == 0
    env.assert_conserved(market)


def test_deposit_refuses_a_vault_that_is_not_the_markets(trading: TradingEnv, market: Pubkey) -> None:
    env = trading
    trader = env.trader(market)
    env.fund(trader.pubkey, env.base_mint, GRID)
    # The attacker's own token account of the same mint, and the vault of another market.
    attacker = env.fund(Keypair().pubkey(), env.base_mint, 0)
    other_quote = Keypair()
    env.create_mint(other_quote, 6)
    other_market = env.create_market(quote_mint=other_quote.pubkey())
    other_vault, _ = vaults(env, other_market)
    for vault in (attacker, other_vault, trader.base_account):
        ix = deposit_ix(env, market, trader, vault, trader.base_account, GRID)
        assert env.fail([ix], [trader.wallet]) == code("InvalidVault")
    assert env.token_balance(trader.base_account) == GRID


def test_deposit_refuses_another_traders_seat(trading: TradingEnv, market: Pubkey) -> None:
    env = trading
    base_vault, _ = vaults(env, market)
    victim = env.trader(market)
    trader = env.trader(market, base=0)
    env.fund(trader.pubkey, env.base_mint, GRID)
    for seat in (victim.seat, 2, 2**32 - 1):
        ix = deposit_ix(env, market, trader, base_vault, trader.base_account, GRID, seat=seat)
        assert env.fail([ix], [trader.wallet]) == code("WrongSeat")


def test_deposit_refuses_zero(trading: TradingEnv, market: Pubkey) -> None:
    env = trading
    base_vault, _ = vaults(env, market)
    trader = env.trader(market)
    ix = deposit_ix(env, market, trader, base_vault, trader.base_account, 0)
    assert env.fail([ix], [trader.wallet]) == code("ZeroQuantity")


def test_deposit_takes_the_vaults_mint_from_the_traders_own_token_account(
    trading: TradingEnv, market: Pubkey
) -> None:
    env = trading
    base_vault, quote_vault = vaults(env, market)
    trader = env.trader(market)
    env.fund(trader.pubkey, env.quote_mint, 1_000)
    ix = deposit_ix(env, market, trader, base_vault, trader.quote_account, 1_000)
    assert env.fail([ix], [trader.wallet]) == code("WrongTokenMint")
    # Not a token account at all: the trader's wallet, the mint itself.
    for source in (trader.pubkey, env.quote_mint.pubkey()):
        ix = deposit_ix(env, market, trader, quote_vault, source, 1_000)
        assert env.fail([ix], [trader.wallet]) == code("WrongTokenMint")
    # Someone else's token account of the right mint: the trader is not its owner.
    other = env.fund(Keypair().pubkey(), env.quote_mint, 1_000)
    ix = deposit_ix(env, market, trader, quote_vault, other, 1_000)
    assert env.fail([ix], [trader.wallet]) == code("WrongTokenOwner")
    # The right account with too little in it: the token program refuses.
    ix = deposit_ix(env, market, trader, quote_vault, trader.quote_account, 1_001)
    assert env.fail([ix], [trader.wallet]) == TOKEN_INSUFFICIENT_FUNDS
    assert env.token_balance(quote_vault) == 0


def test_deposit_needs_a_verified_trader(trading: TradingEnv, market: Pubkey) -> None:
    env = trading
    base_vault, _ = vaults(env, market)
    trader = env.trader(market)
    env.fund(trader.pubkey, env.base_mint, GRID)
    env.suspend(trader.pubkey)
    ix = deposit_ix(env, market, trader, base_vault, trader.base_account, GRID)
    assert env.fail([ix], [trader.wallet]) == code("UserNotVerified")


def test_deposit_needs_the_traders_signature(trading: TradingEnv, market: Pubkey) -> None:
    env = trading
    base_vault, _ = vaults(env, market)
    trader = env.trader(market)
    env.fund(trader.pubkey, env.base_mint, GRID)
    ix = with_meta(deposit_ix(env, market, trader, base_vault, trader.base_account, GRID), 0, signer=False)
    assert env.fail([ix]) == code("MissingSigner")


# -- withdraw ------------------------------------------------------------------------------------------


def test_withdraw_pays_out_free_balance(trading: TradingEnv, market: Pubkey) -> None:
    env = trading
    base_vault, quote_vault = vaults(env, market)
    trader = env.trader(market, base=5 * GRID, quote=2_000_000)
    sent = env.withdraw(market, trader, base_vault, 2 * GRID)
    assert env.events(sent) == [
        Withdrawn(
            market=market,
            trader=trader.pubkey,
            seat=trader.seat,
            mint=env.base_mint.pubkey(),
            amount=2 * GRID,
            free_after=3 * GRID,
            destination=trader.base_account,
            timestamp=env.now(),
        )
    ]
    # To any token account of the vault's mint the trader chooses.
    elsewhere = env.fund(Keypair().pubkey(), env.quote_mint, 0)
    ix = env.withdraw_ix(market, trader, quote_vault, 2_000_000, destination=elsewhere)
    env.send([ix], [trader.wallet])
    assert env.token_balance(elsewhere) == 2_000_000
    seat = env.market_state(market).seats[trader.seat]
    assert (seat.base_free, seat.quote_free) == (3 * GRID, 0)
    assert env.token_balance(trader.base_account) == 2 * GRID
    env.assert_conserved(market)


def test_withdraw_never_takes_what_orders_lock(trading: TradingEnv, market: Pubkey) -> None:
    env = trading
    base_vault, quote_vault = vaults(env, market)
    trader = env.trader(market, base=5 * GRID, quote=1_000_000)
    env.place(market, trader, Side.ASK, price=150, lots=2_000)  # locks 2 GRID
    env.place(market, trader, Side.BID, price=100, lots=4_000)  # locks 400,000 quote
    ix = env.withdraw_ix(market, trader, base_vault, 3 * GRID + 1)
    assert env.fail([ix], [trader.wallet]) == code("InsufficientFunds")
    ix = env.withdraw_ix(market, trader, quote_vault, 600_001)
    assert env.fail([ix], [trader.wallet]) == code("InsufficientFunds")
    env.withdraw(market, trader, base_vault, 3 * GRID)
    env.withdraw(market, trader, quote_vault, 600_000)
    for vault in (base_vault, quote_vault):
        assert env.fail([env.withdraw_ix(market, trader, vault, 1)], [trader.wallet]) == code(
            "InsufficientFunds"
        )
    seat = env.market_state(market).seats[trader.seat]
    assert (seat.base_free, seat.base_locked, seat.quote_free, seat.quote_locked) == (0, 2 * GRID, 0, 400_000)
    # Cancelling frees the funds again.
    for order in env.market_state(market).orders_of(trader.pubkey):
        env.cancel(market, trader, order)
    env.withdraw(market, trader, base_vault, 2 * GRID)
    env.withdraw(market, trader, quote_vault, 400_000)
    assert (env.token_balance(base_vault), env.token_balance(quote_vault)) == (0, 0)


def test_withdraw_refuses_another_traders_seat(trading: TradingEnv, market: Pubkey) -> None:
    env = trading
    base_vault, _ = vaults(env, market)
    victim = env.trader(market, base=5 * GRID)
    thief = env.trader(market)
    for seat in (victim.seat, 7):
        ix = env.withdraw_ix(market, thief, base_vault, GRID, seat=seat)
        assert env.fail([ix], [thief.wallet]) == code("WrongSeat")
    # Nor can the thief sign for the victim's seat with the victim's key in place and its own signature.
    ix = env.withdraw_ix(market, victim, base_vault, GRID, destination=thief.base_account)
    assert env.fail([with_meta(ix, 0, signer=False)]) == code("MissingSigner")
    assert env.market_state(market).seats[victim.seat].base_free == 5 * GRID


def test_withdraw_refuses_zero_and_foreign_vaults(trading: TradingEnv, market: Pubkey) -> None:
    env = trading
    base_vault, _ = vaults(env, market)
    trader = env.trader(market, base=GRID)
    assert env.fail([env.withdraw_ix(market, trader, base_vault, 0)], [trader.wallet]) == code("ZeroQuantity")
    attacker = env.fund(Keypair().pubkey(), env.base_mint, 5 * GRID)
    ix = env.withdraw_ix(market, trader, attacker, GRID, destination=trader.base_account)
    assert env.fail([ix], [trader.wallet]) == code("InvalidVault")


def test_withdraw_pays_only_into_a_token_account_of_the_vaults_mint(
    trading: TradingEnv, market: Pubkey
) -> None:
    env = trading
    base_vault, _ = vaults(env, market)
    trader = env.trader(market, base=GRID)
    for destination in (trader.quote_account, trader.pubkey, env.base_mint.pubkey()):
        ix = env.withdraw_ix(market, trader, base_vault, GRID, destination=destination)
        assert env.fail([ix], [trader.wallet]) == code("WrongTokenMint")
    assert env.market_state(market).seats[trader.seat].base_free == GRID


def test_a_suspended_trader_still_withdraws(trading: TradingEnv, market: Pubkey) -> None:
    env = trading
    base_vault, quote_vault = vaults(env, market)
    trader = env.trader(market, base=GRID, quote=1_000)
    env.suspend(trader.pubkey)
    env.withdraw(market, trader, base_vault, GRID)
    env.withdraw(market, trader, quote_vault, 1_000)
    assert (env.token_balance(trader.base_account), env.token_balance(trader.quote_account)) == (GRID, 1_000)


# -- collect_fees --------------------------------------------------------------------------------------


def traded_market(env: TradingEnv, recipient: Pubkey) -> tuple[Pubkey, int]:
    """A market whose fee recipient is ``recipient``, after one trade; returns it and its fees."""
    market = env.create_market(env.default_params(maker_fee_bps=10, fee_recipient=recipient))
    seller = env.trader(market, base=10 * GRID)
    buyer = env.trader(market, quote=10_000_000)
    env.place(market, seller, Side.ASK, price=1_234, lots=3_001)
    env.place(market, buyer, Side.BID, price=1_300, lots=3_001)
    quote = 1_234 * 3_001
    fees = -(-quote * 25 // 10_000) + -(-quote * 10 // 10_000)
    assert env.market_state(market).header.fees_accrued == fees
    return market, fees


def test_collect_fees_pays_the_recipient_what_accrued(trading: TradingEnv) -> None:
    env = trading
    recipient = env.registry.wallet()
    market, fees = traded_market(env, recipient.pubkey())
    destination = env.fund(Keypair().pubkey(), env.quote_mint, 0)
    ix = env.collect_fees_ix(market, recipient.pubkey(), destination)
    sent = env.send([ix], [recipient])
    assert env.events(sent) == [
        FeesCollected(
            market=market,
            recipient=recipient.pubkey(),
            destination=destination,
            amount=fees,
            timestamp=env.now(),
        )
    ]
    assert env.token_balance(destination) == fees
    header = env.market_state(market).header
    assert (header.fees_accrued, header.fees_collected) == (0, fees)
    env.assert_conserved(market)
    # Nothing accrued since.
    ix = env.collect_fees_ix(market, recipient.pubkey(), destination)
    assert env.fail([ix], [recipient]) == code("ZeroQuantity")


def test_only_the_fee_recipient_collects(trading: TradingEnv) -> None:
    env = trading
    recipient = env.registry.wallet()
    market, fees = traded_market(env, recipient.pubkey())
    for thief in (env.payer, env.registry.regulators[0], env.registry.wallet()):
        destination = env.fund(thief.pubkey(), env.quote_mint, 0)
        ix = env.collect_fees_ix(market, thief.pubkey(), destination)
        assert env.fail([ix], [thief]) == code("NotFeeRecipient")
    ix = env.collect_fees_ix(market, recipient.pubkey(), env.fund(recipient.pubkey(), env.quote_mint, 0))
    assert env.fail([with_meta(ix, 0, signer=False)]) == code("MissingSigner")
    assert env.market_state(market).header.fees_accrued == fees


def test_collect_fees_refuses_a_fake_vault(trading: TradingEnv) -> None:
    env = trading
    recipient = env.registry.wallet()
    market, _ = traded_market(env, recipient.pubkey())
    base_vault, _ = vaults(env, market)
    destination = env.fund(recipient.pubkey(), env.quote_mint, 0)
    fake = env.fund(Keypair().pubkey(), env.quote_mint, 10**6)
    for vault in (fake, base_vault):
        ix = replace_account(
            env.collect_fees_ix(market, recipient.pubkey(), destination), "quote_vault", vault
        )
        assert env.fail([ix], [recipient]) == code("InvalidVault")


def test_collect_fees_with_nothing_accrued(trading: TradingEnv, market: Pubkey) -> None:
    env = trading
    destination = env.fund(env.payer.pubkey(), env.quote_mint, 0)
    ix = env.collect_fees_ix(market, env.payer.pubkey(), destination)
    assert env.fail([ix]) == code("ZeroQuantity")


def test_a_payout_to_the_vault_itself_is_refused(trading: TradingEnv) -> None:
    """SPL Token accepts a transfer from an account to itself: a withdrawal (or fee collection) into the
    vault would debit the seat and strand the tokens in the vault, owned by nobody's balance."""
    env = trading
    recipient = env.registry.wallet()
    market, fees = traded_market(env, recipient.pubkey())
    base_vault, quote_vault = vaults(env, market)
    trader = env.trader(market, base=GRID, quote=1_000)
    for vault in (base_vault, quote_vault):
        ix = env.withdraw_ix(market, trader, vault, 1_000, destination=vault)
        assert env.fail([ix], [trader.wallet]) == code("InvalidVault")
    ix = env.collect_fees_ix(market, recipient.pubkey(), quote_vault)
    assert env.fail([ix], [recipient]) == code("InvalidVault")
    assert env.market_state(market).header.fees_accrued == fees
    env.assert_conserved(market)
