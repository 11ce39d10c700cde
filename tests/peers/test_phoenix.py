"""Phoenix (``phoenix-v1`` 0.2.4 from crates.io, ``peers/phoenix``) built by ``StdBuilder``, run in LiteSVM.

The build shares ``target/std-fixture`` with ``tests/build/test_pipeline_solana_program.py`` so that std is
built once per checkout. Phoenix is deployed through BPFLoaderUpgradeable at its declared id
(``peers/drivers/phoenix.py``) and driven through a market's life: authority, seats, deposits, a resting
ask, a taker crossing it, a cancel, and refusals with Phoenix's own error codes.
"""

from __future__ import annotations

import sys
from itertools import pairwise
from pathlib import Path

import pytest
from solders.keypair import Keypair
from solders.pubkey import Pubkey
from solders.system_program import CreateAccountParams, create_account
from solders.transaction_status import InstructionErrorCustom, TransactionErrorInstructionError
from spl.token.constants import TOKEN_PROGRAM_ID

from solgrid.build.std_build import StdBuilder, legacy_cpi_versions, manifest_programs
from solgrid.build.toolchain import Toolchain
from solgrid.localnet.engine import Engine
from solgrid.localnet.svm import TransactionFailed
from solgrid.sdk import loader

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO))  # peers/ is a package at the repository's root

from peers.drivers import phoenix  # noqa: E402
from peers.drivers.phoenix_instructions import (  # noqa: E402
    PHOENIX_ID,
    MarketHeader,
    MarketKeys,
    MarketParams,
    MarketStatus,
    PhoenixError,
    SeatStatus,
    Side,
    cancel_orders_by_id,
    change_seat_status,
    deposit_funds,
    initialize_market,
    market_account_len,
    place_limit_order,
    post_only,
    request_seat,
    seat_address,
    seat_status,
    trader_state,
    withdraw_all_funds,
)
from peers.drivers.workload import BOOK_DEPTH  # noqa: E402

pytestmark = pytest.mark.slow

MANIFEST = REPO / "peers" / "phoenix" / "Cargo.toml"
#: std's build is shared with tests/build/test_pipeline_solana_program.py (its TARGET_DIR).
TARGET_DIR = REPO / "target" / "std-fixture"


@pytest.fixture(scope="module")
def elf() -> bytes:
    toolchain = Toolchain.locate()
    [program] = manifest_programs(toolchain, MANIFEST).programs
    assert program.name == "phoenix_peer"
    return StdBuilder(MANIFEST.parent, toolchain, target_dir=TARGET_DIR).build(program).so_path.read_bytes()


@pytest.fixture()
def chain(elf: bytes) -> tuple[Engine, Keypair]:
    return phoenix.new_chain(elf)


def _token_balance(svm: Engine, account: Pubkey) -> int:
    data = svm.get_account(account)
    assert data is not None and data.owner == TOKEN_PROGRAM_ID
    return int.from_bytes(bytes(data.data)[64:72], "little")


def _market_data(svm: Engine, market: phoenix.Market) -> bytes:
    account = svm.get_account(market.keys.market)
    assert account is not None and account.owner == PHOENIX_ID
    return bytes(account.data)


def _custom_code(failed: TransactionFailed) -> int:
    err = failed.err
    assert isinstance(err, TransactionErrorInstructionError), failed
    assert isinstance(err.err, InstructionErrorCustom), failed
    return err.err.code


def test_phoenix_is_built_with_the_legacy_cpi_shim() -> None:
    # solana-program 1.14 passes its own structs to sol_invoke_signed_rust: every CPI below goes
    # through sbf-std-support's shim (the market's vaults, token transfers, Phoenix's event log).
    assert legacy_cpi_versions(Toolchain.locate(), MANIFEST.parent, "phoenix-peer") == ["1.14.9"]


def test_deployed_through_the_upgradeable_loader(chain: tuple[Engine, Keypair]) -> None:
    svm, _ = chain
    program = svm.get_account(PHOENIX_ID)
    assert program is not None and program.executable and program.owner == loader.LOADER_V3
    assert bytes(program.data)[4:36] == bytes(loader.programdata_address(PHOENIX_ID))


