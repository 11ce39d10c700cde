"""The trading program's administration in LiteSVM: initialize, create_market, update_market,
set_market_maker and grow_market, every success path and each failure with its exact error.

Each test runs with trading loaded by ``add_program`` and deployed through BPFLoaderUpgradeable (see
conftest). Error codes come from the IDL by name (``code``).
"""

from __future__ import annotations

import pytest
from instruction_edits import with_data, with_meta
from registry_harness import ZONE_ID
from solders.instruction import Instruction
from solders.keypair import Keypair
from solders.pubkey import Pubkey
from solders.system_program import TransferParams, transfer
from spl.token.constants import TOKEN_PROGRAM_ID
from trading_harness import TradingEnv, code, replace_account

from solgrid.localnet.tokens import parse_token_account
from solgrid.sdk.registry import UserRole
from solgrid.sdk.trading import MarketParams, MarketStatus, OrderState, Side
from solgrid.sdk.trading.events import (
    MarketCreated,
    MarketGrown,
    MarketMakerSet,
    MarketUpdated,
    TradingInitialized,
)
from solgrid.sdk.trading.units import DEFAULT_MAX_ORDERS_PER_EPOCH, DEFAULT_TAKER_FEE_BPS

LAMPORTS_PER_SOL = 10**9
SEAT_LEN = 96
ORDER_LEN = 56
MARKET_MIN_LEN = 432
OTHER_ZONE = 8


def rent(env: TradingEnv, size: int) -> int:
    return int(env.svm.minimum_balance_for_rent_exemption(size))


# -- initialize ----------------------------------------------------------------------------------------


def test_initialize_creates_config_and_emits_event(trading_prepared: TradingEnv) -> None:
    env = trading_prepared
    sent = env.send([env.initialize_ix()])
    config = env.client.decode_config(env.registry.data(env.client.config_pda().address))
    authority = env.client.event_authority_pda()
    assert config.authority == env.payer.pubkey()
    assert config.registry_program == env.registry.program_id
    assert config.base_mint == env.base_mint.pubkey()
    assert (config.event_authority, config.event_authority_bump) == (authority.address, authority.bump)
    assert config.bump == env.client.config_pda().bump
    assert env.events(sent) == [
        TradingInitialized(
            config=env.client.config_pda().address,
            authority=env.payer.pubkey(),
            registry_program=env.registry.program_id,
            base_mint=env.base_mint.pubkey(),
            event_authority=authority.address,
            timestamp=env.now(),
        )
    ]


def test_initialize_gate_follows_the_loader(trading_prepared: TradingEnv) -> None:
    """Deployed through BPFLoaderUpgradeable only the upgrade authority initialises; loaded by the
    non-upgradeable loader (as genesis does) the first caller does."""
    env = trading_prepared
    stranger = env.registry.wallet()
    ix = env.initialize_ix(authority=stranger.pubkey())
    if env.mode == "deploy":
        assert env.fail([ix], [stranger]) == code("NotUpgradeAuthority")
        env.send([env.initialize_ix()])
    else:
        env.send([ix], [stranger])
        config = env.client.decode_config(env.registry.data(env.client.config_pda().address))
        assert config.authority == stranger.pubkey()


def test_initialize_twice_fails(trading: TradingEnv) -> None:
    assert trading.fail([trading.initialize_ix()]) == code("AlreadyInitialized")


def test_initialize_requires_the_authority_signature(trading_prepared: TradingEnv) -> None:
    env = trading_prepared
    ix = with_meta(env.initialize_ix(authority=Keypair().pubkey()), 1, signer=False)
    assert env.fail([ix]) == code("MissingSigner")


def test_initialize_refuses_a_base_mint_without_9_decimals(trading_prepared: TradingEnv) -> None:
    env = trading_prepared
    for not_grid in (env.quote_mint.pubkey(), env.payer.pubkey(), Keypair().pubkey(), TOKEN_PROGRAM_ID):
        assert env.fail([env.initialize_ix(base_mint=not_grid)]) == code("InvalidBaseMint")
    # A token account (owned by SPL Token, but 165 bytes) is no mint either.
    account = env.fund(env.payer.pubkey(), env.base_mint, 0)
    assert env.fail([env.initialize_ix(base_mint=account)]) == code("InvalidBaseMint")


def test_initialize_refuses_a_registry_that_is_not_a_program(trading_prepared: TradingEnv) -> None:
    env = trading_prepared
    for not_program in (env.payer.pubkey(), env.registry.client.config_pda().address):
        ix = replace_account(env.initialize_ix(), "registry_program", not_program)
        assert env.fail([ix]) == code("InvalidRegistryProgram")


def test_initialize_refuses_a_config_or_event_authority_elsewhere(trading_prepared: TradingEnv) -> None:
    env = trading_prepared
    elsewhere = Pubkey.find_program_address([b"config2"], env.client.program_id)[0]
    assert env.fail([replace_account(env.initialize_ix(), "config", elsewhere)]) == code("InvalidPda")
    ix = replace_account(env.initialize_ix(), "event_authority", Keypair().pubkey())
    assert env.fail([ix]) == code("InvalidPda")


