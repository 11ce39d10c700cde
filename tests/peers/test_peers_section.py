"""The ``peers`` section of ``bench/run.py`` (``bench/peers_section.py``): with SolGrid alone it says which
peers were not measured and why, and beside a peer it renders one column per book and a paragraph per
row where SolGrid is behind, with the explanation from ``WHY_BEHIND`` (a row without one fails the
section). Building and driving the peers themselves is left to their own tests and to ``make bench``."""

from __future__ import annotations

import dataclasses
import importlib.util
import sys
from collections.abc import Callable
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def run_bench() -> ModuleType:
    """``bench/run.py`` (a script directory, not a package), with the bench modules it imports."""
    spec = importlib.util.spec_from_file_location("bench_run_peers", REPO / "bench" / "run.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # its dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def section(run_bench: ModuleType) -> Any:
    return run_bench.peers_section


@pytest.fixture(scope="module")
def solgrid(section: Any, elf_of: Callable[[str], bytes]) -> Any:
    return section.Measured(
        section.solgrid_driver.measure(elf_of("trading"), elf_of("registry")), "Apache-2.0", "x"
    )


def _table(lines: list[str]) -> list[list[str]]:
    return [[c.strip() for c in line.strip("|").split("|")] for line in lines if line.startswith("| ")]


def test_solgrid_alone_names_the_peers_not_measured(
    run_bench: ModuleType, section: Any, solgrid: Any
) -> None:
    absent = [section.Absent("Manifest", "no driver yet"), section.Absent("Phoenix", "no workspace yet")]
    lines = section.rows([solgrid], absent)
    assert lines[0].startswith(run_bench.SECTIONS["peers"][1])
    text = "\n".join(lines)
    assert "Not measured this run: Manifest (no driver yet); Phoenix (no workspace yet)." in text
    assert "No peer was measured this run" in text
    table = _table(lines)
    assert table[0] == ["measure", "SolGrid", "goal (issue 12)"]
    assert all(len(row) == 3 for row in table)
    goals = {row[0]: row[2] for row in table[1:] if row[2]}
    # Every goal of issue 12 sits beside SolGrid's number with its verdict.
    assert len(goals) == 7 and all("(met" in g or "(missed" in g for g in goals.values()), goals
    for note in solgrid.book.notes:
        assert f"- {note}" in text


def test_a_peer_ahead_on_a_row_gets_its_numbers_and_why(section: Any, solgrid: Any) -> None:
    ours = solgrid.book
    peer = dataclasses.replace(
        ours,
        book="Peer 9.9",
        rent_lamports=ours.rent_lamports - 1_000,  # ahead: explained in WHY_BEHIND
        take_cu={**ours.take_cu, 2 * max(ours.take_cu): 10**6},
        cancel_cu=ours.cancel_cu + 1,  # behind: no paragraph
        max_fills=2 * max(ours.take_cu),
        notes=["driven by a swap"],
    )
    lines = section.rows([solgrid, section.Measured(peer, "MIT", "built in 1 s")], [])
    text = "\n".join(lines)
    table = _table(lines)
    assert table[0] == ["measure", "SolGrid", "goal (issue 12)", "Peer 9.9"]
    assert all(len(row) == 4 for row in table)
    assert ["licence", "Apache-2.0", "", "MIT"] in table
    # A fill count only the peer measured is a row, blank for SolGrid.
    extra = 2 * max(ours.take_cu)
    assert [f"CU, taker crossing the {extra} best of {ours.depth:,} asks", "", "", f"{10**6:,}"] in table
    assert "- driven by a swap" in text

    behind = text.split("Where SolGrid is behind a peer:")[1]
    assert (
        f"Peer 9.9 {peer.rent_lamports:,} lamports, SolGrid {ours.rent_lamports:,}: SolGrid over by 1,000"
        in behind
    )
    assert "Why: " + section.WHY_BEHIND["rent"] in behind
    assert f"SolGrid short by {peer.max_fills - ours.max_fills:,} fills" in behind
    assert "Why: " + section.WHY_BEHIND["max_fills"] in behind
    assert "(`cancel`)" not in behind and "(`bytes_place`)" not in behind  # SolGrid is not behind there


def test_a_row_where_solgrid_is_behind_without_a_why_fails_the_section(section: Any, solgrid: Any) -> None:
    ours = solgrid.book
    assert "take_1" not in section.WHY_BEHIND
    peer = dataclasses.replace(ours, book="Peer 9.9", take_cu={n: cu - 1 for n, cu in ours.take_cu.items()})
    with pytest.raises(ValueError, match=r"WHY_BEHIND\['take_1'\]"):
        section.rows([solgrid, section.Measured(peer, "MIT", "built in 1 s")], [])


def test_a_peer_without_its_workspace_or_driver_is_not_measured(
    section: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(section, "PEERS_DIR", tmp_path)
    peer = section.Peer("no_such_book", "Nobody")
    absent = section.measure_peer(peer, "MIT")
    assert absent == section.Absent("Nobody", "no workspace `peers/no_such_book/Cargo.toml` yet")
    (tmp_path / "no_such_book").mkdir()
    (tmp_path / "no_such_book" / "Cargo.toml").write_text("[package]\n")
    absent = section.measure_peer(peer, "MIT")
    assert absent == section.Absent("Nobody", "no driver `peers/drivers/no_such_book.py` yet")


def test_licences_come_from_the_peers_readme(section: Any) -> None:
    found = section.licences()
    assert found["Manifest"] == "GPL-2.0-or-later"
    assert found["Phoenix"].startswith("Business Source License 1.1")


def test_every_book_is_measured_at_the_workloads_depth(section: Any, solgrid: Any) -> None:
    depth = solgrid.book.depth
    labels = [row[0] for row in _table(section.rows([solgrid], []))]
    assert f"CU, resting order on {depth:,} resting asks (the deepest price)" in labels
    assert f"CU, cancel of that order ({depth:,} others resting)" in labels
    assert f"CU, taker crossing the 1 best of {depth:,} asks" in labels
    shallow = dataclasses.replace(solgrid.book, book="Peer 9.9", depth=depth // 2)
    with pytest.raises(ValueError, match="every book must be measured at the workload's depth"):
        section.rows([solgrid, section.Measured(shallow, "MIT", "built in 1 s")], [])
