"""An indexer database of ``--events`` indexed events (default 1,000,000) for the API benchmark
(``bench/api_bench.py``), built through the indexer's own write path and cached.

The history is synthetic but has the layout the programs emit: registry events in ``Program data:`` log
lines (zones, meters, readings in batches of 6 as the oracle sends them, settlements as
``settle_and_mint`` runs them: the registry's MeterSettled under energy_token's GridMinted), and trading
events as self-CPI inner instructions (``tests/indexer/trading_events.py``, the indexer tests' encoder of
``idl/trading.json``). Each continuous market keeps a few hundred resting orders: makers place and cancel
limit orders around a drifting mid price, takers send IOC orders that fill up to 4 makers, so ``orders``,
``order_states``, ``trades`` and ``price_history`` grow as they would. Every transaction goes through
:class:`EventDecoder` and :class:`Store` in pages of ``STORE_PAGE`` transactions, one database
transaction per page with the checkpoint, as catch-up stores them.

The database is cached under ``<solgrid cache>/bench/`` keyed by the parameters and a hash of the
sources that decide its content (this file, the encoder it uses, the migrations, the indexer's store
and projections), so a second ``make bench`` reuses it; a ``.json`` beside it records how long its build
took.

    .venv/bin/python bench/api_world.py [--events 1000000] [--rebuild]
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import dataclasses
import hashlib
import json
import random
import sqlite3
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from solders.pubkey import Pubkey

from solgrid.cache import cache_dir
from solgrid.indexer.backfill import STORE_PAGE
from solgrid.indexer.db import create_engine, migrate, sessions
from solgrid.indexer.decode import EventDecoder
from solgrid.indexer.store import FetchedTransaction, Store
from solgrid.sdk.energy_token import EnergyTokenClient
from solgrid.sdk.registry import RegistryClient
from solgrid.sdk.trading import TradingClient

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "tests" / "indexer"))  # the indexer tests' trading event encoder
from trading_events import Book, trading_tx  # noqa: E402

SOURCES = (
    "bench/api_world.py",
    "tests/indexer/trading_events.py",
    "tests/indexer/synthetic.py",
    "migrations/versions",
    "clients/python/solgrid/indexer/store.py",
    "clients/python/solgrid/indexer/trading.py",
    "clients/python/solgrid/indexer/models.py",
)
"""What decides the database's content: a change to any of these builds it again."""
START = 1_780_000_000
"""The history's first on-chain time (unix seconds, 2026-05)."""
SECS_PER_TX = 4
TABLES = (
    "transactions",
    "events",
    "grid_zones",
    "meters",
    "meter_readings",
    "settlements",
    "token_mints",
    "markets",
    "orders",
    "order_states",
    "trades",
    "price_history",
)


@dataclass(frozen=True)
class Params:
    """What the generated history looks like."""

    events: int = 1_000_000
    zones: int = 4
    markets_per_zone: int = 2
    meters_per_zone: int = 64
    traders_per_zone: int = 200
    resting: int = 300
    """Resting orders a market keeps (about: makers top it up, takers and cancels take from it)."""
    trading_share: float = 0.6
    """Share of the events that are trading events; readings and settlements share the rest 3:1."""
    seed: int = 17

    def key(self) -> str:
        digest = hashlib.sha256(json.dumps(dataclasses.asdict(self), sort_keys=True).encode())
        for source in SOURCES:
            path = REPO / source
            for file in sorted(path.rglob("*.py")) if path.is_dir() else [path]:
                digest.update(file.relative_to(REPO).as_posix().encode() + file.read_bytes())
        return digest.hexdigest()[:16]


