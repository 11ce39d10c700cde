"""``make bench``: measure, print and record SolGrid's speed and size numbers in ``bench/results.md``.

- build time of every program from clean (a copy of the workspace with an empty target directory,
  including ``-Zbuild-std``), after a one-file edit, and with nothing changed; the .so sizes;
- throughput of simple SOL transfers sent through JSON-RPC by concurrent clients;
- compute units per instruction, measured in LiteSVM;
- oracle worker readings/s through a node;
- indexer ingest into SQLite (decode + store, and the whole catch-up path without RPC and from a node).

Every figure through a node is measured side by side on our node (``solgrid localnet``) and on a real
``solana-test-validator`` 4.2.2 in the same run: the same clients and transactions, each node started fresh
the same way (``bench/nodes.py``). Goals (from the issues) are printed next to the numbers; they are targets
to watch, not assertions.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import platform
import shutil
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from solgrid.build.pipeline import Builder, discover_programs
from solgrid.build.toolchain import Toolchain
from solgrid.indexer.backfill import FETCH_CONCURRENCY
from solgrid.localnet import bench as node_bench
from solgrid.oracle.submitter import CONFIRM_TIMEOUT_SECS

sys.path.insert(0, str(Path(__file__).parent))
import energy_token_cu  # sibling scripts of this directory
import indexer_bench
import nodes
import oracle_bench
import registry_cu
from nodes import NODES, Node, ratio, versus

REPO = Path(__file__).resolve().parents[1]
RESULTS = REPO / "bench" / "results.md"
EDITED_FILE = Path("programs") / "registry" / "src" / "lib.rs"


def _timed(fn: Callable[[], object]) -> float:
    started = time.monotonic()
    fn()
    return time.monotonic() - started


def build_times() -> list[str]:
    toolchain = Toolchain.locate()
    with tempfile.TemporaryDirectory(prefix="solgrid-bench-") as tmp:
        copy = Path(tmp) / "ws"
        copy.mkdir()
        for item in ("Cargo.toml", "Cargo.lock", "programs", "crates"):
            src = REPO / item
            (shutil.copytree if src.is_dir() else shutil.copy2)(src, copy / item)
        builder = Builder(copy, toolchain)
        programs = discover_programs(copy)
        build_all = lambda: [builder.build(p) for p in programs]  # noqa: E731
        clean = _timed(build_all)
        edited = copy / EDITED_FILE
        edited.write_text(edited.read_text() + "\n// benchmark edit\n")
        for stamp in (copy / "target" / "sbf").glob("*/input.sha256"):
            stamp.unlink()  # a comment leaves the bitcode as it was: make the IR/llc/link stages run too
        incremental = _timed(build_all)
        noop = _timed(build_all)
        sizes = {p.name: (copy / "target" / "deploy" / f"{p.name}.so").stat().st_size for p in programs}
    rows = [
        "## Build (all programs)",
        "",
        "| case | seconds | goal |",
        "|---|---|---|",
        f"| clean, including -Zbuild-std core+alloc | {clean:.1f} | <= 120 |",
        f"| after editing `{EDITED_FILE}` | {incremental:.1f} | <= 10 |",
        f"| nothing changed | {noop:.1f} | |",
        "",
        "| program | .so bytes |",
        "|---|---|",
        *(f"| {name} | {size} |" for name, size in sizes.items()),
    ]
    return rows


async def _transfers(node: Node, clients: int, in_flight: int) -> tuple[node_bench.BenchResult, float]:
    with tempfile.TemporaryDirectory(prefix="solgrid-bench-node-") as tmp:
        async with nodes.fresh(node, Path(tmp)) as running:
            result = await node_bench.transfer_throughput(
                running.rpc_url, clients=clients, transactions=TRANSFERS, in_flight=in_flight
            )
            return result, running.startup_secs


def node_throughput() -> list[str]:
    ours, validator = (node.value for node in NODES)
    rows = [
        f"## SOL transfers through JSON-RPC: {ours} and {validator} (goal >= {TPS_GOAL} tx/s, ours)",
        "",
        f"{TRANSFERS} transfers per configuration, the same solana-py AsyncClients (preflight on) on both "
        "nodes, each node started fresh for",
        "each configuration (`bench/nodes.py`: its own process, ledger on disk, both programs at genesis). "
        "Amounts are at least",
        "the rent-exempt minimum (valid on both); a transfer counts as confirmed once its status is "
        "`confirmed` without error,",
        "and each recipient's balance is checked against the confirmed transfers.",
        "",
        f"| clients x in flight | {ours}: sent tx/s | {ours}: confirmed tx/s | {validator}: sent tx/s "
        f"| {validator}: confirmed tx/s | ours / validator (confirmed) | goal (confirmed, ours) |",
        "|---|---|---|---|---|---|---|",
    ]
    confirmed: dict[str, dict[Node, float]] = {}
    startup: dict[Node, list[float]] = {node: [] for node in NODES}
    outcome: dict[Node, list[str]] = {node: [] for node in NODES}
    for clients, in_flight in CONFIGS:
        config = f"{clients} x {in_flight}"
        results = {}
        for node in NODES:  # alternating, so that the machine's load falls on both alike
            print(f"bench:   {config} on {node.value}", file=sys.stderr, flush=True)
            results[node], started = asyncio.run(_transfers(node, clients, in_flight))
            startup[node].append(started)
            r = results[node]
            outcome[node].append(f"{r.confirmed}/{r.failed}/{r.dropped}")
        a, b = results[Node.OURS], results[Node.VALIDATOR]
        confirmed[config] = {node: results[node].confirmed_tps for node in NODES}
        rows.append(
            f"| {config} | {a.send_tps:.0f} | {a.confirmed_tps:.0f} | {b.send_tps:.0f} "
            f"| {b.confirmed_tps:.0f} | {ratio(a.confirmed_tps, b.confirmed_tps)} | >= {TPS_GOAL} |"
        )
    best = max(confirmed, key=lambda c: confirmed[c][Node.OURS])
    best_validator = max(confirmed, key=lambda c: confirmed[c][Node.VALIDATOR])
    ours_best, validator_best = confirmed[best][Node.OURS], confirmed[best_validator][Node.VALIDATOR]
    one = confirmed["1 x 1"]
    verdict = "met" if ours_best >= TPS_GOAL else "not met"
    rows += [
        "",
        "Confirmed / failed / dropped per configuration: "
        + "; ".join(f"{node.value} {', '.join(outcome[node])}" for node in NODES)
        + ".",
        "",
        "Start-up from a fresh genesis with both programs, to ready: "
        + "; ".join(f"{node.value} {min(startup[node]):.1f} to {max(startup[node]):.1f} s" for node in NODES)
        + ".",
        "",
        f"Against the goal (confirmed, the node's capacity): {ours_best:.0f} tx/s with {best} ({verdict}); "
        f"one client with one request at a time: {one[Node.OURS]:.0f} tx/s.",
        "",
        f"What our node saves or costs: at best it confirms {versus(ours_best, validator_best)} the "
        f"validator's best ({validator_best:.0f} tx/s with {best_validator}), and one client with one "
        f"request at a time gets {versus(one[Node.OURS], one[Node.VALIDATOR])} the validator's rate "
        "(our node executes a transaction when it is sent and confirms it at once; the validator "
        "preflights it, executes it in a ~400 ms slot and confirms it by vote).",
    ]
    return rows


TRANSFERS = 2000
CONFIGS = ((1, 1), (4, 2), (8, 4))
TPS_GOAL = 500


def compute_units() -> list[str]:
    rows = [
        "## Compute units per instruction (LiteSVM on agave 4.1.2, program at its IDL address)",
        "",
        "Goals: <= 8,000 CU per reading in `submit_readings`, <= 8,000 CU for `settle_and_mint`. The",
        "latter's fixed floor is two CPIs (1,000 CU each for the invocation) plus SPL Token's own MintTo,",
        "measured here in p-token 1.0.0, the SPL Token of agave 4 clusters and of a solana-test-validator",
        "4.2.2 genesis, which the engine holds; the classic program of agave 2.2's LiteSVM took 4,492 CU",
        "for it.",
        "",
        "| program | instruction | loaded with add_program | deployed (loader v3) |",
        "|---|---|---|---|",
    ]
    deployed_cu: dict[str, int] = {}
    deploy_dir = REPO / "target" / "deploy"
    measures: dict[str, Callable[[bytes, str], dict[str, int]]] = {
        "registry": registry_cu.measure_cu,
        "energy_token": energy_token_cu.measure_cu,
    }
    for program, measure in measures.items():
        elf = (deploy_dir / f"{program}.so").read_bytes()
        by_mode = {mode: measure(elf, mode) for mode in registry_cu.MODES}
        for instruction in by_mode["add_program"]:
            loaded, deployed = by_mode["add_program"][instruction], by_mode["deploy"][instruction]
            rows.append(f"| {program} | {instruction} | {loaded} | {deployed} |")
            deployed_cu[f"{program} {instruction}"] = deployed
    rows += [
        "",
        "Against the goals (deployed): "
        + "; ".join(_against_goal(name, deployed_cu[key], CU_GOAL) for name, key in CU_GOALS)
        + ".",
    ]
    return rows


CU_GOAL = 8_000
CU_GOALS = (
    ("per reading in a 6-reading batch", "registry per_reading[6]"),
    ("settle_and_mint", "energy_token settle_and_mint"),
)


def _against_goal(name: str, cu: int, goal: int) -> str:
    verdict = "met" if cu <= goal else f"{cu - goal:,} CU over"
    return f"{name} {cu:,} CU ({verdict})"


@dataclass(frozen=True)
class OnNode:
    oracle: oracle_bench.OracleResult
    catch_up: indexer_bench.NodeCatchUp


async def _oracle_then_indexer(node: Node) -> OnNode:
    """The oracle bench on a fresh ``node``, then the indexer's catch-up of the history it wrote."""
    with tempfile.TemporaryDirectory(prefix="solgrid-bench-oracle-") as tmp:
        async with nodes.fresh(node, Path(tmp) / "node") as running:
            oracle = await oracle_bench.run_worker(running, Path(tmp), ORACLE_METERS, ORACLE_WINDOWS, 4)
            db = f"sqlite+aiosqlite:///{Path(tmp) / 'indexer.db'}"
            return OnNode(oracle, await indexer_bench.from_node(running.rpc_url, db))