# -- create_market -------------------------------------------------------------------------------------


def test_create_market_opens_an_empty_market_for_less_than_a_hundredth_of_a_sol(trading: TradingEnv) -> None:
    env = trading
    fee_recipient = Keypair().pubkey()
    params = MarketParams(
        tick_size=500,
        lot_size_wh=10,
        fee_recipient=fee_recipient,
        min_order_lots=3,
        taker_fee_bps=30,
        maker_fee_bps=5,
        max_orders_per_epoch=40,
    )
    before = env.registry.balance(env.payer.pubkey())
    sent = env.send([env.create_market_ix(params)], env.registry.quorum())
    market_pda = env.client.market_pda(ZONE_ID, env.quote_mint.pubkey())
    market = market_pda.address
    base_vault = env.client.vault_pda(market, env.base_mint.pubkey())
    quote_vault = env.client.vault_pda(market, env.quote_mint.pubkey())

    spent = sum(env.registry.balance(a) for a in (market, base_vault.address, quote_vault.address))
    assert spent == rent(env, MARKET_MIN_LEN) + 2 * rent(env, 165)
    assert spent <= LAMPORTS_PER_SOL // 100, f"creating a market costs {spent} lamports of rent"
    signatures = 1 + len(env.registry.quorum())
    assert before - env.registry.balance(env.payer.pubkey()) == spent + 5_000 * signatures

    account = env.registry.account(market)
    assert account is not None and account.owner == env.client.program_id
    assert len(account.data) == MARKET_MIN_LEN
    for vault, mint in ((base_vault.address, env.base_mint), (quote_vault.address, env.quote_mint)):
        vault_account = env.registry.account(vault)
        assert vault_account is not None and vault_account.owner == TOKEN_PROGRAM_ID
        parsed = parse_token_account(TOKEN_PROGRAM_ID, bytes(vault_account.data))
        assert parsed is not None
        assert (parsed.mint, parsed.owner, parsed.amount) == (mint.pubkey(), market, 0)

    state = env.market_state(market)
    h = state.header
    assert (h.base_mint, h.quote_mint) == (env.base_mint.pubkey(), env.quote_mint.pubkey())
    assert (h.base_vault, h.quote_vault) == (base_vault.address, quote_vault.address)
    assert (h.bump, h.base_vault_bump, h.quote_vault_bump) == (
        market_pda.bump,
        base_vault.bump,
        quote_vault.bump,
    )
    assert h.zone == env.client.registry_zone(ZONE_ID) and h.zone_id == ZONE_ID
    assert h.registry_program == env.registry.program_id
    assert (h.tick_size, h.lot_size_wh, h.min_order_lots) == (500, 10, 3)
    assert (h.base_atoms_per_lot, h.quote_per_lot_tick) == (10 * 10**6, 5)
    assert (h.taker_fee_bps, h.maker_fee_bps, h.max_orders_per_epoch) == (30, 5, 40)
    assert h.fee_recipient == fee_recipient and h.status == MarketStatus.ACTIVE
    assert h.quote_decimals == 6 and h.created_at == env.now()
    assert (h.seat_count, h.seat_capacity, h.order_capacity, h.next_order_id) == (0, 0, 0, 0)
    assert state.seats == [] and state.bids == [] and state.asks == []

    assert env.events(sent) == [
        MarketCreated(
            market=market,
            zone_id=ZONE_ID,
            base_mint=env.base_mint.pubkey(),
            quote_mint=env.quote_mint.pubkey(),
            base_vault=base_vault.address,
            quote_vault=quote_vault.address,
            fee_recipient=fee_recipient,
            tick_size=500,
            lot_size_wh=10,
            min_order_lots=3,
            taker_fee_bps=30,
            maker_fee_bps=5,
            max_orders_per_epoch=40,
            timestamp=env.now(),
        )
    ]


def test_create_market_defaults_are_the_issues(trading: TradingEnv) -> None:
    header = trading.market_state(trading.create_market()).header
    assert (header.taker_fee_bps, header.maker_fee_bps) == (DEFAULT_TAKER_FEE_BPS, 0) == (25, 0)
    assert header.max_orders_per_epoch == DEFAULT_MAX_ORDERS_PER_EPOCH == 100


def test_create_market_twice_fails(trading: TradingEnv) -> None:
    trading.create_market()
    assert trading.fail([trading.create_market_ix()], trading.registry.quorum()) == code("AlreadyInitialized")


def test_one_market_per_zone_and_quote_mint(trading: TradingEnv) -> None:
    env = trading
    env.registry.create_zone(OTHER_ZONE, "south")
    other_quote = Keypair()
    env.create_mint(other_quote, 6)
    markets = {
        env.create_market(),
        env.create_market(quote_mint=other_quote.pubkey()),
        env.create_market(zone_id=OTHER_ZONE),
    }
    assert len(markets) == 3
    assert {env.market_state(m).header.zone_id for m in markets} == {ZONE_ID, OTHER_ZONE}


