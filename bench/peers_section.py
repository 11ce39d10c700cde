"""The ``peers`` section of ``bench/results.md`` (``bench/run.py peers``): SolGrid's order book side by side
with Manifest and Phoenix, every book built by SolGrid's offline pipeline, deployed through
BPFLoaderUpgradeable in LiteSVM and driven through one workload (``peers/drivers/workload.py``) in one run,
every book measured at the workload's one book depth (``BOOK_DEPTH`` resting asks: :func:`book_depth`
checks it).

:func:`run` measures SolGrid's trading program (``target/deploy/trading.so``, ``peers/drivers/solgrid.py``)
and every peer whose workspace (``peers/<name>/Cargo.toml``) and driver (``peers/drivers/<name>.py``) are
both there: the peer is built by :class:`~solgrid.build.std_build.StdBuilder` into the cargo target
directory the tests share (``target/std-fixture``: std is built once), then measured. A peer without its
workspace or its driver is named in the section as not measured (the peers arrive one by one).
:func:`rows` renders the table (one column per book, issue 12's goals beside SolGrid), each book's notes
and licence (``peers/README.md``), and a paragraph per row where SolGrid is behind a peer: the numbers,
then why, from :data:`WHY_BEHIND` (written where the code explains it; a marked place otherwise).
"""

from __future__ import annotations

import importlib
import statistics
import sys
import textwrap
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType

from trading_goals import CANCEL_GOAL, FILL_GOAL, FILLS_GOAL, PLACE_GOAL, RENT_GOAL_SOL

from solgrid.build.std_build import StdBuilder, manifest_programs
from solgrid.build.toolchain import Toolchain

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))  # peers/ is a package at the repository's root

from peers.drivers import solgrid as solgrid_driver  # noqa: E402
from peers.drivers.workload import BOOK_DEPTH, BookMeasurements  # noqa: E402

HEADING = "## Side by side: SolGrid's order book, Manifest and Phoenix"
PEERS_DIR = REPO / "peers"
TARGET_DIR = REPO / "target" / "std-fixture"
"""The cargo target directory the std-target tests build in (std is built once for all of them)."""
LAMPORTS_PER_SOL = 10**9
INTRO = (
    "`bench/peers_section.py`: one workload (`peers/drivers/workload.py`) on every book in one run, at "
    "one book depth, D = {depth:,} resting asks: a market of a base and a quote token, a maker and a "
    "taker with their deposits; the maker fills the book with D asks of one lot at increasing prices, one"
    " per transaction (the first on an empty book); a taker's buy limit order from its deposited funds "
    "crosses the n best of them (the book refilled after each); one more ask is placed on the D-deep book"
    " and cancelled. The most fills one transaction takes is a separate probe, on a book as deep as it "
    "needs. CU are the measured instruction's own (the transaction's ComputeBudget instruction "
    "subtracted); bytes are the serialized transaction, fee payer and one signer."
)
SOLGRID_LICENCE = "Apache-2.0"


@dataclass(frozen=True)
class Peer:
    name: str
    """The workspace's directory under ``peers/`` and the driver's module under ``peers/drivers/``."""
    title: str
    """As ``peers/README.md`` names it."""


PEERS = (Peer("manifest", "Manifest"), Peer("phoenix", "Phoenix"))


@dataclass(frozen=True)
class Measured:
    book: BookMeasurements
    licence: str
    built: str
    """How its program was built this run (the pipeline, the time, cached or not)."""


@dataclass(frozen=True)
class Absent:
    title: str
    why: str


@dataclass(frozen=True)
class Row:
    key: str
    """Names the row in :data:`WHY_BEHIND`."""
    label: str
    value: Callable[[BookMeasurements], float | None]
    """The number compared (None: not measured for this book)."""
    cell: Callable[[BookMeasurements], str]
    goal: str = ""
    """Issue 12's goal for SolGrid, with its verdict filled in by :func:`rows`."""
    met: Callable[[float], bool] | None = None
    higher_is_better: bool = False
    unit: str = "CU"