def oracle_and_indexer() -> list[str]:
    runs: dict[Node, OnNode] = {}
    for node in NODES:
        print(f"bench:   oracle and indexer on {node.value}", file=sys.stderr, flush=True)
        runs[node] = asyncio.run(_oracle_then_indexer(node))
    return [*oracle_rows(runs), "", *indexer_rows(runs)]


ORACLE_METERS = 12
ORACLE_WINDOWS = 50


def _header(title: str) -> list[str]:
    ours, validator = (node.value for node in NODES)
    return [f"| {title} | {ours} | {validator} | goal |", "|---|---|---|---|"]


def oracle_rows(runs: dict[Node, OnNode]) -> list[str]:
    o = {node: run.oracle for node, run in runs.items()}
    first = o[Node.OURS]

    def cells(cell: Callable[[oracle_bench.OracleResult], str]) -> str:
        return " | ".join(cell(o[node]) for node in NODES)

    ours, theirs = o[Node.OURS], o[Node.VALIDATOR]
    return [
        f"## Oracle worker through each node (goal >= {ORACLE_GOAL} readings/s)",
        "",
        f"{first.readings} readings of {first.meters} meters (the simulator's model, {oracle_bench.WINDOW} s "
        f"windows from each meter's activation on) signed by their device keys, {first.lanes} lanes,",
        "batches of 6 in v0 transactions, each node fresh (`bench/oracle_bench.py`). No clock warp on "
        "either node: the market lets",
        "window ends lie up to an hour ahead of the cluster clock (the registry's largest "
        "`max_clock_skew_secs`), so every reading is due at once.",
        "",
        *_header("measure"),
        f"| transactions | {cells(lambda r: str(r.transactions))} | |",
        f"| submission (send to confirmation) | {cells(lambda r: f'{r.submit_rate:.0f} readings/s')} "
        f"| >= {ORACLE_GOAL} readings/s |",
        f"| whole run (tables made beforehand; submission, settlement) | "
        f"{cells(lambda r: f'{r.overall_rate:.0f} readings/s')} | |",
        f"| readings recorded on-chain | {cells(lambda r: f'{r.on_chain} of {r.readings}')} | all |",
        f"| sends retried (confirmation timed out, RPC error) | {cells(lambda r: str(r.retries))} | |",
        "",
        f"What our node saves or costs: the worker submits at {versus(ours.submit_rate, theirs.submit_rate)} "
        f"the rate it gets from the validator, and its whole run takes {ours.elapsed_secs:.1f} s against "
        f"{theirs.elapsed_secs:.1f} s on the validator (each transaction waits for its slot and a vote "
        "there)"
        + (
            f"; {theirs.retries} send(s) there and {ours.retries} here went unconfirmed for "
            f"{CONFIRM_TIMEOUT_SECS:.0f} s and were retried."
            if theirs.retries or ours.retries
            else "."
        ),
    ]


