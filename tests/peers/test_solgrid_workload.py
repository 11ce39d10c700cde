"""SolGrid's order book through the side-by-side workload (``peers/drivers/solgrid.py``), so that the
``peers`` section of ``make bench`` cannot rot: the driver runs on the built trading program (deployed
through BPFLoaderUpgradeable) and its numbers are consistent with each other and with the program's
limits. No timing or exact compute units are asserted."""

from __future__ import annotations

import sys
from collections.abc import Callable
from itertools import pairwise
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO))  # peers/ is a package at the repository's root

from peers.drivers import solgrid  # noqa: E402
from peers.drivers.workload import (  # noqa: E402
    BOOK_DEPTH,
    MAX_TRANSACTION_BYTES,
    MAX_TRANSACTION_CU,
    BookMeasurements,
)

from solgrid.sdk.trading.units import MAX_MATCHES  # noqa: E402


@pytest.fixture(scope="module")
def measured(elf_of: Callable[[str], bytes]) -> BookMeasurements:
    return solgrid.measure(elf_of("trading"), elf_of("registry"))


def test_fill_counts_double_up_to_the_limit() -> None:
    assert solgrid.fill_counts(80) == [1, 2, 4, 8, 16, 32, 64, 80]
    assert solgrid.fill_counts(64) == [1, 2, 4, 8, 16, 32, 64]
    assert solgrid.fill_counts(1) == [1]


def test_takes_cost_more_with_every_fill(measured: BookMeasurements) -> None:
    r = measured
    assert r.book == "SolGrid"
    assert list(r.take_cu) == solgrid.fill_counts(MAX_MATCHES)
    costs = list(r.take_cu.values())
    assert all(0 < a < b for a, b in pairwise(costs)), costs
    # Each further fill costs about the same: the slope between successive counts stays within 10%
    # of the overall marginal cost.
    marginal = r.marginal_fill_cu()
    counts = list(r.take_cu)
    for a, b in pairwise(counts):
        slope = (r.take_cu[b] - r.take_cu[a]) / (b - a)
        assert abs(slope - marginal) < 0.1 * marginal, (a, b, slope, marginal)


def test_max_fills_is_the_match_limit_and_fits_the_transaction(measured: BookMeasurements) -> None:
    r = measured
    assert r.max_fills == MAX_MATCHES == max(r.take_cu)
    assert f"MAX_MATCHES = {MAX_MATCHES}" in r.max_fills_limit
    assert r.take_cu[r.max_fills] < MAX_TRANSACTION_CU
    assert any("is refused (InvalidMatchLimit)" in note for note in r.notes)


def test_placements_cancel_rent_and_bytes(measured: BookMeasurements) -> None:
    r = measured
    placed = r.place_resting_cu
    # The book's asks, the i-th placed on i resting ones; then one more on the full book, and its cancel.
    assert r.depth == BOOK_DEPTH and len(placed) == BOOK_DEPTH
    assert r.place_at_depth_cu > 0
    # The market's first resting order grows it by 8 order slots (a System transfer CPI): it costs more
    # than the placements that find a free slot.
    assert placed[0] > placed[1] > 0
    assert r.cancel_cu > 0
    # The market account and two token vaults, each rent-exempt.
    assert r.rent_lamports > 3 * 2_039_280
    assert set(r.tx_bytes) == {"place", "take", "cancel"}
    assert all(0 < size <= MAX_TRANSACTION_BYTES for size in r.tx_bytes.values())
    assert r.tx_bytes["cancel"] < r.tx_bytes["place"]  # cancel passes no registry accounts
