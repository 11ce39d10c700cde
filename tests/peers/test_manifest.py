"""Manifest (``manifest-dex`` 2.0.1 from crates.io) built by ``StdBuilder`` and run in LiteSVM.

``peers/manifest/`` is a workspace of its own whose one ``cdylib`` links Manifest's program. It is built
into the std fixture's target directory (``tests/build/test_pipeline_solana_program.py``), so std is
built once for both, deployed through BPFLoaderUpgradeable at Manifest's id, and driven by
``peers/drivers/manifest.py``: market, seats, deposits, a resting order, a taker crossing it, a cancel,
Manifest's errors, and the side-by-side workload's numbers.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from itertools import pairwise
from pathlib import Path

import pytest
from solders.keypair import Keypair
from solders.pubkey import Pubkey
from solders.transaction_status import (
    InstructionErrorCustom,
    InstructionErrorFieldless,
    TransactionErrorInstructionError,
)
from spl.token.constants import TOKEN_PROGRAM_ID

from solgrid.build.std_build import StdBuilder, manifest_programs
from solgrid.build.toolchain import Toolchain
from solgrid.localnet.svm import TransactionFailed, new_svm

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO))  # peers/ is a package at the repository's root

from peers.drivers import manifest as driver  # noqa: E402
from peers.drivers.manifest import CancelOrder, ManifestError, Market, OrderType, PlaceOrder  # noqa: E402

pytestmark = pytest.mark.slow

#: Shared with the std fixture: std for the Solana target is built once for every std crate of the tests.
TARGET_DIR = REPO / "target" / "std-fixture"
TOKEN = 10**6
"""One whole token of either mint (6 decimals), in atoms."""


@pytest.fixture(scope="module")
def elf() -> bytes:
    toolchain = Toolchain.locate()
    workspace = manifest_programs(toolchain, driver.MANIFEST_WORKSPACE, (driver.LIB_NAME,))
    [program] = workspace.programs
    builder = StdBuilder(workspace.root, toolchain, target_dir=TARGET_DIR)
    return builder.build(program).so_path.read_bytes()


@pytest.fixture()
def market(elf: bytes) -> Iterator[Market]:
    svm = new_svm()
    payer = Keypair()
    svm.airdrop(payer.pubkey(), 10**12)
    driver.deploy_manifest(svm, payer, elf)
    yield Market.create(svm, payer)


def _error(failed: pytest.ExceptionInfo[TransactionFailed]) -> object:
    err = failed.value.err
    assert isinstance(err, TransactionErrorInstructionError), failed.value
    assert err.index == 1, failed.value  # after the compute-budget instruction `send` prepends
    return err.err


def _manifest_error(failed: pytest.ExceptionInfo[TransactionFailed]) -> ManifestError:
    err = _error(failed)
    assert isinstance(err, InstructionErrorCustom), failed.value
    return ManifestError(err.code)


def test_the_peer_workspace_is_not_part_of_solgrids() -> None:
    toolchain = Toolchain.locate()
    ours = manifest_programs(toolchain, REPO / "Cargo.toml")
    assert ours.root == REPO
    assert all(not p.crate_dir.is_relative_to(REPO / "peers") for p in ours.programs)
    peer = manifest_programs(toolchain, driver.MANIFEST_WORKSPACE)
    assert peer.root == driver.MANIFEST_WORKSPACE.parent
    assert [p.name for p in peer.programs] == [driver.LIB_NAME]
    assert "manifest-dex" not in (REPO / "Cargo.lock").read_text()
    assert 'name = "manifest-dex"\nversion = "2.0.1"' in (peer.root / "Cargo.lock").read_text()


def test_create_market_makes_the_market_and_its_vaults(market: Market) -> None:
    state = market.state()
    assert (state.base_mint, state.quote_mint) == (market.base_mint, market.quote_mint)
    assert (state.base_vault, state.quote_vault) == market.vaults()
    assert state.seats == [] and state.bids == [] and state.asks == []
    for vault, mint in zip(market.vaults(), (market.base_mint, market.quote_mint), strict=True):
        account = market.svm.get_account(vault)
        assert account is not None and account.owner == TOKEN_PROGRAM_ID
        data = bytes(account.data)
        # An SPL Token account of the mint, owned by itself (the vault PDA signs for the market).
        assert Pubkey.from_bytes(data[:32]) == mint and Pubkey.from_bytes(data[32:64]) == vault
    assert market.rent_lamports() > 0


def test_seats_deposits_a_resting_ask_a_taker_crossing_it_and_a_cancel(market: Market) -> None:
    maker = market.trader(10 * TOKEN, 0)
    taker = market.trader(0, 100 * TOKEN)
    market.claim_seat(maker)
    market.claim_seat(taker)
    assert {s.trader for s in market.state().seats} == {maker.pubkey(), taker.pubkey()}

    market.deposit(maker, 10 * TOKEN, 0)
    market.deposit(taker, 0, 40 * TOKEN)
    state = market.state()
    assert (state.seat(maker.pubkey()).base_atoms, state.seat(maker.pubkey()).quote_atoms) == (10 * TOKEN, 0)
    assert (state.seat(taker.pubkey()).base_atoms, state.seat(taker.pubkey()).quote_atoms) == (0, 40 * TOKEN)
    assert market.wallet(taker.pubkey()) == (0, 60 * TOKEN)
    base_vault, quote_vault = market.vaults()
    assert driver.token_balance(market.svm, base_vault) == 10 * TOKEN
    assert driver.token_balance(market.svm, quote_vault) == 40 * TOKEN

    # An ask of 4 base at 2.50 quote each: the 4 base are locked out of the maker's seat.
    sent, _ = market.place(maker, PlaceOrder(4 * TOKEN, 250, -2, is_bid=False))
    [(sequence_number, index)] = driver.placed_orders(sent)
    [resting] = market.state().asks
    assert (resting.sequence_number, resting.index, resting.base_atoms) == (sequence_number, index, 4 * TOKEN)
    assert resting.price == 25 * 10**17 and not resting.is_bid
    assert market.state().seat(maker.pubkey()).base_atoms == 6 * TOKEN

    # A taker's Swap buys 1 base for at most 3 quote from its wallet: it pays 2.50.
    market.buy(taker, TOKEN, 3 * TOKEN)
    assert market.wallet(taker.pubkey()) == (TOKEN, 60 * TOKEN - 5 * TOKEN // 2)
    assert market.state().seat(maker.pubkey()).quote_atoms == 5 * TOKEN // 2
    # A crossing BatchUpdate (an IOC bid at 2.50) buys 2 more base from the taker's seat.
    market.place(taker, PlaceOrder(2 * TOKEN, 250, -2, True, OrderType.IMMEDIATE_OR_CANCEL))
    state = market.state()
    assert (state.seat(taker.pubkey()).base_atoms, state.seat(taker.pubkey()).quote_atoms) == (
        2 * TOKEN,
        35 * TOKEN,
    )
    assert state.seat(maker.pubkey()).quote_atoms == 15 * TOKEN // 2
    [left] = state.asks
    assert left.base_atoms == TOKEN and state.bids == []

    # The cancel gives the last unfilled base back to the maker's seat, which it withdraws.
    market.cancel(maker, CancelOrder(sequence_number))
    state = market.state()
    assert state.asks == [] and state.seat(maker.pubkey()).base_atoms == 7 * TOKEN
    market.run(maker, [driver.withdraw(maker.pubkey(), market.key, market.base_mint, 7 * TOKEN)])
    assert market.wallet(maker.pubkey()) == (7 * TOKEN, 0)
    # The vaults hold exactly what the seats hold: the taker's 2 base, and 35 + 7.50 quote.
    assert driver.token_balance(market.svm, base_vault) == 2 * TOKEN
    assert driver.token_balance(market.svm, quote_vault) == 85 * TOKEN // 2


def test_manifests_errors(market: Market) -> None:
    maker = market.trader(10 * TOKEN, 0)
    other = market.trader(0, 10 * TOKEN)
    market.claim_seat(maker)
    with pytest.raises(TransactionFailed) as twice:
        market.claim_seat(maker)
    assert _manifest_error(twice) == ManifestError.ALREADY_CLAIMED_SEAT

    # A seat without funds cannot rest an ask.
    with pytest.raises(TransactionFailed) as unfunded:
        market.place(maker, PlaceOrder(TOKEN, 100, -2, is_bid=False))
    assert _error(unfunded) == InstructionErrorFieldless.InsufficientFunds
    assert market.state().asks == []

    market.deposit(maker, 10 * TOKEN, 0)
    sent, _ = market.place(maker, PlaceOrder(TOKEN, 100, -2, is_bid=False))
    [(sequence_number, _index)] = driver.placed_orders(sent)

    with pytest.raises(TransactionFailed) as missing:
        market.cancel(maker, CancelOrder(sequence_number + 1))
    assert _manifest_error(missing) == ManifestError.INVALID_CANCEL

    market.claim_seat(other)
    market.deposit(other, 0, 10 * TOKEN)
    with pytest.raises(TransactionFailed) as not_theirs:
        market.cancel(other, CancelOrder(sequence_number))
    assert _manifest_error(not_theirs) == ManifestError.INVALID_CANCEL

    with pytest.raises(TransactionFailed) as crosses:
        market.place(other, PlaceOrder(TOKEN, 100, -2, True, OrderType.POST_ONLY))
    assert _manifest_error(crosses) == ManifestError.POST_ONLY_CROSSES

    # A Swap that would pay more than its maximum: the ask costs 1.00, the taker allows 0.99.
    with pytest.raises(TransactionFailed) as too_dear:
        market.buy(other, TOKEN, TOKEN - 10_000)
    assert _manifest_error(too_dear) == ManifestError.INSUFFICIENT_OUT
    [still] = market.state().asks
    assert still.sequence_number == sequence_number and still.base_atoms == TOKEN


def test_measure_runs_the_workload(elf: bytes) -> None:
    m = driver.measure(elf)
    assert m.book == "Manifest 2.0.1"
    assert m.rent_lamports > 0
    assert m.depth == driver.BOOK_DEPTH
    assert len(m.place_resting_cu) == driver.BOOK_DEPTH and min(m.place_resting_cu) > 0
    assert m.place_at_depth_cu > 0
    counts = sorted(m.take_cu)
    assert counts[:4] == [1, 2, 4, 8] and counts[-1] <= driver.BOOK_DEPTH
    assert all(b == 2 * a and m.take_cu[a] < m.take_cu[b] for a, b in pairwise(counts))
    assert m.marginal_fill_cu() > 0
    # The probe's book is deeper than the most fills: the compute limit binds, not the book.
    assert counts[-1] <= m.max_fills < driver.PROBE_DEPTH
    # The taker rows are the crossing BatchUpdate's (deposited funds); the Swap is in the notes.
    assert any(note.startswith("taker order = a crossing BatchUpdate") for note in m.notes)
    assert any(note.startswith("Swap, what Manifest's takers usually send") for note in m.notes)
    assert m.max_fills > 1 and m.max_fills_limit == "1.4M compute units"
    assert m.cancel_cu > 0
    assert set(m.tx_bytes) == {"place", "take", "cancel"}
    assert all(0 < size <= 1232 for size in m.tx_bytes.values())