def test_create_market_survives_prefunded_addresses(trading: TradingEnv) -> None:
    """Anyone can send lamports to the market's and the vaults' addresses before they exist; that does
    not block the market."""
    env = trading
    market = env.client.market_pda(ZONE_ID, env.quote_mint.pubkey()).address
    targets = [
        market,
        env.client.vault_pda(market, env.base_mint.pubkey()).address,
        env.client.vault_pda(market, env.quote_mint.pubkey()).address,
    ]
    env.send(
        [
            transfer(TransferParams(from_pubkey=env.payer.pubkey(), to_pubkey=t, lamports=rent(env, 0)))
            for t in targets
        ]
    )
    assert env.create_market() == market
    assert env.market_state(market).header.base_vault == targets[1]
    assert env.token_balance(targets[2]) == 0


def test_create_market_needs_a_regulator_quorum(trading: TradingEnv) -> None:
    env = trading
    regulators = env.registry.regulators
    one = regulators[0]
    assert env.fail([env.create_market_ix(cosigners=[one.pubkey()])], [one]) == code(
        "RegulatorThresholdNotMet"
    )
    # The same regulator twice counts once.
    twice = env.create_market_ix(cosigners=[one.pubkey(), one.pubkey()])
    assert env.fail([twice], [one]) == code("RegulatorThresholdNotMet")
    strangers = [env.registry.wallet(), env.registry.wallet()]
    ix = env.create_market_ix(cosigners=[s.pubkey() for s in strangers])
    assert env.fail([ix], strangers) == code("RegulatorThresholdNotMet")
    # Listed but not signing.
    listed = env.create_market_ix(cosigners=[one.pubkey(), regulators[1].pubkey()])
    assert env.fail([with_meta(listed, len(listed.accounts) - 1, signer=False)], [one]) == code(
        "RegulatorThresholdNotMet"
    )
    # Any two of the three do.
    env.send([env.create_market_ix(cosigners=[regulators[2].pubkey(), one.pubkey()])], [regulators[2], one])


def test_create_market_refuses_a_forged_registry_config(trading: TradingEnv) -> None:
    env = trading
    registry_config = env.registry.data(env.registry.client.config_pda().address)
    fake = Keypair().pubkey()
    env.forge(fake, registry_config, Keypair().pubkey())
    ix = replace_account(env.create_market_ix(), "registry_config", fake)
    assert env.fail([ix], env.registry.quorum()) == code("InvalidRegistryConfig")
    # A registry account of another type (the zone) is not its Config either.
    ix = replace_account(env.create_market_ix(), "registry_config", env.client.registry_zone(ZONE_ID))
    assert env.fail([ix], env.registry.quorum()) == code("InvalidRegistryConfig")


def test_create_market_refuses_a_zone_that_is_not_the_registry_zone(trading: TradingEnv) -> None:
    env = trading
    env.registry.create_zone(OTHER_ZONE, "south")
    quorum = env.registry.quorum()
    other = env.client.registry_zone(OTHER_ZONE)
    assert env.fail([replace_account(env.create_market_ix(), "zone", other)], quorum) == code("InvalidZone")
    # A copy of the right zone owned by another program.
    fake = Keypair().pubkey()
    env.forge(fake, env.registry.data(env.client.registry_zone(ZONE_ID)), Keypair().pubkey())
    assert env.fail([replace_account(env.create_market_ix(), "zone", fake)], quorum) == code("InvalidZone")
    # A zone that does not exist, and a registry account of another type.
    assert env.fail([env.create_market_ix(zone_id=99)], quorum) == code("InvalidZone")
    user = env.client.registry_user(env.wallet().pubkey())
    assert env.fail([replace_account(env.create_market_ix(), "zone", user)], quorum) == code("InvalidZone")


def test_create_market_refuses_another_base_mint(trading: TradingEnv) -> None:
    env = trading
    other = Keypair()
    env.create_mint(other, 9)
    ix = env.client.create_market(
        payer=env.payer.pubkey(),
        zone_id=ZONE_ID,
        base_mint=other.pubkey(),
        quote_mint=env.quote_mint.pubkey(),
        params=env.default_params(),
        cosigners=[r.pubkey() for r in env.registry.quorum()],
    )
    assert env.fail([ix], env.registry.quorum()) == code("InvalidBaseMint")


def test_create_market_refuses_a_quote_that_is_grid_or_no_mint(trading: TradingEnv) -> None:
    env = trading
    quorum = env.registry.quorum()
    token_account = env.fund(env.payer.pubkey(), env.quote_mint, 0)
    for quote in (env.base_mint.pubkey(), env.payer.pubkey(), token_account, Keypair().pubkey()):
        assert env.fail([env.create_market_ix(quote_mint=quote)], quorum) == code("InvalidQuoteMint")