@dataclass
class _Market:
    book: Book
    traders: list[str]
    mid: int
    levels: dict[str, dict[int, list[int]]] = field(default_factory=lambda: {"Bid": {}, "Ask": {}})
    """Side -> price -> ids of the orders resting there, oldest first."""
    orders: dict[int, list[Any]] = field(default_factory=dict)
    """Resting order id -> [trader, side, price, remaining lots]."""
    ids: list[int] = field(default_factory=list)
    """The resting order ids (for a random pick)."""

    def best(self, side: str) -> int | None:
        prices = self.levels[side]
        if not prices:
            return None
        return max(prices) if side == "Bid" else min(prices)

    def rest(self, order_id: int, trader: str, side: str, price: int, lots: int) -> None:
        self.orders[order_id] = [trader, side, price, lots]
        self.levels[side].setdefault(price, []).append(order_id)
        self.ids.append(order_id)

    def remove(self, order_id: int) -> None:
        _, side, price, _ = self.orders.pop(order_id)
        level = self.levels[side][price]
        level.remove(order_id)
        if not level:
            del self.levels[side][price]
        self.ids.remove(order_id)


class History:
    """The transactions of the world, oldest first (a generator: a million events do not sit in memory)."""

    def __init__(self, params: Params) -> None:
        self.p = params
        self.rng = random.Random(params.seed)
        self.registry = RegistryClient()
        self.energy_token = EnergyTokenClient()
        self.slot = 1_000
        self.events = 0

    def _clock(self) -> tuple[int, int]:
        self.slot += 1
        return self.slot, START + (self.slot - 1_000) * SECS_PER_TX

    def _next_time(self) -> int:
        """The on-chain time of the next transaction."""
        return START + (self.slot + 1 - 1_000) * SECS_PER_TX

    def _signature(self) -> str:
        return str(Pubkey.new_unique()) + str(Pubkey.new_unique())[:40]

    def _data(self, coder: Any, name: str, fields: dict[str, Any]) -> str:
        events = coder.coder.events
        disc = next(d for d, n in events.discriminators.items() if n == name)
        return "Program data: " + base64.b64encode(disc + events.layouts[name].build(fields)).decode()

    def _logs_tx(self, program: Any, lines: list[str], count: int) -> FetchedTransaction:
        slot, now = self._clock()
        self.events += count
        logs = [f"Program {program} invoke [1]", *lines, f"Program {program} success"]
        return FetchedTransaction(self._signature(), slot, now, True, logs)

    def _trading(
        self, *instructions: list[tuple[str, dict[str, Any]]], quote: str = ""
    ) -> FetchedTransaction:
        slot, now = self._clock()
        self.events += sum(len(i) for i in instructions)
        decimals = ((quote, 6),) if quote else ()
        tx: FetchedTransaction = trading_tx(*instructions, slot=slot, decimals=decimals)
        return dataclasses.replace(tx, block_time=now)

    def __iter__(self) -> Iterator[FetchedTransaction]:
        p, rng, registry = self.p, self.rng, self.registry
        reg = registry.program_id
        meters: list[tuple[str, str]] = []
        markets: list[_Market] = []
        for zone in range(1, p.zones + 1):
            now = self._next_time()
            name = list(f"zone {zone}".encode().ljust(32, b"\0"))
            created = {"zone": Pubkey.new_unique(), "zone_id": zone, "name": name, "max_capacity_kw": 5_000}
            zone_line = self._data(registry.coder, "ZoneCreated", {**created, "timestamp": now})
            yield self._logs_tx(reg, [zone_line], 1)
            lines = []
            for _ in range(p.meters_per_zone):
                meter_key, owner_key = Pubkey.new_unique(), Pubkey.new_unique()
                meters.append((str(meter_key), str(owner_key)))
                fields = {
                    "meter": meter_key,
                    "serial": list(str(meter_key)[:32].encode().ljust(32, b"\0")),
                    "owner": owner_key,
                    "zone_id": zone,
                    "device_key": list(bytes(Pubkey.new_unique())),
                    "source": registry.coder.unit_variant("EnergySource", 0),
                    "capacity_w": 8_000,
                    "timestamp": now,
                }
                lines.append(self._data(registry.coder, "MeterRegistered", fields))
            yield self._logs_tx(reg, lines, len(lines))
            traders = [str(Pubkey.new_unique()) for _ in range(p.traders_per_zone)]
            for _ in range(p.markets_per_zone):
                market = _Market(Book(zone_id=zone), traders, mid=rng.randint(150, 250))
                markets.append(market)
                yield self._trading([market.book.created(now)], quote=market.book.quote_mint)
        totals = {meter: [0, 0, 0, 0] for meter, _ in meters}  # produced, consumed, settled, windows
        owners = dict(meters)
        readings_share = (1 - p.trading_share) * 3 / 4
        while self.events < p.events:
            roll = rng.random()
            if roll < p.trading_share:
                yield self._trading(*self._trading_instructions(rng.choice(markets)))
            elif roll < p.trading_share + readings_share / 6:  # 6 readings a transaction
                lines = []
                for meter, _ in rng.sample(meters, 6):
                    t = totals[meter]
                    t[3] += 1
                    produced, consumed = rng.randint(0, 900), rng.randint(50, 400)
                    t[0] += produced
                    t[1] += consumed
                    start = START - 86_400 + t[3] * 600
                    fields = {
                        "meter": Pubkey.from_string(meter),
                        "window_start": start,
                        "window_end": start + 600,
                        "production_wh": produced,
                        "consumption_wh": consumed,
                        "produced_wh": t[0],
                        "consumed_wh": t[1],
                    }
                    lines.append(self._data(registry.coder, "ReadingAccepted", fields))
                lines += ["Program log: readings accepted"]
                yield self._logs_tx(reg, lines, 6)
            elif roll < p.trading_share + readings_share / 6 + (1 - p.trading_share) / 4 / 2:
                meter, _ = rng.choice(meters)
                t = totals[meter]
                amount = t[0] - t[1] - t[2]
                if amount <= 0:
                    continue
                t[2] += amount
                settled = {
                    "meter": Pubkey.from_string(meter),
                    "owner": Pubkey.from_string(owners[meter]),
                    "amount_wh": amount,
                    "settled_wh": t[2],
                }
                minted = {
                    "meter": Pubkey.from_string(meter),
                    "owner": Pubkey.from_string(owners[meter]),
                    "destination": Pubkey.new_unique(),
                    "amount_wh": amount,
                    "amount": amount * 10**6,
                }
                token = self.energy_token.program_id
                lines = [
                    f"Program {reg} invoke [2]",
                    self._data(registry.coder, "MeterSettled", settled),
                    f"Program {reg} success",
                    self._data(self.energy_token.coder, "GridMinted", minted),
                ]
                yield self._logs_tx(token, lines, 2)

    def _trading_instructions(self, m: _Market) -> list[list[tuple[str, dict[str, Any]]]]:
        """One trading transaction on market ``m``: a maker's placement or cancel, or a taker's IOC."""
        rng, book = self.rng, m.book
        now = self._next_time()
        if rng.random() < 0.02:
            m.mid = max(20, m.mid + rng.choice((-1, 1)))
        roll = rng.random()
        if len(m.orders) < m_target(self.p, rng) or roll < 0.4:
            side = rng.choice(("Bid", "Ask"))
            best_other = m.best("Ask" if side == "Bid" else "Bid")
            offset = int(rng.expovariate(1 / 8))
            if side == "Bid":
                price = m.mid - 1 - offset
                price = min(price, best_other - 1) if best_other is not None else price
            else:
                price = m.mid + 1 + offset
                price = max(price, best_other + 1) if best_other is not None else price
            price = max(price, 1)
            lots = rng.randint(1, 50)
            trader = rng.choice(m.traders)
            order_id = book.next_order_id
            expires = now + 400 * 86_400 if rng.random() < 0.05 else 0
            event = book.place(trader, side, price, lots, now, expires_at=expires)
            m.rest(order_id, trader, side, price, lots)
            return [[event]]
        if roll < 0.75:
            order_id = rng.choice(m.ids)
            trader, side, price, lots = m.orders[order_id]
            m.remove(order_id)
            return [[book.cancel(trader, order_id, side, price, lots, now)]]
        side = rng.choice(("Bid", "Ask"))
        other = "Ask" if side == "Bid" else "Bid"
        wanted = rng.randint(1, 60)
        steps: list[dict[str, Any]] = []
        best = m.best(other)
        if best is None:
            return self._trading_instructions(m)
        limit = best
        taker = rng.choice(m.traders)
        while wanted and len(steps) < 4 and (level := m.best(other)) is not None:
            maker_id = m.levels[other][level][0]
            maker, _, _, resting = m.orders[maker_id]
            lots = min(wanted, resting)
            wanted -= lots
            left = resting - lots
            steps.append(book.fill(maker, maker_id, level, lots, left))
            limit = level
            if left:
                m.orders[maker_id][3] = left
            else:
                m.remove(maker_id)
        total = sum(s["Fill"]["lots"] for s in steps) + wanted
        event = book.place(taker, side, limit, total, now, steps, kind="ImmediateOrCancel", rests=False)
        return [[event]]