WHY_BEHIND: dict[str, str] = {
    "rent": (
        "SolGrid's market header holds seven 32-byte keys (both mints, both vaults, the registry's Zone "
        "and program, the fee recipient), the zone id, fees, per-epoch order limits and the call "
        "auction's epoch fields, all in the account `create_market` creates; both vaults are plain SPL "
        "Token accounts (165 bytes each), as a peer's are. Less rent would take a smaller header (the "
        "auction fields and volume counters in an account of their own, created only for periodic "
        "markets) or vaults shared between markets."
    ),
    "place_first": (
        "The market's first order finds no order slot: SolGrid's market is created with none and grows "
        "by 8 slots when an order finds no free one, a System transfer by CPI (1,000 CU of invocation) "
        "and a resize, paid by that order's trader. Every placement also emits its OrderPlaced event by "
        "a self-CPI (1,000 CU of invocation plus the handler) and reads the registry's Config, the "
        "trader's User and the Zone (a verified prosumer of the market's zone, no pause). Creating the "
        "market with a few order slots would move the growth out of the first order into create_market."
    ),
    "place_later": (
        "Every placement emits its OrderPlaced event by a self-CPI (1,000 CU of invocation plus the "
        "handler) and reads the registry's Config, the trader's User and the Zone to check the trader is "
        "a verified prosumer of the market's zone and nothing is paused; a placement that finds no free "
        "order slot also grows the market by 8 (a System transfer CPI). Logging the event with "
        "`sol_log_data` instead would save the invocation but let a node truncate the event."
    ),
    "place_depth": (
        "SolGrid keeps each side of the book in one sorted array (crates/order-book/src/book.rs): an ask "
        "at the deepest price moves every better ask one slot (a memmove of 56-byte orders, 1 CU per 250 "
        "bytes), and when the market has no free order slot the placement also grows it by 8 (a System "
        "transfer CPI, 1,000 CU of invocation, and the asks' region moved to the account's new end); every "
        "placement emits its OrderPlaced event by a self-CPI (1,000 CU of invocation plus the handler). "
        "Less would take a structure that inserts without moving (a tree or linked price levels, as the "
        "peers have), markets created with free slots, or the event in the logs."
    ),
    "cancel": (
        "SolGrid's cancel emits its OrderCancelled event by a self-CPI: 1,000 CU of invocation plus the "
        "handler, most of the instruction; and each side of the book is one sorted array "
        "(crates/order-book/src/book.rs), so removing the deepest ask moves every better ask one slot "
        "(a memmove of 56-byte orders, 1 CU per 250 bytes). Logging the event with `sol_log_data` would "
        "save the invocation but logs may be truncated, which the indexer cannot tolerate; a structure "
        "that removes without moving (a tree, as the peers have) would save the memmove."
    ),
    "bytes_place": (
        "place_order passes the registry's Config, the trader's User and the Zone (the registry check "
        "that only verified prosumers of the market's zone trade), the System Program (the market "
        "grows by CPI when no order slot is free), and the event authority and the program for the "
        "self-CPI event: 32 bytes of key each. Fewer would take an address lookup table (a v0 "
        "transaction) or checks against state copied into the market."
    ),
    "bytes_take": (
        "A taker's order is a place_order: the same accounts as a resting one (the registry's Config, "
        "User and Zone, the System Program, the event authority and the program), 32 bytes of key each; "
        "it does not grow with its fills (every seat is in the market account)."
    ),
    "bytes_cancel": (
        "cancel_order passes the event authority and the program for its self-CPI event beside the "
        "trader and the market: 64 bytes of keys an event in the logs would not need."
    ),
    "max_fills": (
        "SolGrid stops an order at MAX_MATCHES fills and removals (crates/order-book/src/lib.rs), far "
        "below what 1.4M CU would allow: the one OrderPlaced event lists every fill, and the event is "
        "one self-CPI whose instruction data may not exceed 10 KiB (programs/trading/src/events.rs, "
        "MAX_EVENT_DATA; the IDL test sizes the largest event against it). More fills per transaction "
        "would take smaller fill records in the event, or events split over several self-CPIs."
    ),
}
"""Why SolGrid is behind a peer on a row (key: :attr:`Row.key`), where the code explains it. Rows not here
are marked for the lead to explain once the numbers are in."""


