"""The trading benchmark (``bench/trading_cu.py`` and its section of ``bench/run.py``) on tiny sizes, so that
``make bench`` cannot rot: every measurement runs, its checks hold, its section renders with a verdict per
goal, and rerunning one section rewrites only that section of ``results.md``."""

from __future__ import annotations

import importlib.util
import sys
from types import ModuleType

import pytest
from registry_harness import REPO

from solgrid.sdk.trading.units import Side


@pytest.fixture(scope="module")
def run_bench() -> ModuleType:
    """``bench/run.py`` (a script directory, not a package), with the bench modules it imports."""
    spec = importlib.util.spec_from_file_location("bench_run", REPO / "bench" / "run.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # its dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


def test_every_measurement_runs_on_a_small_book(
    run_bench: ModuleType, trading_elf: bytes, registry_elf: bytes
) -> None:
    bench = run_bench.trading_cu
    sizes = bench.Sizes(depths=(0, 3), sweeps=(1, 2, 3), prunes=(1, 2))
    r = bench.measure(trading_elf, registry_elf, "deploy", sizes)

    assert [(p.side, p.depth, p.position, p.moved) for p in r.placements] == [
        ("bid", 0, "top", 0),
        ("ask", 0, "top", 0),
        *(
            (side, 3, position, moved)
            for side in ("bid", "ask")
            for position, moved in bench_positions(bench)
        ),
    ]
    assert all(p.place_cu > 0 and p.cancel_cu > 0 for p in r.placements)
    empty = {p.side: p.place_cu for p in r.placements if p.depth == 0}
    assert r.first_order_growing > empty["bid"]  # the growth's System transfer CPI on top
    # A deeper book costs more to search; the bottom of a side moves every order of it.
    for side in ("bid", "ask"):
        top = next(p for p in r.placements if (p.side, p.depth, p.position) == (side, 3, "top"))
        assert top.place_cu > empty[side]

    assert [(s.makers, s.fills_in_event) for s in r.sweeps] == [(1, 1), (2, 2), (3, 3)]
    assert r.sweeps[0].cu < r.sweeps[1].cu < r.sweeps[2].cu
    marginal = r.marginal_fill_cu()
    assert set(marginal) == {2, 3} and marginal[3] == (r.sweeps[2].cu - r.sweeps[0].cu) / 2

    assert r.zones.disjoint and r.zones.shared == ()
    first, second = (set(w) for w in r.zones.writable)
    assert first & second == {r.zones.fee_payer}
    # Fee payer, trader, market, vault, trader's token account.
    assert len(first) == len(second) == 5

    assert (r.rent.market_bytes, r.rent.seat_bytes, r.rent.order_slot_bytes) == (432, 96, 56)
    assert 0 < r.rent.create_market < run_bench.RENT_GOAL_SOL * bench.LAMPORTS_PER_SOL
    assert r.rent.per_seat > 0 and r.rent.per_8_order_slots > r.rent.per_seat
    assert set(r.prunes) == {1, 2} and r.prune_per_order_cu() == r.prunes[2] - r.prunes[1] > 0
    assert r.event_handler_cu > 0
    assert {"create_market", "deposit"} <= set(r.other)

    rows = run_bench.trading_rows(r)
    text = "\n".join(rows)
    assert rows[0].startswith(run_bench.SECTIONS["trading"][1])
    assert "| place a resting limit order, free slot (worst: " in text
    assert "not measured: the largest sweep has 3 makers" in text  # 64 fills need a larger sweep
    assert (
        "| markets of zones 7 and 8: " in text
        and "| none but the fee payer | none but the fee payer | met |" in text
    )
    assert text.count(" | met |") >= 4
    # No peer's number is quoted: the peers are measured in their own section, in the same run.
    assert "| measure | SolGrid | goal | verdict |" in text and "Manifest (reference)" not in text


def bench_positions(bench: ModuleType) -> list[tuple[str, int]]:
    """(position, orders moved) of an order inserted into a side of 3 orders."""
    return [(position, moved) for position, _price, moved in bench._positions(Side.BID, 3)]


def test_a_single_section_is_rewritten_in_place(run_bench: ModuleType) -> None:
    results = "\n".join(
        [
            "# Benchmark results",
            "",
            "Written by `make bench` on 2026-01-01; x86_64.",
            "",
            "## Build (all programs)",
            "build rows",
            "",
            "## Compute units per instruction (LiteSVM)",
            "cu rows",
            "",
            "## Oracle worker through each node",
            "oracle rows",
            "## Indexer: events into SQLite",
            "indexer rows",
            "",
        ]
    )
    note = f"{run_bench.RERUN_NOTE} trading on 2026-02-02."
    merged = run_bench.merge_results(results, {"trading": ["## Trading: new", "trading rows"]}, note)
    assert merged.endswith("indexer rows\n")
    assert merged.splitlines() == [
        "# Benchmark results",
        "",
        "Written by `make bench` on 2026-01-01; x86_64.",
        note,
        "",
        "## Build (all programs)",
        "build rows",
        "",
        "## Compute units per instruction (LiteSVM)",
        "cu rows",
        "",
        "## Trading: new",
        "trading rows",
        "",
        "## Oracle worker through each node",
        "oracle rows",
        "## Indexer: events into SQLite",
        "indexer rows",
    ]
    again = run_bench.merge_results(merged, {"trading": ["## Trading: newer"]}, note)
    assert again.count("## Trading") == 1 and "trading rows" not in again and again.count(note) == 1
