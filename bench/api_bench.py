"""The market data API's speed against issue 17's goals: a zone's book and last trades answered in
<= 20 ms p99 with 1,000,000 indexed events in SQLite, and >= 1,000 requests/s for it on this 2-core machine.

``solgrid api run`` runs as its own process (a free port, the database of ``bench/api_world.py``), once
with one worker and once with ``--workers 2``; for each:

- latency: ``SEQUENTIAL`` GET requests one after the other on one keep-alive connection from this
  process (after ``WARM_UP`` unmeasured ones), each timed from sending to the last byte of the body;
  p50 / p90 / p99 / max;
- throughput: ``wrk`` (Debian's package, installed by ``scripts/setup.sh``: a C load generator, so the
  client's own cost stays small next to the server's on the same 2 cores) with ``CONNECTIONS``
  keep-alive connections for ``DURATION`` seconds each; requests/s, wrk's p99 under that load, and
  every answer must be a 200.

The numbers are printed and recorded in ``bench/results.md`` (``bench/run.py api``), never asserted.

    .venv/bin/python bench/api_bench.py [--events 1000000] [--path PATH] [--workers 1 2] [--duration 15]
"""

from __future__ import annotations

import argparse
import http.client
import json
import math
import os
import re
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import IO

from solgrid.indexer.backfill import STORE_PAGE

sys.path.insert(0, str(Path(__file__).parent))
import api_world  # sibling script of this directory

REPO = Path(__file__).resolve().parents[1]
SOLGRID = REPO / ".venv" / "bin" / "solgrid"
BOOK_PATH = "/api/v1/zones/{zone}/book?depth=20&trades=50"
"""The benchmarked request (``{zone}``: the zone with the most trades)."""
WARM_UP = 200
SEQUENTIAL = 2_000
CONNECTIONS = (16, 64)
DURATION = 15
WORKERS = (1, 2)
P99_GOAL_MS = 20.0
RPS_GOAL = 1_000.0
HEADING = "## Market data API: a zone's book and last trades"


def percentile(values: Sequence[float], q: float) -> float:
    """The ``q``-th percentile (0..100) of ``values`` by the nearest-rank method: the smallest value
    with at least q % of the values at or below it (p100 is the maximum)."""
    if not values:
        raise ValueError("no values")
    if not 0 <= q <= 100:
        raise ValueError(f"percentile {q} is not within 0..100")
    ordered = sorted(values)
    rank = max(1, math.ceil(q / 100 * len(ordered)))
    return ordered[rank - 1]


@dataclass(frozen=True)
class Latency:
    count: int
    p50: float
    p90: float
    p99: float
    max: float
    """Milliseconds."""

    @classmethod
    def of(cls, millis: Sequence[float]) -> Latency:
        return cls(len(millis), *(percentile(millis, q) for q in (50, 90, 99, 100)))


@dataclass(frozen=True)
class Load:
    connections: int
    seconds: float
    requests: int
    rps: float
    p99_ms: float | None
    """wrk's 99th percentile under this load."""
    errors: int
    """Answers that were not a 200, and socket errors."""


@dataclass(frozen=True)
class WorkersRun:
    workers: int
    latency: Latency
    loads: tuple[Load, ...]

    @property
    def best_rps(self) -> float:
        return max(load.rps for load in self.loads)


@dataclass(frozen=True)
class Answer:
    """What one answer of the benchmarked request holds."""

    bytes: int
    markets: int
    levels: int
    trades: int


@dataclass(frozen=True)
class ApiBench:
    world: api_world.World
    path: str
    answer: Answer
    runs: tuple[WorkersRun, ...]
    built: Latency
    """One worker, every answer built (none taken from the response cache)."""
    load: tuple[float, float]
    """The 1-minute load average before and after the measurements (the server shares the 2 cores)."""