@pytest.mark.parametrize(
    "change",
    [
        {"tick_size": 0},
        {"lot_size_wh": 0},
        {"min_order_lots": 0},
        {"max_orders_per_epoch": 0},
        {"taker_fee_bps": 1_001},
        {"maker_fee_bps": 1_001},
        {"tick_size": 3, "lot_size_wh": 7},
        {"tick_size": 999, "lot_size_wh": 1},
        {"tick_size": 2**63, "lot_size_wh": 1000},
        {"tick_size": 1000, "lot_size_wh": 2**60},
    ],
    ids=lambda c: ",".join(f"{k}={v}" for k, v in c.items()),
)
def test_create_market_refuses_parameters_out_of_range(trading: TradingEnv, change: dict[str, int]) -> None:
    env = trading
    ix = env.create_market_ix(env.default_params(**change))
    assert env.fail([ix], env.registry.quorum()) == code("InvalidMarketParams")


def test_create_market_accepts_the_parameter_bounds(trading: TradingEnv) -> None:
    params = trading.default_params(tick_size=8, lot_size_wh=125, taker_fee_bps=1_000, maker_fee_bps=1_000)
    header = trading.market_state(trading.create_market(params)).header
    assert header.quote_per_lot_tick == 1 and (header.taker_fee_bps, header.maker_fee_bps) == (1_000, 1_000)


def test_create_market_refuses_accounts_at_other_addresses(trading: TradingEnv) -> None:
    env = trading
    quorum = env.registry.quorum()
    market = env.client.market_pda(ZONE_ID, env.quote_mint.pubkey()).address
    elsewhere = env.client.market_pda(OTHER_ZONE, env.quote_mint.pubkey()).address
    for address in (elsewhere, Keypair().pubkey()):
        assert env.fail([replace_account(env.create_market_ix(), "market", address)], quorum) == code(
            "InvalidPda"
        )
    base_vault = env.client.vault_pda(market, env.base_mint.pubkey()).address
    quote_vault = env.client.vault_pda(market, env.quote_mint.pubkey()).address
    swapped = replace_account(
        replace_account(env.create_market_ix(), "base_vault", quote_vault), "quote_vault", base_vault
    )
    assert env.fail([swapped], quorum) == code("InvalidVault")
    for name in ("base_vault", "quote_vault"):
        ix = replace_account(env.create_market_ix(), name, Keypair().pubkey())
        assert env.fail([ix], quorum) == code("InvalidVault")


def test_create_market_refuses_a_substituted_token_or_system_program(trading: TradingEnv) -> None:
    env = trading
    quorum = env.registry.quorum()
    ix = replace_account(env.create_market_ix(), "token_program", env.registry.program_id)
    assert env.fail([ix], quorum) == code("InvalidTokenProgram")
    ix = replace_account(env.create_market_ix(), "system_program", TOKEN_PROGRAM_ID)
    assert env.fail([ix], quorum) == code("InvalidSystemProgram")


# -- update_market -------------------------------------------------------------------------------------


def test_update_market_changes_parameters_and_emits_event(trading: TradingEnv) -> None:
    env = trading
    market = env.create_market()
    recipient = Keypair().pubkey()
    sent = env.update_market(
        market,
        min_order_lots=5,
        taker_fee_bps=40,
        maker_fee_bps=10,
        max_orders_per_epoch=7,
        fee_recipient=recipient,
        status=MarketStatus.PAUSED,
    )
    h = env.market_state(market).header
    assert (h.min_order_lots, h.taker_fee_bps, h.maker_fee_bps, h.max_orders_per_epoch) == (5, 40, 10, 7)
    assert (h.fee_recipient, h.status) == (recipient, MarketStatus.PAUSED)
    assert (h.tick_size, h.lot_size_wh, h.quote_per_lot_tick) == (1_000, 1, 1)
    assert env.events(sent) == [
        MarketUpdated(
            market=market,
            fee_recipient=recipient,
            tick_size=1_000,
            lot_size_wh=1,
            min_order_lots=5,
            taker_fee_bps=40,
            maker_fee_bps=10,
            max_orders_per_epoch=7,
            status=MarketStatus.PAUSED,
            timestamp=env.now(),
        )
    ]


def test_updated_limits_and_fees_apply_to_the_next_orders(trading: TradingEnv) -> None:
    env = trading
    market = env.create_market()
    seller = env.trader(market, base=10 * 10**9)
    buyer = env.trader(market, quote=1_000_000)
    env.place(market, seller, Side.ASK, price=100, lots=10)
    env.update_market(market, min_order_lots=5, max_orders_per_epoch=1, taker_fee_bps=100)
    ix = env.place_ix(market, seller, Side.ASK, price=101, lots=4)
    assert env.fail([ix], [seller.wallet]) == code("BelowMinimumOrder")
    # The order resting from before counts: the epoch's one order is used.
    ix = env.place_ix(market, seller, Side.ASK, price=101, lots=5)
    assert env.fail([ix], [seller.wallet]) == code("OrderLimitReached")
    placed = env.placed(env.place(market, buyer, Side.BID, price=100, lots=10))
    assert (placed.quote_traded, placed.taker_fee) == (1_000, 10)