def m_target(p: Params, rng: random.Random) -> int:
    """The resting orders below which a market's next transaction is a maker's placement."""
    return p.resting - 20 + rng.randint(0, 40)


def decoder() -> EventDecoder:
    return EventDecoder([RegistryClient().coder, EnergyTokenClient().coder, TradingClient().coder])


@dataclass(frozen=True)
class World:
    path: Path
    params: Params
    built_secs: float | None
    """Seconds the build took in this run; None: reused from the cache."""
    rows: dict[str, int]
    recorded_secs: float | None = None
    """Seconds the build took when the cached database was made (its ``.json`` record; None: unknown)."""

    @property
    def url(self) -> str:
        return f"sqlite+aiosqlite:///{self.path}"


async def _build(params: Params, path: Path, progress: bool) -> None:
    engine = create_engine(f"sqlite+aiosqlite:///{path}")
    await migrate(engine)
    factory, store = sessions(engine), Store(decoder())
    page: list[FetchedTransaction] = []
    history = History(params)
    started = last = time.perf_counter()

    async def flush() -> None:
        async with factory() as session, session.begin():
            await store.store(session, page, ("bench", page[-1].signature, page[-1].slot))
        page.clear()

    for tx in history:
        page.append(tx)
        if len(page) == STORE_PAGE:
            await flush()
            if progress and time.perf_counter() - last > 15:
                last = time.perf_counter()
                rate = history.events / (last - started)
                line = f"api world: {history.events:,} events, {rate:,.0f} events/s"
                print(line, file=sys.stderr, flush=True)
    if page:
        await flush()
    await engine.dispose()


