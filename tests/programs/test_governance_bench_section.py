"""The governance benchmark (``bench/governance_cu.py``, ``bench/baseline.py``,
``bench/governance_section.py``: the ``governance`` section of ``bench/run.py``), so that ``make bench``
cannot rot: every measurement runs on the deployed programs and its checks hold, the section renders a
verdict per goal with and without a baseline, and the baseline's layout adapter drops exactly the
accounts an earlier IDL lacks. Building an earlier commit's programs is left to ``make bench`` (minutes
on 2 cores)."""

from __future__ import annotations

import copy
import dataclasses
import importlib.util
import sys
from itertools import pairwise
from types import ModuleType
from typing import Any

import pytest
from registry_harness import REPO
from solders.keypair import Keypair

from solgrid.sdk.idl import load_idl_json
from solgrid.sdk.trading import TradingClient
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


@pytest.fixture(scope="module")
def measured(run_bench: ModuleType, governance_elves: dict[str, bytes]) -> Any:
    bench = run_bench.governance_section.governance_cu
    return bench.measure(governance_elves, baseline_note="not compared in the tests")


def test_every_measurement_runs(run_bench: ModuleType, measured: Any) -> None:
    r = measured
    first, later = r.requests
    assert (first.volume_wh, later.volume_wh) == (6_000, 5_000)
    assert 0 < first.certify_meter_cu < first.cu and first.own_cu == first.cu - first.certify_meter_cu
    assert len(r.certificates) == 6 and all(cu > 0 for cu in r.certificates.values())

    # Each approval of eight compares its key with more stored ones than the last.
    series = r.approval_series
    assert len(series) == 8 and series == sorted(series) and len(set(series)) == 8
    assert r.approvals["worst"] == series[-1] > r.approvals["quorum"] > r.approvals["first"]
    assert 0 < r.key_compare_cu() < min(b - a for a, b in pairwise(series))

    targets = [e.target for e in r.executions]
    assert [t.split()[0] for t in targets] == ["registry", "registry", "registry", "trading"]
    for e in [*r.executions, r.worst_execution]:
        assert 0 < e.direct_cu < e.execute_cu and 0 < e.inner_cu < e.execute_cu
        assert e.added_cu == e.execute_cu - e.direct_cu and e.execute_own_cu == e.execute_cu - e.inner_cu
    assert r.worst_execution.inner_cu == r.executions[0].inner_cu  # the same target, more approvals
    assert r.worst_execution.execute_cu > r.executions[0].execute_cu
    assert {"close_proposal", "cancel (by the proposer)", "reject (the first rejection)"} <= set(r.other)
    loader = [cu for name, cu in r.other.items() if name.startswith("propose loader SetAuthority")]
    # A loader proposal also derives ProgramData addresses (1,500 CU per bump tried).
    assert len(loader) == 4 and min(loader) > min(e.propose_cu for e in r.executions)
    assert r.other["execute loader SetAuthority (trading's authority back to the deployer)"] > 0

    assert [p.name for p in r.hot_paths] == list(run_bench.governance_section.governance_cu.HOT_INSTRUCTIONS)
    assert all(p.cu > 0 and p.baseline_cu is None for p in r.hot_paths)
    assert r.baseline == "not compared in the tests"


def test_the_section_renders_a_verdict_per_goal(run_bench: ModuleType, measured: Any) -> None:
    section = run_bench.governance_section
    rows = section.rows(measured)
    text = "\n".join(rows)
    assert rows[0].startswith(run_bench.SECTIONS["governance"][1])
    assert "GridTokenX's issue_erc, as issue 14 quotes it; not measured here" in text
    # request, validate, transfer, split, retire, approve (typical), approve (worst), execute (typical,
    # worst): a verdict each.
    verdicts = [
        line for line in rows if line.startswith("| ") and ("| met |" in line or "| missed by " in line)
    ]
    assert len(verdicts) == 9
    assert "no comparison with main before issue 14: not compared in the tests" in text

    # With a baseline: a column of main's CU, the difference and the accounts added.
    paths = [
        dataclasses.replace(p, baseline_cu=p.cu - 50, added_accounts=("place_order: registry_config",))
        for p in measured.hot_paths
    ]
    compared = dataclasses.replace(measured, hot_paths=paths, baseline="ab" * 20, baseline_build_secs=1.0)
    text = "\n".join(section.rows(compared))
    assert "| instruction | now | main before issue 14 | difference | accounts added |" in text
    assert text.count("| +50 | `place_order: registry_config` |") == len(paths)
    assert "(`abababababab`, built" in text


