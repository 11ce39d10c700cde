"""``make bench``: measure, print and record SolGrid's speed and size numbers in ``bench/results.md``.

- build time of every program from clean (a copy of the workspace with an empty target directory,
  including ``-Zbuild-std``), after a one-file edit, and with nothing changed; the .so sizes;
- local-node throughput of simple SOL transfers sent through JSON-RPC by concurrent clients;
- compute units per instruction, measured in LiteSVM;
- oracle worker readings/s through the local node;
- indexer ingest into SQLite (decode + store, and the whole catch-up path).

Goals (from the issues) are printed next to the numbers; they are targets to watch, not assertions.
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
from pathlib import Path

from solgrid.build.pipeline import Builder, discover_programs
from solgrid.build.toolchain import Toolchain
from solgrid.localnet import bench as node_bench

sys.path.insert(0, str(Path(__file__).parent))
import energy_token_cu  # sibling scripts of this directory
import indexer_bench
import oracle_bench
import registry_cu

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


def node_throughput() -> list[str]:
    rows = [
        "## Local node: SOL transfers through JSON-RPC (goal >= 500 tx/s)",
        "",
        "The node runs as its own process; clients are solana-py AsyncClients, preflight on.",
        "",
        "| clients x in flight | transfers | sent tx/s | confirmed tx/s |",
        "|---|---|---|---|",
    ]
    confirmed: dict[str, float] = {}
    for clients, in_flight in ((1, 1), (4, 2), (8, 4)):
        r = asyncio.run(node_bench.run(None, clients=clients, transactions=2000, in_flight=in_flight))
        rows.append(
            f"| {clients} x {in_flight} | {r.transactions} | {r.send_tps:.0f} | {r.confirmed_tps:.0f} |"
        )
        confirmed[f"{clients} x {in_flight}"] = r.confirmed_tps
    best = max(confirmed, key=confirmed.__getitem__)
    verdict = "met" if confirmed[best] >= TPS_GOAL else "not met"
    rows += [
        "",
        f"Against the goal (confirmed, the node's capacity): {confirmed[best]:.0f} tx/s with {best} "
        f"({verdict}); one client waiting for each transaction: {confirmed['1 x 1']:.0f} tx/s.",
    ]
    return rows


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


def indexer_ingest() -> list[str]:
    r = indexer_bench.run_sqlite()
    return [
        "## Indexer: events into SQLite (goal >= 5,000 events/s)",
        "",
        f"{r.transactions} transactions of {indexer_bench.READINGS_PER_TX} ReadingAccepted events each (the "
        "oracle's batch size; plus "
        f"{indexer_bench.METERS} registrations): {r.events} events, no RPC (`bench/indexer_bench.py`).",
        "",
        "| path | rate |",
        "|---|---|",
        f"| decode only | {r.decode_eps:,.0f} events/s |",
        f"| ingest: decode + store (pages of {indexer_bench.STORE_PAGE} tx) | {r.ingest_eps:,.0f} events/s |",
        f"| catch-up: list, fetch, decode, store, checkpoint | {r.catch_up_eps or 0:,.0f} events/s |",
        f"| the same transactions again (idempotent skip) | {r.replay_tps:,.0f} tx/s |",
    ]


def oracle_throughput() -> list[str]:
    r = asyncio.run(oracle_bench.bench(meters=12, windows=50, lanes=4))
    return [
        "## Oracle worker through the local node (goal >= 50 readings/s)",
        "",
        f"{r.readings} simulated readings of {r.meters} meters signed by their device keys, {r.lanes} lanes,",
        "batches of 6 in v0 transactions, the node as its own process (`bench/oracle_bench.py`).",
        "",
        "| measure | value |",
        "|---|---|",
        f"| transactions | {r.transactions} |",
        f"| submission (send to confirmation) | {r.submit_rate:.0f} readings/s |",
        f"| whole run (lookup tables, submission, settlement) | {r.overall_rate:.0f} readings/s |",
        f"| readings recorded on-chain | {r.on_chain} of {r.readings} |",
    ]


def main() -> None:
    sections = [build_times, node_throughput, compute_units, oracle_throughput, indexer_ingest]
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