def row_counts(path: Path) -> dict[str, int]:
    with sqlite3.connect(f"file:{path}?mode=ro", uri=True) as db:  # never creates a file
        return {table: int(db.execute(f"SELECT COUNT(*) FROM {table}").fetchone()[0]) for table in TABLES}


def world(params: Params | None = None, *, rebuild: bool = False, progress: bool = True) -> World:
    """The cached database for ``params`` (default: :class:`Params`'s), built first when missing (or when
    ``rebuild``)."""
    params = params or Params()
    folder = cache_dir() / "bench"
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"api-world-{params.events}-{params.key()}.db"
    built: float | None = None
    record = path.with_suffix(".json")  # written once the build is complete: the cache's mark
    if rebuild or not path.exists() or not record.is_file():
        partial = path.with_suffix(".partial.db")
        for stale in folder.glob(partial.name + "*"):
            stale.unlink()
        started = time.perf_counter()
        asyncio.run(_build(params, partial, progress))
        built = time.perf_counter() - started
        with sqlite3.connect(partial) as db:
            db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        partial.rename(path)
        made = {
            "built_secs": round(built, 1),
            "built_on": time.strftime("%Y-%m-%d"),
            **dataclasses.asdict(params),
        }
        record.write_text(json.dumps(made, indent=1) + "\n")
    recorded = float(json.loads(record.read_text())["built_secs"])
    return World(path, params, built, row_counts(path), recorded)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=Params.events)
    parser.add_argument("--rebuild", action="store_true", help="build again even when cached")
    args = parser.parse_args()
    w = world(Params(events=args.events), rebuild=args.rebuild)
    how = f"built in {w.built_secs:.1f} s" if w.built_secs is not None else "reused from the cache"
    if w.built_secs is None and w.recorded_secs is not None:
        how += f", built in {w.recorded_secs:.1f} s when made"
    print(f"{w.path} ({how}, {w.path.stat().st_size / 2**20:,.0f} MiB)")
    for table, count in w.rows.items():
        print(f"  {table:16} {count:>10,}")


if __name__ == "__main__":
    main()
