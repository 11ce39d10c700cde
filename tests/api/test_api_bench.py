"""The pure parts of the API benchmark (``bench/api_bench.py``): percentiles, wrk's output, and the
``api`` section of ``bench/results.md`` saying "met" or by how much a goal is missed. Nothing here is timed:
the benchmark measures, it never asserts speed."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def bench() -> ModuleType:
    """``bench/api_bench.py`` (a script directory, not a package)."""
    spec = importlib.util.spec_from_file_location("bench_api_bench", REPO / "bench" / "api_bench.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # its dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


def test_percentiles_are_nearest_rank(bench: ModuleType) -> None:
    values = [float(v) for v in range(100, 0, -1)]  # 1..100, unsorted
    assert [bench.percentile(values, q) for q in (0, 1, 50, 90, 99, 99.5, 100)] == [
        1,
        1,
        50,
        90,
        99,
        100,
        100,
    ]
    assert bench.percentile([7.5], 99) == 7.5
    assert bench.percentile([1.0, 2.0, 3.0], 50) == 2.0
    latency = bench.Latency.of([3.0, 1.0, 2.0, 40.0])
    assert (latency.count, latency.p50, latency.p90, latency.p99, latency.max) == (4, 2.0, 40.0, 40.0, 40.0)
    with pytest.raises(ValueError, match="no values"):
        bench.percentile([], 50)
    with pytest.raises(ValueError, match="not within"):
        bench.percentile([1.0], 101)


def test_verdicts_say_met_or_by_how_much(bench: ModuleType) -> None:
    assert bench.verdict(20.0, 20.0, "ms", at_most=True) == "met"
    assert bench.verdict(23.46, 20.0, "ms", at_most=True) == "missed by 3.5 ms"
    assert bench.verdict(1_000.0, 1_000.0, "requests/s", at_most=False) == "met"
    assert bench.verdict(612.4, 1_000.0, "requests/s", at_most=False) == "missed by 388 requests/s"


WRK_OUTPUT = """Running 15s test @ http://127.0.0.1:41234/api/v1/zones/1/book?depth=20&trades=50
  2 threads and 64 connections
  Thread Stats   Avg      Stdev     Max   +/- Stdev
    Latency    52.10ms   10.02ms 210.33ms   90.12%
    Req/Sec   612.80     80.11   800.00     70.00%
  Latency Distribution
     50%   50.01ms
     75%   55.20ms
     90%   60.70ms
     99%    1.20s
  18339 requests in 15.02s, 120.33MB read
  Socket errors: connect 0, read 2, write 0, timeout 1
  Non-2xx or 3xx responses: 4
Requests/sec:   1220.97
Transfer/sec:      8.01MB
"""


def test_wrk_output_is_read(bench: ModuleType) -> None:
    load = bench.parse_wrk(WRK_OUTPUT, 64)
    assert load == bench.Load(
        connections=64, seconds=15.02, requests=18339, rps=1220.97, p99_ms=1200.0, errors=7
    )
    clean = WRK_OUTPUT.replace("     99%    1.20s", "     99%  870.00us")
    clean = "\n".join(line for line in clean.splitlines() if "errors" not in line and "Non-2xx" not in line)
    assert (bench.parse_wrk(clean, 16).p99_ms, bench.parse_wrk(clean, 16).errors) == (0.87, 0)
    with pytest.raises(RuntimeError, match="unexpected wrk output"):
        bench.parse_wrk("wrk: connection refused", 16)


def result(
    bench: ModuleType, p99: float, rps: tuple[float, float], built: float | None, recorded: float | None
) -> Any:
    rows = {"events": 1_000_000, "trades": 240_000}
    world = bench.api_world.World(
        Path("/cache/api-world.db"), bench.api_world.Params(), built, rows, recorded
    )
    runs = tuple(
        bench.WorkersRun(
            workers,
            bench.Latency(2_000, p99 / 2, p99 / 1.5, p99, p99 * 3),
            (
                bench.Load(16, 15.0, int(r * 15), r * 0.9, 30.0, 0),
                bench.Load(64, 15.0, int(r * 15), r, 80.0, 0),
            ),
        )
        for workers, r in zip((1, 2), rps, strict=True)
    )
    answer = bench.Answer(40_000, 2, 80, 100)
    built_latency = bench.Latency(2_000, p99, p99 * 1.2, p99 * 1.5, p99 * 4)
    path = "/api/v1/zones/1/book?depth=20&trades=50"
    return bench.ApiBench(world, path, answer, runs, built_latency, (0.5, 2.25))


def test_the_section_says_which_goal_is_met_and_which_is_missed(bench: ModuleType) -> None:
    rows = bench.rows(result(bench, 12.34, (700.0, 940.0), 600.0, 600.0))
    assert rows[0].startswith(bench.HEADING)
    assert "goals: p99 <= 20 ms, >= 1,000 requests/s" in rows[0]
    text = "\n".join(rows)
    assert "built in 600 s (1,667 events/s) this run" in text
    assert "| events | 1,000,000 |" in text
    assert "| 1 | 6.2 | 8.2 | 12.3 | 37.0 | 630 (30.0 ms) | 700 (80.0 ms) | 0 |" in rows
    assert "Load average (1 min) 0.5 before and 2.2 after" in text
    assert "| 1, every answer built | 12.3 | 14.8 | 18.5 | 49.4 | - | - | - |" in rows
    assert rows[-3] == (
        "Against the goals: p99 18.5 ms with every answer built, one worker, one request at a time (met; "
        "12.3 ms reused); 940 requests/s at best, 2 worker(s) with 64 connections (missed by 60 requests/s; "
        "wrk's p99 at that load 80.0 ms, queued)."
    )
    assert rows[-1].startswith("Why: one request takes the server 6.2 ms at the median, one at a time, so ")
    assert "one core answers about 162 a second" in rows[-1] and "about 3 times cheaper" in rows[-1]


def test_the_section_of_a_slow_run_and_a_cached_world(bench: ModuleType) -> None:
    rows = bench.rows(result(bench, 31.0, (1_500.0, 1_200.0), None, 1_841.7))
    assert "reused from the cache; its build took 1,842 s (543 events/s)" in "\n".join(rows)
    assert rows[-1] == (
        "Against the goals: p99 46.5 ms with every answer built, one worker, one request at a time (missed "
        "by 26.5 ms; 31.0 ms reused); 1,500 requests/s at best, 1 worker(s) with 64 connections (met; wrk's "
        "p99 at that load 80.0 ms, queued)."
    )  # and no "Why:" after it


def test_the_api_section_is_added_after_the_last_one_with_a_blank_line() -> None:
    spec = importlib.util.spec_from_file_location("bench_run_api", REPO / "bench" / "run.py")
    assert spec is not None and spec.loader is not None
    run_bench = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = run_bench
    spec.loader.exec_module(run_bench)
    results = (
        "# Benchmark results\n\nWritten.\n\n## Oracle worker\noracle rows\n## Indexer: x\nindexer rows\n"
    )
    note = f"{run_bench.RERUN_NOTE} api on 2026-12-07."
    heading = f"{run_bench.api_bench.HEADING} (goals)"
    merged = run_bench.merge_results(results, {"api": [heading, "", "api rows"]}, note)
    assert merged.splitlines()[-5:] == ["indexer rows", "", heading, "", "api rows"]
    assert run_bench.merge_results(merged, {"api": [heading, "", "api rows"]}, note) == merged