ORACLE_GOAL = 50


def indexer_rows(runs: dict[Node, OnNode]) -> list[str]:
    r = indexer_bench.run_sqlite()
    c = {node: run.catch_up for node, run in runs.items()}

    def cells(cell: Callable[[indexer_bench.NodeCatchUp], str]) -> str:
        return " | ".join(cell(c[node]) for node in NODES)

    ours, theirs = c[Node.OURS], c[Node.VALIDATOR]
    return [
        f"## Indexer: events into SQLite (goal >= {INDEXER_GOAL:,} events/s)",
        "",
        f"{r.transactions} transactions of {indexer_bench.READINGS_PER_TX} ReadingAccepted events each (the "
        "oracle's batch size; plus "
        f"{indexer_bench.METERS} registrations): {r.events} events, no RPC (`bench/indexer_bench.py`).",
        "",
        "| path | rate | goal |",
        "|---|---|---|",
        f"| decode only | {r.decode_eps:,.0f} events/s | |",
        f"| ingest: decode + store (pages of {indexer_bench.STORE_PAGE} tx) | {r.ingest_eps:,.0f} events/s "
        f"| >= {INDEXER_GOAL:,} events/s |",
        f"| catch-up: list, fetch, decode, store, checkpoint | {r.catch_up_eps or 0:,.0f} events/s "
        f"| >= {INDEXER_GOAL:,} events/s |",
        f"| the same transactions again (idempotent skip) | {r.replay_tps:,.0f} tx/s | |",
        "",
        "The same catch-up through each node's JSON-RPC (`getSignaturesForAddress`, `getTransaction` at "
        "`confirmed`): both programs'",
        "whole history after the oracle run above (market setup, readings, settlements), into a fresh "
        "SQLite file.",
        "",
        *_header("catch-up from the node"),
        f"| transactions indexed | {cells(lambda x: str(x.transactions))} | |",
        f"| events stored | {cells(lambda x: str(x.events))} | |",
        f"| readings stored | {cells(lambda x: str(x.readings))} | all on chain |",
        f"| rate | {cells(lambda x: f'{x.eps:,.0f} events/s ({x.tps:,.0f} tx/s)')} "
        f"| >= {INDEXER_GOAL:,} events/s |",
        "",
        f"What our node saves or costs: catch-up from it runs at {versus(ours.eps, theirs.eps)} the "
        "validator's events/s (the no-RPC catch-up above is the same code with the node taken out). "
        "The histories differ in their settlements only: the worker settles its meters periodically "
        "while it runs, and its run on the validator is longer.",
        "",
        _catch_up_verdict(r.catch_up_eps or 0.0, ours.eps, theirs.eps),
    ]