def verdict(value: float, goal: float, unit: str, *, at_most: bool) -> str:
    """``met``, or ``missed by X <unit>``."""
    if (value <= goal) if at_most else (value >= goal):
        return "met"
    digits = 1 if unit == "ms" else 0
    return f"missed by {abs(value - goal):,.{digits}f} {unit}"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _get(connection: http.client.HTTPConnection, path: str) -> bytes:
    connection.request("GET", path)
    response = connection.getresponse()
    body = response.read()
    if response.status != 200:
        raise RuntimeError(f"GET {path}: {response.status} {body[:200]!r}")
    return body


@contextmanager
def api_process(db_url: str, workers: int, cache_secs: float = 1.0) -> Iterator[int]:
    """``solgrid api run`` on a free port with ``workers`` workers, until it answers; yields the port."""
    port = free_port()
    command = [str(SOLGRID), "api", "run", "--db", db_url, "--port", str(port), "--workers", str(workers)]
    command += ["--cache-secs", str(cache_secs)]
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    with tempfile.TemporaryFile() as log:  # a file, not a pipe nobody reads while the server runs
        process = subprocess.Popen(command, env=env, stdout=log, stderr=subprocess.STDOUT)
        try:
            _wait_until_answering(process, port, log)
            yield port
        finally:
            process.send_signal(signal.SIGINT)
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def _wait_until_answering(process: subprocess.Popen[bytes], port: int, log: IO[bytes]) -> None:
    deadline = time.monotonic() + 90
    while True:
        if process.poll() is not None:
            log.seek(0)
            said = log.read().decode(errors="replace").strip()[-500:]
            raise RuntimeError(f"solgrid api run exited with {process.returncode}: {said}")
        try:
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
            _get(connection, "/api/v1/zones")
            connection.close()
            return
        except OSError:
            if time.monotonic() > deadline:
                raise RuntimeError("solgrid api run did not answer within 90 s") from None
            time.sleep(0.2)


def sequential(port: int, path: str, count: int, warm_up: int) -> tuple[Latency, bytes]:
    """``count`` timed requests one after the other on one connection, after ``warm_up`` untimed ones."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    body = b""
    for _ in range(warm_up):
        body = _get(connection, path)
    millis = []
    for _ in range(count):
        started = time.perf_counter()
        body = _get(connection, path)
        millis.append((time.perf_counter() - started) * 1000)
    connection.close()
    return Latency.of(millis), body


WRK_RPS = re.compile(r"Requests/sec:\s+([\d.]+)")
WRK_TOTAL = re.compile(r"(\d+) requests in ([\d.]+)(m?s|m)")
WRK_P99 = re.compile(r"^\s+99%\s+([\d.]+)(us|ms|s)\s*$", re.MULTILINE)
WRK_NON_2XX = re.compile(r"Non-2xx or 3xx responses:\s+(\d+)")
WRK_SOCKET = re.compile(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)")
UNIT_MS = {"us": 0.001, "ms": 1.0, "s": 1000.0}


def parse_wrk(output: str, connections: int) -> Load:
    """The numbers of a ``wrk --latency`` run's output."""
    rps = WRK_RPS.search(output)
    total = WRK_TOTAL.search(output)
    if rps is None or total is None:
        raise RuntimeError(f"unexpected wrk output: {output.strip()[:300]}")
    seconds = float(total.group(2)) * {"s": 1.0, "ms": 0.001, "m": 60.0}[total.group(3)]
    p99 = WRK_P99.search(output)
    non_2xx = WRK_NON_2XX.search(output)
    sockets = WRK_SOCKET.search(output)
    errors = (int(non_2xx.group(1)) if non_2xx else 0) + (
        sum(int(n) for n in sockets.groups()) if sockets else 0
    )
    return Load(
        connections=connections,
        seconds=seconds,
        requests=int(total.group(1)),
        rps=float(rps.group(1)),
        p99_ms=None if p99 is None else float(p99.group(1)) * UNIT_MS[p99.group(2)],
        errors=errors,
    )