def test_a_market_from_creation_to_cancel(chain: tuple[Engine, Keypair]) -> None:
    svm, payer = chain
    market, _ = phoenix.create_market(svm, payer)
    keys, lot, params = market.keys, market.base_lot_atoms, market.params
    header = MarketHeader.decode(_market_data(svm, market))
    assert header.status == MarketStatus.ACTIVE
    assert header.sizes == (params.bids, params.asks, params.seats)
    assert (header.base_mint, header.quote_mint) == (keys.base_mint, keys.quote_mint)
    assert (header.base_vault, header.quote_vault) == (keys.base_vault, keys.quote_vault)
    assert (header.base_lot_size, header.quote_lot_size) == (lot, market.quote_lot_atoms)
    assert header.authority == market.authority.pubkey()
    assert _token_balance(svm, keys.base_vault) == _token_balance(svm, keys.quote_vault) == 0

    maker = phoenix.new_trader(svm, payer, market, 10 * lot, 0)
    taker = phoenix.new_trader(svm, payer, market, 0, 10**9)
    for trader in (maker, taker):
        phoenix.send(svm, trader.keypair, [request_seat(keys, trader.pubkey)])
        seat = svm.get_account(seat_address(keys.market, trader.pubkey))
        assert seat is not None and seat_status(bytes(seat.data)) == SeatStatus.NOT_APPROVED
        assert trader_state(_market_data(svm, market), trader.pubkey) is None
        approve = change_seat_status(keys, market.authority.pubkey(), trader.pubkey, SeatStatus.APPROVED)
        phoenix.send(svm, market.authority, [approve])
        seat = svm.get_account(seat_address(keys.market, trader.pubkey))
        assert seat is not None and seat_status(bytes(seat.data)) == SeatStatus.APPROVED

    phoenix.deposit(svm, market, maker, 0, 6)
    assert _token_balance(svm, maker.base_account) == 4 * lot
    assert _token_balance(svm, keys.base_vault) == 6 * lot
    state = trader_state(_market_data(svm, market), maker.pubkey)
    assert state is not None and (state.base_lots_free, state.base_lots_locked) == (6, 0)

    # A resting ask of 3 lots at 1,500 ticks from deposited funds.
    order, _ = phoenix.place_ask(svm, payer, market, maker, 1_500, base_lots=3)
    assert (order.side, order.price_in_ticks) == (Side.ASK, 1_500)
    state = trader_state(_market_data(svm, market), maker.pubkey)
    assert state is not None and (state.base_lots_free, state.base_lots_locked) == (3, 3)

    # The taker buys 2 lots with a Swap limited at 1,600 ticks: it pays the ask's price, not its limit.
    cost = market.quote_atoms(1_500, 2)
    assert cost == 2 * 1_500  # one tick per lot is one quote atom with these lot sizes
    quote_before = _token_balance(svm, taker.quote_account)
    swap = phoenix.take_asks(market, taker, 1_600, 2, deposited=False)
    phoenix.send(svm, payer, [swap], [taker.keypair])
    assert _token_balance(svm, taker.base_account) == 2 * lot
    assert _token_balance(svm, taker.quote_account) == quote_before - cost
    assert _token_balance(svm, keys.base_vault) == 4 * lot
    assert _token_balance(svm, keys.quote_vault) == cost
    state = trader_state(_market_data(svm, market), maker.pubkey)
    assert state is not None
    assert (state.base_lots_free, state.base_lots_locked) == (3, 1)
    assert state.quote_lots_free * market.quote_lot_atoms == cost

    # Crossing more than rests fails whole (min_base_lots_to_fill): NewOrderError, balances stay.
    with pytest.raises(TransactionFailed) as failed:
        phoenix.send(
            svm, payer, [phoenix.take_asks(market, taker, 1_600, 2, deposited=False)], [taker.keypair]
        )
    assert _custom_code(failed.value) == PhoenixError.NEW_ORDER_ERROR
    assert _token_balance(svm, taker.base_account) == 2 * lot

    # Cancelling the rest of the ask pays its released lot back to the maker's token account...
    cancel = cancel_orders_by_id(keys, maker.pubkey, maker.base_account, maker.quote_account, [order])
    phoenix.send(svm, maker.keypair, [cancel])
    state = trader_state(_market_data(svm, market), maker.pubkey)
    assert state is not None and (state.base_lots_locked, state.base_lots_free) == (0, 3)
    assert _token_balance(svm, maker.base_account) == 5 * lot
    assert _token_balance(svm, keys.base_vault) == 3 * lot
    # ... and withdrawing takes the rest of its free funds, the sale's proceeds among them.
    withdraw = withdraw_all_funds(keys, maker.pubkey, maker.base_account, maker.quote_account)
    phoenix.send(svm, maker.keypair, [withdraw])
    state = trader_state(_market_data(svm, market), maker.pubkey)
    assert state is not None and (state.base_lots_free, state.quote_lots_free) == (0, 0)
    assert _token_balance(svm, maker.base_account) == 8 * lot
    assert _token_balance(svm, maker.quote_account) == cost
    assert _token_balance(svm, keys.base_vault) == _token_balance(svm, keys.quote_vault) == 0