def _catch_up_verdict(offline_eps: float, ours_eps: float, theirs_eps: float) -> str:
    """Against the goal: met or missed by how much, and why through a node."""
    missed = INDEXER_GOAL - offline_eps
    offline = "met" if missed <= 0 else f"missed by {missed:,.0f} events/s"
    best = max(ours_eps, theirs_eps)
    through = (
        "met"
        if best >= INDEXER_GOAL
        else f"missed by {INDEXER_GOAL - best:,.0f} events/s (at best {best:,.0f}): every transaction is one "
        f"`getTransaction` round trip over HTTP ({FETCH_CONCURRENCY} at a time) and this history has about "
        "five events per transaction, so the nodes' answer time bounds the rate, not the indexer"
    )
    return f"Against the goal: catch-up without RPC {offline}; through a node {through}."


INDEXER_GOAL = 5_000


def main() -> None:
    sections = [build_times, node_throughput, compute_units, oracle_and_indexer]
    lines = [
        "# Benchmark results",
        "",
        f"Written by `make bench` on {dt.date.today().isoformat()}; {platform.machine()}, "
        f"Python {platform.python_version()}, 2 cores expected (see README).",
        "",
    ]
    for section in sections:
        print(f"bench: {section.__name__} ...", file=sys.stderr, flush=True)
        rows = section()
        print("\n".join(rows), flush=True)
        lines += [*rows, ""]
    RESULTS.parent.mkdir(exist_ok=True)
    RESULTS.write_text("\n".join(lines))
    print(f"bench: wrote {RESULTS.relative_to(REPO)}", file=sys.stderr)


if __name__ == "__main__":
    main()