def _later(b: BookMeasurements) -> list[int]:
    return b.place_resting_cu[1:]


def _placements(b: BookMeasurements) -> str:
    later = _later(b)
    if not later:
        return f"{b.place_resting_cu[0]:,} (no later one)"
    return (
        f"{min(later):,} to {max(later):,}, median {statistics.median(later):,.0f} "
        f"({len(later):,} placements)"
    )


def _rent(b: BookMeasurements) -> str:
    return f"{b.rent_lamports:,} lamports ({b.rent_lamports / LAMPORTS_PER_SOL:.5f} SOL)"


def _bytes(kind: str) -> Callable[[BookMeasurements], float | None]:
    return lambda b: b.tx_bytes.get(kind)


def _take(n: int) -> Callable[[BookMeasurements], float | None]:
    return lambda b: b.take_cu.get(n)


def _cu(value: float | None) -> str:
    return "" if value is None else f"{value:,.0f}"


def _number(value: Callable[[BookMeasurements], float | None]) -> Callable[[BookMeasurements], str]:
    return lambda b: _cu(value(b))


def book_depth(books: list[BookMeasurements]) -> int:
    """The one book depth every book was measured at (the workload's ``BOOK_DEPTH``)."""
    depths = {b.book: b.depth for b in books}
    if set(depths.values()) != {BOOK_DEPTH}:
        raise ValueError(f"every book must be measured at the workload's depth {BOOK_DEPTH}: {depths}")
    return BOOK_DEPTH


def table_rows(books: list[BookMeasurements]) -> list[Row]:
    """The rows of the table, the taker rows those of every fill count some book measured."""
    depth = book_depth(books)
    counts = sorted({n for b in books for n in b.take_cu})
    return [
        Row(
            "rent",
            "rent to create a market",
            lambda b: b.rent_lamports,
            _rent,
            f"<= {RENT_GOAL_SOL} SOL",
            lambda v: v <= RENT_GOAL_SOL * LAMPORTS_PER_SOL,
            unit="lamports",
        ),
        Row(
            "place_first",
            "CU, resting order: the market's first (empty book)",
            lambda b: b.place_resting_cu[0],
            lambda b: f"{b.place_resting_cu[0]:,}",
            f"<= {PLACE_GOAL:,} CU",
            lambda v: v <= PLACE_GOAL,
        ),
        Row(
            "place_later",
            f"CU, resting order: filling the book, on 1 to {depth - 1:,} resting asks (the median compared)",
            lambda b: statistics.median(_later(b)) if _later(b) else None,
            _placements,
            f"<= {PLACE_GOAL:,} CU",
            None,
        ),
        Row(
            "place_depth",
            f"CU, resting order on {depth:,} resting asks (the deepest price)",
            lambda b: b.place_at_depth_cu,
            lambda b: f"{b.place_at_depth_cu:,}",
            f"<= {PLACE_GOAL:,} CU",
            lambda v: v <= PLACE_GOAL,
        ),
        *(
            Row(
                f"take_{n}", f"CU, taker crossing the {n} best of {depth:,} asks", _take(n), _number(_take(n))
            )
            for n in counts
        ),
        Row(
            "marginal_fill",
            "marginal CU per fill (slope from the fewest to the most fills measured)",
            lambda b: b.marginal_fill_cu() if len(b.take_cu) > 1 else None,
            lambda b: _cu(b.marginal_fill_cu()) if len(b.take_cu) > 1 else "",
            f"<= {FILL_GOAL:,} CU",
            lambda v: v <= FILL_GOAL,
        ),
        Row(
            "max_fills",
            "most fills in one transaction (what binds)",
            lambda b: b.max_fills,
            lambda b: f"{b.max_fills:,}: {b.max_fills_limit}",
            f">= {FILLS_GOAL}",
            lambda v: v >= FILLS_GOAL,
            higher_is_better=True,
            unit="fills",
        ),
        Row(
            "cancel",
            f"CU, cancel of that order ({depth:,} others resting)",
            lambda b: b.cancel_cu,
            lambda b: f"{b.cancel_cu:,}",
            f"<= {CANCEL_GOAL:,} CU",
            lambda v: v <= CANCEL_GOAL,
        ),
        *(
            Row(
                f"bytes_{kind}",
                f"transaction bytes: {kind}" + (" (one fill)" if kind == "take" else ""),
                _bytes(kind),
                _number(_bytes(kind)),
                unit="bytes",
            )
            for kind in ("place", "take", "cancel")
        ),
    ]