def test_update_market_needs_a_regulator_quorum(trading: TradingEnv) -> None:
    env = trading
    market = env.create_market()
    one = env.registry.regulators[0]
    ix = env.update_market_ix(market, taker_fee_bps=0, cosigners=[one.pubkey(), one.pubkey()])
    assert env.fail([ix], [one]) == code("RegulatorThresholdNotMet")
    stranger = env.registry.wallet()
    ix = env.update_market_ix(market, taker_fee_bps=0, cosigners=[stranger.pubkey(), one.pubkey()])
    assert env.fail([ix], [stranger, one]) == code("RegulatorThresholdNotMet")
    assert env.market_state(market).header.taker_fee_bps == 25


def test_update_market_changes_tick_and_lot_size_only_while_no_order_rests(trading: TradingEnv) -> None:
    env = trading
    market = env.create_market()
    seller = env.trader(market, base=10 * 10**9)
    buyer = env.trader(market, quote=1_000_000)
    env.place(market, seller, Side.ASK, price=100, lots=10, expires_at=env.now() + 60)
    quorum = env.registry.quorum()
    for change in ({"tick_size": 2_000}, {"lot_size_wh": 10}, {"tick_size": 500, "lot_size_wh": 10}):
        ix = env.update_market_ix(market, **change)  # type: ignore[arg-type]
        assert env.fail([ix], quorum) == code("OrdersResting")
    # The same tick and lot with other changes go through while orders rest.
    env.update_market(market, tick_size=1_000, lot_size_wh=1, taker_fee_bps=30)
    # An expired order still rests until matching or a prune removes it.
    env.advance(60)
    assert env.fail([env.update_market_ix(market, tick_size=500, lot_size_wh=10)], quorum) == code(
        "OrdersResting"
    )
    env.prune(market)

    sent = env.update_market(market, tick_size=500, lot_size_wh=10)
    h = env.market_state(market).header
    assert (h.tick_size, h.lot_size_wh, h.base_atoms_per_lot, h.quote_per_lot_tick) == (500, 10, 10**7, 5)
    [event] = env.events(sent)
    assert isinstance(event, MarketUpdated) and (event.tick_size, event.lot_size_wh) == (500, 10)
    # The next orders count in the new units: 3 lots of 10 Wh at 100 ticks of 0.0005 per kWh.
    env.place(market, seller, Side.ASK, price=100, lots=3)
    placed = env.placed(env.place(market, buyer, Side.BID, price=100, lots=3))
    assert (placed.base_traded, placed.quote_traded, placed.taker_fee) == (3 * 10**7, 1_500, 5)
    env.assert_conserved(market)


@pytest.mark.parametrize(
    "change",
    [
        {"min_order_lots": 0},
        {"max_orders_per_epoch": 0},
        {"taker_fee_bps": 1_001},
        {"maker_fee_bps": 5_000},
        {"tick_size": 0},
        {"lot_size_wh": 0},
        {"tick_size": 999},
        {"tick_size": 3, "lot_size_wh": 7},
        {"tick_size": 1_000, "lot_size_wh": 2**60},
    ],
    ids=lambda c: ",".join(f"{k}={v}" for k, v in c.items()),
)
def test_update_market_refuses_parameters_out_of_range(trading: TradingEnv, change: dict[str, int]) -> None:
    env = trading
    market = env.create_market()
    ix = env.update_market_ix(market, **change)  # type: ignore[arg-type]
    assert env.fail([ix], env.registry.quorum()) == code("InvalidMarketParams")


def test_update_market_refuses_an_unknown_status(trading: TradingEnv) -> None:
    env = trading
    market = env.create_market()
    ix = env.update_market_ix(market)
    data = bytes(ix.data)
    assert data[-1] == MarketStatus.ACTIVE
    assert env.fail([with_data(ix, data[:-1] + b"\x02")], env.registry.quorum()) == code("InvalidOrderArgs")


def test_update_market_refuses_something_that_is_not_a_market(trading: TradingEnv) -> None:
    env = trading
    market = env.create_market()
    quorum = env.registry.quorum()
    config = env.client.config_pda().address
    ix = replace_account(env.update_market_ix(market), "market", config)
    assert env.fail([ix], quorum) == code("InvalidMarket")
    ix = replace_account(env.update_market_ix(market), "market", env.payer.pubkey())
    assert env.fail([ix], quorum) == code("InvalidOwner")