def wrk(port: int, path: str, connections: int, seconds: int) -> Load:
    """``connections`` keep-alive connections from wrk for ``seconds``."""
    binary = shutil.which("wrk")
    if binary is None:
        raise SystemExit("bench: wrk is not installed (Debian's wrk package): run scripts/setup.sh")
    url = f"http://127.0.0.1:{port}{path}"
    command = [binary, "-t2", f"-c{connections}", f"-d{seconds}s", "--timeout", "10s", "--latency", url]
    done = subprocess.run(command, capture_output=True, text=True, check=True)
    return parse_wrk(done.stdout, connections)


def answer_of(body: bytes) -> Answer:
    d = json.loads(body)
    markets = d.get("markets", [])
    books = [m for m in markets if isinstance(m, dict)]  # /zones/{zone} lists addresses only
    levels = sum(len(m["book"]["bids"]) + len(m["book"]["asks"]) for m in books if "book" in m)
    trades = sum(len(m.get("last_trades", [])) for m in books)
    return Answer(len(body), len(markets), levels, trades)


def busiest_zone(path: Path) -> int:
    with sqlite3.connect(path) as db:
        row = db.execute(
            "SELECT zone_id FROM trades GROUP BY zone_id ORDER BY COUNT(*) DESC, zone_id LIMIT 1"
        ).fetchone()
    return 1 if row is None else int(row[0])


def run(
    params: api_world.Params | None = None,
    path: str = BOOK_PATH,
    workers: Sequence[int] = WORKERS,
    duration: int = DURATION,
) -> ApiBench:
    w = api_world.world(params)
    request = path.format(zone=busiest_zone(w.path))
    load_before = os.getloadavg()[0]
    runs = []
    answer = None
    for n in workers:
        with api_process(w.url, n) as port:
            latency, body = sequential(port, request, SEQUENTIAL, WARM_UP)
            answer = answer_of(body)
            loads = tuple(wrk(port, request, c, duration) for c in CONNECTIONS)
        runs.append(WorkersRun(n, latency, loads))
        print(f"bench:   api with {n} worker(s): p99 {latency.p99:.1f} ms", file=sys.stderr, flush=True)
    with api_process(w.url, 1, cache_secs=0) as port:
        built, _ = sequential(port, request, SEQUENTIAL, WARM_UP)
    print(f"bench:   api, every answer built: p99 {built.p99:.1f} ms", file=sys.stderr, flush=True)
    assert answer is not None
    return ApiBench(w, request, answer, tuple(runs), built, (load_before, os.getloadavg()[0]))