def _goal_cell(row: Row, solgrid: BookMeasurements) -> str:
    if not row.goal:
        return ""
    if row.key == "place_later":
        later = _later(solgrid)
        within = sum(cu <= PLACE_GOAL for cu in later)
        if within == len(later):
            return row.goal + " (met)"
        return row.goal + f" (met by {within:,} of {len(later):,}: see SolGrid's notes)"
    value = row.value(solgrid)
    if row.met is None or value is None:
        return row.goal
    if row.met(value):
        return row.goal + " (met)"
    return row.goal + (" (missed: see SolGrid's notes)" if row.key == "place_depth" else " (missed)")


def behind(row: Row, solgrid: BookMeasurements, peers: list[BookMeasurements]) -> list[str]:
    """One line per peer that does better than SolGrid on ``row``: both numbers and the difference."""
    ours = row.value(solgrid)
    if ours is None:
        return []
    lines = []
    for peer in peers:
        theirs = row.value(peer)
        if theirs is None or theirs == ours:
            continue
        if (theirs > ours) != row.higher_is_better:
            continue
        gap = abs(ours - theirs)
        ratio = f", {ours / theirs:.2f}x" if theirs and not row.higher_is_better else ""
        lines.append(
            f"{peer.book} {theirs:,.0f} {row.unit}, SolGrid {ours:,.0f}: SolGrid "
            f"{'short by' if row.higher_is_better else 'over by'} {gap:,.0f} {row.unit}{ratio}."
        )
    return lines


def rows(measured: list[Measured], absent: list[Absent]) -> list[str]:
    """The section: the table, the books' notes and licences, then where SolGrid is behind and why."""
    books = [m.book for m in measured]
    solgrid, peers = books[0], books[1:]
    table = table_rows(books)
    head = ["measure", solgrid.book, "goal (issue 12)", *(b.book for b in peers)]
    lines = [
        f"{HEADING} (LiteSVM on agave 4.1.2, every program built by SolGrid's offline pipeline and deployed "
        "through BPFLoaderUpgradeable)",
        "",
        *textwrap.wrap(INTRO.format(depth=book_depth(books)), 124),
        "",
        "| " + " | ".join(head) + " |",
        "|" + "---|" * len(head),
    ]
    for row in table:
        cells = [row.label, row.cell(solgrid), _goal_cell(row, solgrid), *(row.cell(b) for b in peers)]
        lines.append("| " + " | ".join(cells) + " |")
    lines += [
        "| " + " | ".join(["licence", measured[0].licence, "", *(m.licence for m in measured[1:])]) + " |",
        "| " + " | ".join(["program", measured[0].built, "", *(m.built for m in measured[1:])]) + " |",
    ]
    if absent:
        lines += ["", "Not measured this run: " + "; ".join(f"{a.title} ({a.why})" for a in absent) + "."]
    for book in books:
        lines += ["", f"{book.book}, as driven:", ""]
        lines += [f"- {note}" for note in book.notes] or ["- as the workload says"]
    behind_rows = [(row, behind(row, solgrid, peers)) for row in table]
    behind_rows = [(row, found) for row, found in behind_rows if found]
    lines += ["", "Where SolGrid is behind a peer:", ""]
    if not peers:
        lines.append("No peer was measured this run: nothing to compare.")
    elif not behind_rows:
        lines.append("Nowhere: SolGrid does as well as or better than every peer measured on every row.")
    for row, found in behind_rows:
        why = WHY_BEHIND.get(row.key)
        if not why:
            raise ValueError(
                f"SolGrid is behind a peer on {row.label!r} and WHY_BEHIND[{row.key!r}] "
                "in bench/peers_section.py does not say why: write it"
            )
        lines += [f"**{row.label}** (`{row.key}`): " + " ".join(found), "", f"Why: {why}", ""]
    while lines[-1] == "":
        lines.pop()
    return lines