def test_a_paused_market_places_nothing_but_lets_traders_cancel_deposit_and_withdraw(
    trading: TradingEnv,
) -> None:
    env = trading
    market = env.create_market()
    seller = env.trader(market, base=5_000_000_000)
    buyer = env.trader(market, quote=1_000_000)
    env.place(market, seller, Side.ASK, price=100, lots=1_000)
    env.update_market(market, status=MarketStatus.PAUSED)

    ix = env.place_ix(market, buyer, Side.BID, price=100, lots=10)
    assert env.fail([ix], [buyer.wallet]) == code("MarketPaused")
    [ask] = env.market_state(market).asks
    env.cancel(market, seller, ask)
    header = env.market_state(market).header
    env.withdraw(market, seller, header.base_vault, 5_000_000_000)
    env.withdraw(market, buyer, header.quote_vault, 1_000_000)
    assert env.token_balance(seller.base_account) == 5_000_000_000
    assert env.token_balance(buyer.quote_account) == 1_000_000
    env.deposit(market, buyer, header.quote_vault, buyer.quote_account, 500_000)
    env.assert_conserved(market)

    env.update_market(market, status=MarketStatus.ACTIVE)
    placed = env.placed(env.place(market, buyer, Side.BID, price=100, lots=10))
    assert placed.state == OrderState.ACTIVE


def test_a_new_maker_fee_applies_to_orders_placed_afterwards(trading: TradingEnv) -> None:
    env = trading
    market = env.create_market(env.default_params(maker_fee_bps=10))
    maker = env.trader(market, quote=10_000_000)
    taker = env.trader(market, base=10_000_000_000)
    env.place(market, maker, Side.BID, price=1_000, lots=100)  # 100,000 quote at 10 bps: fee 100
    env.update_market(market, maker_fee_bps=50)
    env.place(market, maker, Side.BID, price=999, lots=100)  # 99,900 at 50 bps: fee 500 (ceil 499.5)
    seat = env.market_state(market).seats[maker.seat]
    assert seat.quote_locked == 100_000 + 100 + 99_900 + 500
    placed = env.placed(env.place(market, taker, Side.ASK, price=999, lots=200))
    assert [(f.price, f.maker_fee) for f in placed.fills] == [(1_000, 100), (999, 500)]
    env.assert_conserved(market)


# -- set_market_maker ----------------------------------------------------------------------------------


def test_set_market_maker_gives_a_seat_to_a_trader_without_one(trading: TradingEnv) -> None:
    env = trading
    market = env.create_market()
    maker = env.wallet()
    before = env.registry.balance(maker.pubkey())
    sent = env.set_market_maker(market, maker.pubkey())
    state = env.market_state(market)
    seat = state.seat_of(maker.pubkey())
    assert seat is not None and seat.market_maker and seat.index == 0
    assert env.registry.balance(maker.pubkey()) == before  # the payer paid for the seat
    # One event through one self-CPI: the seat it created is in MarketMakerSet, no SeatClaimed.
    assert env.events(sent) == [
        MarketMakerSet(
            market=market, trader=maker.pubkey(), seat=0, enabled=True, seat_created=True, timestamp=env.now()
        ),
    ]
    # A claim_seat afterwards is refused: the trader has its seat.
    claim = env.client.claim_seat(trader=maker.pubkey(), market=market)
    assert env.fail([claim], [maker]) == code("SeatExists")


def test_set_market_maker_on_an_existing_seat_and_back(trading: TradingEnv) -> None:
    env = trading
    market = env.create_market()
    trader = env.trader(market)
    capacity = env.market_state(market).header.seat_capacity
    sent = env.set_market_maker(market, trader.pubkey)
    assert env.events(sent) == [
        MarketMakerSet(
            market=market,
            trader=trader.pubkey,
            seat=trader.seat,
            enabled=True,
            seat_created=False,
            timestamp=env.now(),
        )
    ]
    state = env.market_state(market)
    assert state.seats[trader.seat].market_maker and state.header.seat_capacity == capacity
    env.set_market_maker(market, trader.pubkey, enabled=False)
    assert not env.market_state(market).seats[trader.seat].market_maker


def test_set_market_maker_needs_a_regulator_quorum(trading: TradingEnv) -> None:
    env = trading
    market = env.create_market()
    one = env.registry.regulators[0]
    trader = env.wallet()
    ix = env.set_market_maker_ix(market, trader.pubkey(), cosigners=[one.pubkey()])
    assert env.fail([ix], [one]) == code("RegulatorThresholdNotMet")
    # The trader itself cannot either.
    ix = env.set_market_maker_ix(market, trader.pubkey(), cosigners=[trader.pubkey(), one.pubkey()])
    assert env.fail([ix], [trader, one]) == code("RegulatorThresholdNotMet")
    assert env.market_state(market).seats == []


def test_set_market_maker_refuses_a_non_boolean(trading: TradingEnv) -> None:
    env = trading
    market = env.create_market()
    ix = env.set_market_maker_ix(market, env.wallet().pubkey())
    data = bytes(ix.data)
    assert env.fail([with_data(ix, data[:-1] + b"\x02")], env.registry.quorum()) == code(
        "InvalidInstructionData"
    )