def test_a_resting_order_placed_from_token_accounts(chain: tuple[Engine, Keypair]) -> None:
    svm, payer = chain
    market, _ = phoenix.create_market(svm, payer)
    lot = market.base_lot_atoms
    maker = phoenix.new_trader(svm, payer, market, 5 * lot, 0)
    phoenix.seat_trader(svm, market, maker)
    packet = post_only(Side.ASK, 2_000, 5, deposited=False)
    ix = place_limit_order(market.keys, maker.pubkey, maker.base_account, maker.quote_account, packet)
    phoenix.send(svm, maker.keypair, [ix])
    assert _token_balance(svm, maker.base_account) == 0
    assert _token_balance(svm, market.keys.base_vault) == 5 * lot
    state = trader_state(_market_data(svm, market), maker.pubkey)
    assert state is not None and state.base_lots_locked == 5


def test_refusals_carry_phoenix_error_codes(chain: tuple[Engine, Keypair]) -> None:
    svm, payer = chain
    market, _ = phoenix.create_market(svm, payer)
    keys = market.keys

    # A base lot that does not divide a base unit (10^6 atoms): InvalidLotSize.
    creator, account = Keypair(), Keypair()
    svm.airdrop(creator.pubkey(), 10**11)
    params = MarketParams(base_lots_per_base_unit=7, tick_size_in_quote_lots_per_base_unit=7_000)
    bad = MarketKeys(account.pubkey(), keys.base_mint, keys.quote_mint)
    space = market_account_len(params.bids, params.asks, params.seats)
    allocate = create_account(
        CreateAccountParams(
            from_pubkey=creator.pubkey(),
            to_pubkey=account.pubkey(),
            lamports=svm.minimum_balance_for_rent_exemption(space),
            space=space,
            owner=PHOENIX_ID,
        )
    )
    with pytest.raises(TransactionFailed) as failed:
        phoenix.send(svm, creator, [allocate, initialize_market(bad, creator.pubkey(), params)], [account])
    assert _custom_code(failed.value) == PhoenixError.INVALID_LOT_SIZE

    trader = phoenix.new_trader(svm, payer, market, 10 * market.base_lot_atoms, 0)
    phoenix.send(svm, trader.keypair, [request_seat(keys, trader.pubkey)])
    # Only the market authority approves seats: InvalidMarketAuthority.
    approve_self = change_seat_status(keys, trader.pubkey, trader.pubkey, SeatStatus.APPROVED)
    with pytest.raises(TransactionFailed) as failed:
        phoenix.send(svm, trader.keypair, [approve_self])
    assert _custom_code(failed.value) == PhoenixError.INVALID_MARKET_AUTHORITY

    # Depositing needs an approved seat: InvalidSeatStatus.
    deposit = deposit_funds(keys, trader.pubkey, trader.base_account, trader.quote_account, 0, 1)
    with pytest.raises(TransactionFailed) as failed:
        phoenix.send(svm, trader.keypair, [deposit])
    assert _custom_code(failed.value) == PhoenixError.INVALID_SEAT_STATUS
    assert _token_balance(svm, keys.base_vault) == 0


def test_measure_returns_the_workload(elf: bytes) -> None:
    result = phoenix.measure(elf)
    assert result.book == "Phoenix 0.2.4"
    assert sorted(result.take_cu)[:4] == [1, 2, 4, 8]
    counts = sorted(result.take_cu)
    assert all(result.take_cu[a] < result.take_cu[b] for a, b in pairwise(counts))
    assert result.marginal_fill_cu() > 0
    assert result.max_fills >= max(counts) > 1
    assert result.max_fills_limit
    assert result.depth == BOOK_DEPTH and max(counts) <= BOOK_DEPTH
    assert len(result.place_resting_cu) == BOOK_DEPTH and min(result.place_resting_cu) > 0
    assert result.place_at_depth_cu > 0
    # The most fills are probed on every market size: on the largest, the compute limit binds, not the
    # market's capacity.
    [probes] = [note for note in result.notes if note.startswith("Max fills, bisected")]
    assert all(f"{asks:,}-ask market: " in probes for asks in (512, 1024, 2048, 4096))
    assert probes.endswith("(the 1.4M compute-unit limit).")
    assert result.max_fills_limit.startswith(("the market's capacity", "the 1.4M compute-unit limit"))
    assert 0 < result.cancel_cu < 1_400_000
    assert set(result.tx_bytes) == {"place", "take", "cancel"}
    assert all(0 < size <= 1_232 for size in result.tx_bytes.values())
    assert result.rent_lamports > 0