def rows(r: ApiBench) -> list[str]:
    """The ``api`` section of ``bench/results.md``."""
    w = r.world
    events = w.rows.get("events", 0)
    if w.built_secs is not None:
        built = f"built in {w.built_secs:,.0f} s ({events / w.built_secs:,.0f} events/s) this run"
    elif w.recorded_secs is not None:
        built = (
            f"reused from the cache; its build took {w.recorded_secs:,.0f} s "
            f"({events / w.recorded_secs:,.0f} events/s)"
        )
    else:
        built = "reused from the cache"
    one = next((run for run in r.runs if run.workers == 1), r.runs[0])
    best = max(r.runs, key=lambda run: run.best_rps)
    best_load = max(best.loads, key=lambda load: load.rps)
    a = r.answer
    lines = [
        f"{HEADING} (goals: p99 <= {P99_GOAL_MS:.0f} ms, >= {RPS_GOAL:,.0f} requests/s)",
        "",
        f"`bench/api_bench.py`: `solgrid api run` as its own process over an indexer SQLite database of "
        f"{events:,} indexed events",
        f"(`bench/api_world.py`, through the indexer's `Store` in pages of {STORE_PAGE} "
        f"transactions; {built}). Request: `GET {r.path}`",
        f"({a.markets} markets, {a.levels} price levels, {a.trades} trades, {a.bytes:,} bytes). Latency: "
        f"{one.latency.count:,} requests one after the other on one",
        f"keep-alive connection from the bench process after {WARM_UP} unmeasured ones; throughput: wrk "
        f"(2 threads) for {r.runs[0].loads[0].seconds:.0f} s per connection count, on the same 2 cores "
        "as the server.",
        "",
        "| table | rows |",
        "|---|---|",
        *(f"| {table} | {count:,} |" for table, count in w.rows.items()),
        "",
        "| workers | p50 ms | p90 ms | p99 ms | max ms | "
        + " | ".join(f"req/s, {c} conn. (wrk p99)" for c in CONNECTIONS)
        + " | errors |",
        "|---|---|---|---|---|" + "---|" * len(CONNECTIONS) + "---|",
    ]
    for run in r.runs:
        lat = run.latency
        loads = " | ".join(
            f"{load.rps:,.0f} ({'-' if load.p99_ms is None else f'{load.p99_ms:.1f} ms'})"
            for load in run.loads
        )
        errors = sum(load.errors for load in run.loads)
        latency = f"{lat.p50:.1f} | {lat.p90:.1f} | {lat.p99:.1f} | {lat.max:.1f}"
        lines.append(f"| {run.workers} | {latency} | {loads} | {errors} |")
    b = r.built
    lines += [
        f"| 1, every answer built | {b.p50:.1f} | {b.p90:.1f} | {b.p99:.1f} | {b.max:.1f} | "
        + " | ".join("-" for _ in CONNECTIONS)
        + " | - |",
        "",
        "The API keeps this answer serialized until something new is indexed (`api/response_cache.py`: one "
        "indexed query of `max(events.id)` per request, one second at most), so while the indexer has "
        "nothing new the rows above are what a request costs; the last row is a server started with "
        "`--cache-secs 0`, which builds every answer from the database, as after each indexed event.",
        "",
        f"Load average (1 min) {r.load[0]:.1f} before and {r.load[1]:.1f} after, on {os.cpu_count()} cores: "
        "other work on the machine takes CPU from the server and stretches these times.",
        "",
        f"Against the goals: p99 {b.p99:.1f} ms with every answer built, one worker, one request at a time "
        f"({verdict(b.p99, P99_GOAL_MS, 'ms', at_most=True)}; {one.latency.p99:.1f} ms reused); "
        f"{best_load.rps:,.0f} requests/s at best, {best.workers} worker(s) with {best_load.connections} "
        f"connections ({verdict(best_load.rps, RPS_GOAL, 'requests/s', at_most=False)}"
        + ("" if best_load.p99_ms is None else f"; wrk's p99 at that load {best_load.p99_ms:.1f} ms, queued")
        + ").",
    ]
    if best_load.rps < RPS_GOAL:
        lines += ["", why_slower(one.latency.p50, a)]
    return lines


def why_slower(p50_ms: float, a: Answer) -> str:
    """Why requests/s fall short: what one request costs the server, and where that goes."""
    per_core = 1000 / p50_ms
    return (
        f"Why: one request takes the server {p50_ms:.1f} ms at the median, one at a time, so one core "
        f"answers about {per_core:,.0f} a second and two cores, which wrk shares, at most twice that. "
        f"With the answer ({a.bytes:,} bytes) reused, what is left is the framework's routing and "
        "parameter checks and the one query of the newest event id crossing to aiosqlite's thread and back; "
        f"reaching the goal needs a request about {RPS_GOAL / (2 * per_core):.0f} times cheaper, e.g. the "
        "newest id pushed by the feed instead of read per request."
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=api_world.Params.events)
    parser.add_argument("--path", default=BOOK_PATH, help="the request ({zone}: the busiest zone)")
    parser.add_argument("--workers", type=int, nargs="+", default=list(WORKERS))
    parser.add_argument("--duration", type=int, default=DURATION, help="seconds of each wrk run")
    args = parser.parse_args()
    result = run(api_world.Params(events=args.events), args.path, args.workers, args.duration)
    print("\n".join(rows(result)))


if __name__ == "__main__":
    main()