def test_a_market_maker_is_exempt_from_the_epoch_limit_only(trading: TradingEnv) -> None:
    env = trading
    market = env.create_market(env.default_params(max_orders_per_epoch=2))
    maker = env.trader(market, base=10_000_000_000, quote=1_000_000)
    env.set_market_maker(market, maker.pubkey)
    for price in (200, 201, 202, 203):
        env.place(market, maker, Side.ASK, price=price, lots=10)
    env.place(market, maker, Side.BID, price=100, lots=10)
    seat = env.market_state(market).seats[maker.seat]
    assert seat.open_orders == 5 and seat.orders_in_epoch == 0

    # Unregistered, it counts again: two more orders this epoch, not a third.
    env.set_market_maker(market, maker.pubkey, enabled=False)
    env.place(market, maker, Side.ASK, price=204, lots=10)
    env.place(market, maker, Side.BID, price=99, lots=10)
    ix = env.place_ix(market, maker, Side.BID, price=98, lots=10)
    assert env.fail([ix], [maker.wallet]) == code("OrderLimitReached")
    env.assert_conserved(market)


def test_a_market_maker_follows_the_role_and_zone_rules_of_selling(trading: TradingEnv) -> None:
    env = trading
    env.registry.create_zone(OTHER_ZONE, "south")
    market = env.create_market()
    # A consumer of this zone and a prosumer of another: buyers both, sellers neither, market makers
    # or not.
    consumer = env.trader(market, base=10_000_000_000, quote=1_000_000, wallet=env.wallet(UserRole.CONSUMER))
    stranger = env.trader(market, base=10_000_000_000, quote=1_000_000, wallet=env.wallet(zone_id=OTHER_ZONE))
    for trader, error in ((consumer, "RoleCannotSell"), (stranger, "WrongZone")):
        env.set_market_maker(market, trader.pubkey)
        assert env.market_state(market).seats[trader.seat].market_maker
        ix = env.place_ix(market, trader, Side.ASK, price=200, lots=10)
        assert env.fail([ix], [trader.wallet]) == code(error)
        env.place(market, trader, Side.BID, price=100, lots=10)
    assert env.market_state(market).header.bid_count == 2
    env.assert_conserved(market)


# -- grow_market ---------------------------------------------------------------------------------------


def test_grow_market_adds_slots_at_the_payers_expense_and_keeps_the_book(trading: TradingEnv) -> None:
    env = trading
    market = env.create_market()
    seller = env.trader(market, base=10_000_000_000)
    buyer = env.trader(market, quote=10_000_000)
    env.place(market, seller, Side.ASK, price=120, lots=100)
    env.place(market, seller, Side.ASK, price=130, lots=100)
    env.place(market, buyer, Side.BID, price=90, lots=100)
    before = env.market_state(market)
    funder = env.registry.wallet()
    lamports = env.registry.balance(market)
    size = len(env.registry.data(market))
    ix = env.client.grow_market(payer=funder.pubkey(), market=market, extra_seats=3, extra_orders=5)
    sent = env.send([ix], [funder])
    grown = size + 3 * SEAT_LEN + 5 * ORDER_LEN
    assert len(env.registry.data(market)) == grown
    assert env.registry.balance(market) == rent(env, grown)
    assert 10**12 - env.registry.balance(funder.pubkey()) == rent(env, grown) - lamports
    after = env.market_state(market)
    assert after.header.seat_capacity == before.header.seat_capacity + 3
    assert after.header.order_capacity == before.header.order_capacity + 5
    assert env.events(sent) == [
        MarketGrown(
            market=market,
            payer=funder.pubkey(),
            extra_seats=3,
            extra_orders=5,
            seat_capacity=after.header.seat_capacity,
            order_capacity=after.header.order_capacity,
            lamports_paid=rent(env, grown) - lamports,
            timestamp=env.now(),
        )
    ]
    assert (after.seats, after.bids, after.asks) == (before.seats, before.bids, before.asks)
    # The book still trades.
    placed = env.placed(env.place(market, buyer, Side.BID, price=130, lots=150))
    assert [(f.price, f.lots) for f in placed.fills] == [(120, 100), (130, 50)]
    env.assert_conserved(market)


@pytest.mark.parametrize(("seats", "orders"), [(0, 0), (107, 0), (0, 183), (100, 12)])
def test_grow_market_refuses_nothing_or_more_than_10_kib(
    trading: TradingEnv, seats: int, orders: int
) -> None:
    env = trading
    market = env.create_market()
    added = seats * SEAT_LEN + orders * ORDER_LEN
    assert added == 0 or added > 10_240
    ix = env.client.grow_market(
        payer=env.payer.pubkey(), market=market, extra_seats=seats, extra_orders=orders
    )
    assert env.fail([ix]) == code("InvalidGrowth")