def test_a_missed_goal_says_by_how_much(run_bench: ModuleType, measured: Any) -> None:
    section = run_bench.governance_section
    slow = dataclasses.replace(measured.requests[0], cu=section.REQUEST_GOAL + 123)
    text = "\n".join(section.rows(dataclasses.replace(measured, requests=[slow, measured.requests[1]])))
    assert f"| {section.REQUEST_GOAL + 123:,} CU ({measured.requests[1].cu:,}) | " in text
    assert "| missed by 123 CU: see its split below |" in text


def test_the_layout_adapter_drops_what_an_earlier_idl_lacks(run_bench: ModuleType) -> None:
    baseline = run_bench.governance_section.baseline
    earlier = copy.deepcopy(load_idl_json("trading"))
    [place] = [i for i in earlier["instructions"] if i["name"] == "place_order"]
    place["accounts"] = [a for a in place["accounts"] if a["name"] != "registry_config"]
    adapter = baseline.LayoutAdapter({"trading": earlier})
    client = TradingClient()
    assert adapter.added(client.program_id, "place_order") == ["registry_config"]
    assert adapter.added(client.program_id, "cancel_order") == []

    trader, market = Keypair().pubkey(), Keypair().pubkey()
    ix = client.place_order(trader=trader, market=market, zone_id=7, seat=0, side=Side.BID, price=900, lots=1)
    adapted = adapter(ix)
    assert bytes(adapted.data) == bytes(ix.data)
    assert [m.pubkey for m in adapted.accounts] == [
        m.pubkey for m in ix.accounts if m.pubkey != client.registry_config()
    ]
    assert len(adapted.accounts) == len(ix.accounts) - 1
    cancel = client.cancel_order(trader=trader, market=market, seat=0, side=Side.BID, price=900, order_id=1)
    assert adapter(cancel) == cancel  # unchanged since

    place["args"] = place["args"][1:]
    with pytest.raises(baseline.BaselineUnavailable, match=r"trading\.place_order: its arguments changed"):
        baseline.LayoutAdapter({"trading": earlier})


def test_an_unknown_commit_is_no_baseline(run_bench: ModuleType) -> None:
    baseline = run_bench.governance_section.baseline
    with pytest.raises(baseline.BaselineUnavailable, match="git rev-parse"):
        baseline.load("0" * 40, ["registry"])


def test_rerun_notes_accumulate_per_section(run_bench: ModuleType) -> None:
    note = run_bench.rerun_note
    text = "# Benchmark results\n\nWritten by `make bench` on 2026-01-01.\n"
    first = note(text, ["auction"], "2026-02-02")
    assert first == "Rerun alone since: auction on 2026-02-02 (`bench/run.py auction`)."
    second = note(f"{text}{first}\n", ["governance"], "2026-02-03")
    assert second == (
        "Rerun alone since: auction on 2026-02-02 (`bench/run.py auction`); "
        "governance on 2026-02-03 (`bench/run.py governance`)."
    )
    # Rerunning a section again replaces its own entry.
    assert note(f"{text}{second}\n", ["auction"], "2026-02-04") == (
        "Rerun alone since: governance on 2026-02-03 (`bench/run.py governance`); "
        "auction on 2026-02-04 (`bench/run.py auction`)."
    )