def licences() -> dict[str, str]:
    """The licence of each peer, by the name its row of ``peers/README.md``'s table starts with."""
    found: dict[str, str] = {}
    for line in (PEERS_DIR / "README.md").read_text().splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if line.startswith("|") and len(cells) == 3 and cells[0] not in ("peer", "---"):
            found[cells[0]] = cells[2]
    return found


def driver(peer: Peer) -> ModuleType | None:
    """``peers.drivers.<name>``, or None while it is not there."""
    module = f"peers.drivers.{peer.name}"
    try:
        return importlib.import_module(module)
    except ModuleNotFoundError as missing:
        if missing.name == module:
            return None
        raise


def build_peer(peer: Peer, manifest: Path) -> tuple[bytes, str]:
    """The peer's program built by ``StdBuilder`` in the shared target directory: its ELF and how long."""
    toolchain = Toolchain.locate()
    workspace = manifest_programs(toolchain, manifest)
    if len(workspace.programs) != 1:
        names = ", ".join(p.name for p in workspace.programs)
        raise RuntimeError(f"{manifest}: one program crate expected, found {names}")
    [program] = workspace.programs
    builder = StdBuilder(workspace.root, toolchain, target_dir=TARGET_DIR)
    started = time.monotonic()
    result = builder.build(program)
    secs = time.monotonic() - started
    how = "cached" if result.cached else "built"
    return result.so_path.read_bytes(), f"{how} in {secs:.0f} s ({result.size:,}-byte ELF)"


def measure_peer(peer: Peer, licence: str) -> Measured | Absent:
    manifest = PEERS_DIR / peer.name / "Cargo.toml"
    if not manifest.is_file():
        return Absent(peer.title, f"no workspace `peers/{peer.name}/Cargo.toml` yet")
    module = driver(peer)
    if module is None:
        return Absent(peer.title, f"no driver `peers/drivers/{peer.name}.py` yet")
    elf, built = build_peer(peer, manifest)
    print(f"bench: peers: {peer.title} {built}", file=sys.stderr, flush=True)
    book = module.measure(elf)
    if not isinstance(book, BookMeasurements):
        raise TypeError(f"peers.drivers.{peer.name}.measure returned {type(book).__name__}")
    return Measured(book, licence, built)


def run() -> list[str]:
    deploy_dir = REPO / "target" / "deploy"
    trading = (deploy_dir / "trading.so").read_bytes()
    solgrid = solgrid_driver.measure(trading, (deploy_dir / "registry.so").read_bytes())
    measured = [Measured(solgrid, SOLGRID_LICENCE, f"`solgrid build` ({len(trading):,}-byte ELF)")]
    absent: list[Absent] = []
    known = licences()
    for peer in PEERS:
        outcome = measure_peer(peer, known.get(peer.title, "not in peers/README.md"))
        if isinstance(outcome, Measured):
            measured.append(outcome)
        else:
            absent.append(outcome)
    return rows(measured, absent)