def test_grow_market_by_the_most_one_instruction_allows(trading: TradingEnv) -> None:
    """32 seats and 128 order slots are 10,240 bytes: the most one instruction may add, and within the
    free capacity a market may have."""
    env = trading
    market = env.create_market()
    ix = env.client.grow_market(payer=env.payer.pubkey(), market=market, extra_seats=32, extra_orders=128)
    env.send([ix])
    assert 32 * SEAT_LEN + 128 * ORDER_LEN == 10_240
    assert len(env.registry.data(market)) == MARKET_MIN_LEN + 32 * SEAT_LEN + 128 * ORDER_LEN


def test_grow_market_leaves_at_most_32_free_seats_and_256_free_order_slots(trading: TradingEnv) -> None:
    """Nobody can bloat a market to the account size limit: grow_market may leave at most 32 free seat
    slots and 256 free order slots; it may grow again once traders used them."""
    env = trading
    market = env.create_market()

    def grow(seats: int, orders: int) -> Instruction:
        return env.client.grow_market(
            payer=env.payer.pubkey(), market=market, extra_seats=seats, extra_orders=orders
        )

    assert env.fail([grow(33, 0)]) == code("TooMuchFreeCapacity")
    env.send([grow(20, 140)])
    assert env.fail([grow(13, 0)]) == code("TooMuchFreeCapacity")
    assert env.fail([grow(0, 117)]) == code("TooMuchFreeCapacity")
    # 20 + 12 seats and 140 + 116 order slots reach the bounds exactly; one more of either does not fit.
    env.send([grow(12, 116)])
    header = env.market_state(market).header
    assert (header.seat_capacity, header.order_capacity) == (32, 256)
    for seats, orders in ((1, 0), (0, 1)):
        assert env.fail([grow(seats, orders)]) == code("TooMuchFreeCapacity")
    # Once traders use slots, the market may grow again by as many.
    seller = env.trader(market, base=10**10)
    for price in range(100, 110):
        env.place(market, seller, Side.ASK, price=price, lots=1)
    size = len(env.registry.data(market))
    assert env.fail([grow(2, 11)]) == code("TooMuchFreeCapacity")
    env.send([grow(1, 10)])
    assert len(env.registry.data(market)) == size + SEAT_LEN + 10 * ORDER_LEN
    # A trader's own growth never meets the bound: the 32 free seats fill, the next trader grows one.
    for _ in range(33):
        env.trader(market)
    header = env.market_state(market).header
    assert (header.seat_count, header.seat_capacity) == (34, 34)


def test_grow_market_refuses_other_accounts(trading: TradingEnv) -> None:
    env = trading
    env.create_market()
    for account, error in (
        (env.client.config_pda().address, "InvalidMarket"),
        (env.payer.pubkey(), "InvalidOwner"),
    ):
        ix = env.client.grow_market(payer=env.payer.pubkey(), market=account, extra_seats=1, extra_orders=0)
        assert env.fail([ix]) == code(error)
    market = env.client.market_pda(ZONE_ID, env.quote_mint.pubkey()).address
    ix = env.client.grow_market(payer=env.payer.pubkey(), market=market, extra_seats=1, extra_orders=0)
    assert env.fail([replace_account(ix, "event_authority", env.payer.pubkey())]) == code(
        "InvalidEventAuthority"
    )
    assert env.fail([replace_account(ix, "config", env.payer.pubkey())]) == code("InvalidOwner")


def test_preallocated_slots_are_used_before_the_market_grows(trading: TradingEnv) -> None:
    """grow_market pre-allocates so that traders' instructions find free slots: a claim_seat or a
    resting order then costs the trader no rent."""
    env = trading
    market = env.create_market()
    env.send([env.client.grow_market(payer=env.payer.pubkey(), market=market, extra_seats=2, extra_orders=8)])
    size = len(env.registry.data(market))
    wallets = [env.wallet(), env.wallet()]
    for wallet in wallets:
        before = env.registry.balance(wallet.pubkey())
        env.send([env.client.claim_seat(trader=wallet.pubkey(), market=market)], [wallet])
        assert env.registry.balance(wallet.pubkey()) == before
    state = env.market_state(market)
    assert len(env.registry.data(market)) == size and state.header.seat_count == 2
    assert [s.trader for s in state.seats] == [w.pubkey() for w in wallets]
    # A third trader finds no free seat: the market grows by one seat, paid by that trader.
    third = env.wallet()
    before = env.registry.balance(third.pubkey())
    env.send([env.client.claim_seat(trader=third.pubkey(), market=market)], [third])
    assert len(env.registry.data(market)) == size + SEAT_LEN
    assert before - env.registry.balance(third.pubkey()) == rent(env, size + SEAT_LEN) - rent(env, size)


def test_set_market_maker_uses_a_preallocated_seat(trading: TradingEnv) -> None:
    env = trading
    market = env.create_market()
    env.send([env.client.grow_market(payer=env.payer.pubkey(), market=market, extra_seats=1, extra_orders=0)])
    size = len(env.registry.data(market))
    env.set_market_maker(market, env.wallet().pubkey())
    assert len(env.registry.data(market)) == size
