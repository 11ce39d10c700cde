"""Indexer ingest speed: decoded events per second written into SQLite (goal >= 5,000 events/s).

Transactions are shaped like the oracle's real batches: one top-level ``submit_readings`` per
transaction with its runtime lines and, by default, 6 ReadingAccepted events (the oracle worker's
``MAX_BATCH``: at most 6 device-signed readings fit one v0 transaction; ``--events-per-tx`` for other
sizes, up to the program's 16), built from the registry IDL's event layout. Per-transaction costs
(the ``transactions`` row, the already-indexed check, the fetch) are therefore spread over as many
events as real traffic has. The measured path is the indexer's own: decode
the logs (:class:`EventDecoder`), then :class:`Store` writes transactions, the events audit log,
meter_readings and meter totals, plus the checkpoint, one database transaction per page of
``STORE_PAGE`` transactions (as catch-up does). A second run goes through :func:`catch_up` itself
(listing, the already-indexed check, concurrent fetches, checkpoint) from an in-memory chain into a
fresh database. No RPC is involved there; the numbers are printed, not asserted.

:func:`from_node` measures the same catch-up through a node's JSON-RPC (``getSignaturesForAddress``,
``getTransaction``, at ``confirmed`` as the indexer service reads): both programs' whole history on a
node, into a fresh database. ``make bench`` runs it on each node after the oracle bench has written its
history there (``bench/run.py``).

    .venv/bin/python bench/indexer_bench.py [--transactions 1000] [--events-per-tx 6] [--db URL]
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from solders.keypair import Keypair
from solders.pubkey import Pubkey
from sqlalchemy import func, select

from solgrid.indexer.backfill import STORE_PAGE as STORE_PAGE
from solgrid.indexer.backfill import catch_up
from solgrid.indexer.chain import RpcChainReader, SignatureInfo
from solgrid.indexer.db import create_engine, migrate, sessions
from solgrid.indexer.decode import EventDecoder
from solgrid.indexer.models import Event, MeterReading
from solgrid.indexer.store import FetchedTransaction, Store
from solgrid.sdk.energy_token import EnergyTokenClient
from solgrid.sdk.registry import RegistryClient

READINGS_PER_TX = 6
"""ReadingAccepted events per transaction by default: the oracle's largest batch."""
METERS = 64


def reading_line(registry: RegistryClient, meter: Pubkey, window: int, total: int) -> str:
    events = registry.coder.coder.events
    disc = next(d for d, n in events.discriminators.items() if n == "ReadingAccepted")
    fields = {
        "meter": meter,
        "window_start": window,
        "window_end": window + 600,
        "production_wh": 500,
        "consumption_wh": 120,
        "produced_wh": total * 500,
        "consumed_wh": total * 120,
    }
    return (
        "Program data: " + base64.b64encode(disc + events.layouts["ReadingAccepted"].build(fields)).decode()
    )


def transactions(count: int, per_tx: int = READINGS_PER_TX) -> list[FetchedTransaction]:
    registry = RegistryClient()
    program = registry.program_id
    meters = [Pubkey.new_unique() for _ in range(METERS)]
    windows = dict.fromkeys(meters, 0)
    events = registry.coder.coder.events
    disc = next(d for d, n in events.discriminators.items() if n == "MeterRegistered")
    registrations = [f"Program {program} invoke [1]"]
    for meter in meters:  # the meters exist first, as on chain, so the totals UPDATEs hit real rows
        fields = {
            "meter": meter,
            "serial": list(str(meter)[:32].encode().ljust(32, b"\0")),
            "owner": Pubkey.new_unique(),
            "zone_id": 1,
            "device_key": list(bytes(Pubkey.new_unique())),
            "source": registry.coder.unit_variant("EnergySource", 0),
            "capacity_w": 8000,
            "timestamp": 1,
        }
        raw = disc + events.layouts["MeterRegistered"].build(fields)
        registrations.append("Program data: " + base64.b64encode(raw).decode())
    registrations.append(f"Program {program} success")
    out = [FetchedTransaction(str(Keypair().sign_message(b"setup")), 999, None, True, registrations)]
    for n in range(count):
        logs = [f"Program {program} invoke [1]", "Program log: Instruction: SubmitReadings"]
        for i in range(per_tx):
            meter = meters[(n * per_tx + i) % METERS]
            windows[meter] += 1
            logs.append(reading_line(registry, meter, windows[meter] * 600, windows[meter]))
        logs += [f"Program {program} consumed 95000 of 200000 compute units", f"Program {program} success"]
        signature = str(Keypair().sign_message(n.to_bytes(8, "little")))
        out.append(FetchedTransaction(signature, 1000 + n // 4, 1_700_000_000 + n, True, logs))
    return out


class MemoryChain:
    """A ChainReader over a fixed history (oldest first), every slot final."""

    def __init__(self, txs: list[FetchedTransaction]) -> None:
        self.newest_first = [SignatureInfo(t.signature, t.slot) for t in reversed(txs)]
        self.position = {info.signature: n for n, info in enumerate(self.newest_first)}
        self.by_signature = {t.signature: t for t in txs}

    async def signatures(
        self, program: str, *, until: str | None, before: str | None, limit: int
    ) -> list[SignatureInfo]:
        start = 0 if before is None else self.position[before] + 1
        stop = len(self.newest_first) if until is None else self.position[until]
        return self.newest_first[start:stop][:limit]

    async def transaction(self, signature: str) -> FetchedTransaction | None:
        return self.by_signature.get(signature)

    async def final_slot(self) -> int | None:
        return None

    async def finalized_slot(self) -> int:
        return self.newest_first[0].slot if self.newest_first else 0

    async def first_available_slot(self) -> int:
        return 0


async def through_catch_up(txs: list[FetchedTransaction], db_url: str, decoder: EventDecoder) -> float:
    """Seconds for :func:`catch_up` to index ``txs`` into a fresh database at ``db_url``."""
    engine = create_engine(db_url)
    await migrate(engine)
    started = time.perf_counter()
    indexed = await catch_up(
        MemoryChain(txs), sessions(engine), Store(decoder), str(RegistryClient().program_id)
    )
    elapsed = time.perf_counter() - started
    await engine.dispose()
    assert indexed == len(txs)
    return elapsed


@dataclass(frozen=True)
class IngestResult:
    transactions: int
    per_tx: int
    events: int
    backend: str
    decode_eps: float
    ingest_eps: float
    replay_tps: float
    catch_up_eps: float | None

    def lines(self) -> list[str]:
        out = [
            f"indexer bench: {self.transactions} transactions x {self.per_tx} ReadingAccepted + {METERS} "
            f"meter registrations = {self.events} events, pages of {STORE_PAGE} tx, {self.backend}",
            f"  decode only:               {self.decode_eps:10,.0f} events/s",
            f"  ingest (decode + store):   {self.ingest_eps:10,.0f} events/s  (goal >= 5,000)",
            f"  replay of the same txs:    {self.replay_tps:10,.0f} tx/s skipped (idempotence check)",
        ]
        if self.catch_up_eps is not None:
            out.append(
                f"  catch-up (full path):      {self.catch_up_eps:10,.0f} events/s  (list, fetch, store)"
            )
        return out


async def run(
    count: int, db_url: str, catch_up_db_url: str | None, per_tx: int = READINGS_PER_TX
) -> IngestResult:
    txs = transactions(count, per_tx)
    events = count * per_tx + METERS
    decoder = EventDecoder([RegistryClient().coder, EnergyTokenClient().coder])

    started = time.perf_counter()
    decoded = sum(len(decoder.decode_logs(t.logs).events) for t in txs)
    decode_secs = time.perf_counter() - started
    assert decoded == events

    engine = create_engine(db_url)
    await migrate(engine)
    factory = sessions(engine)
    store = Store(decoder)
    program = str(RegistryClient().program_id)
    started = time.perf_counter()
    for start in range(0, len(txs), STORE_PAGE):
        page = txs[start : start + STORE_PAGE]
        async with factory() as session, session.begin():
            await store.store(session, page, (program, page[-1].signature, page[-1].slot))
    ingest_secs = time.perf_counter() - started

    started = time.perf_counter()
    async with factory() as session, session.begin():
        again = await store.store(session, txs)
    replay_secs = time.perf_counter() - started
    await engine.dispose()
    assert again == []

    catch_up_eps = None
    if catch_up_db_url is not None:
        catch_up_eps = events / await through_catch_up(txs, catch_up_db_url, decoder)
    return IngestResult(
        transactions=count,
        per_tx=per_tx,
        events=events,
        backend=db_url.split(":")[0],
        decode_eps=events / decode_secs,
        ingest_eps=events / ingest_secs,
        replay_tps=len(txs) / replay_secs,
        catch_up_eps=catch_up_eps,
    )


@dataclass(frozen=True)
class NodeCatchUp:
    transactions: int
    events: int
    readings: int
    """meter_readings rows stored."""
    seconds: float

    @property
    def eps(self) -> float:
        return self.events / self.seconds

    @property
    def tps(self) -> float:
        return self.transactions / self.seconds


async def from_node(rpc_url: str, db_url: str) -> NodeCatchUp:
    """Catch-up of both programs' history on the node at ``rpc_url`` into a fresh database at ``db_url``:
    list, fetch, decode, store, checkpoint, as the indexer service runs it."""
    decoder = EventDecoder([RegistryClient().coder, EnergyTokenClient().coder])
    engine = create_engine(db_url)
    await migrate(engine)
    factory, store = sessions(engine), Store(decoder)
    async with RpcChainReader(rpc_url, "confirmed") as chain:
        started = time.perf_counter()
        stored = 0
        for program in decoder.program_ids:
            stored += await catch_up(chain, factory, store, str(program), node=rpc_url)
        elapsed = time.perf_counter() - started
    async with factory() as session:
        events = await session.scalar(select(func.count()).select_from(Event)) or 0
        readings = await session.scalar(select(func.count()).select_from(MeterReading)) or 0
    await engine.dispose()
    return NodeCatchUp(stored, events, readings, elapsed)


def run_sqlite(count: int = 1000, per_tx: int = READINGS_PER_TX) -> IngestResult:
    """The benchmark on fresh SQLite files (what ``make bench`` records)."""
    with tempfile.TemporaryDirectory(prefix="solgrid-indexer-bench-") as tmp:
        url = f"sqlite+aiosqlite:///{Path(tmp) / 'bench.db'}"
        second = f"sqlite+aiosqlite:///{Path(tmp) / 'catch-up.db'}"
        return asyncio.run(run(count, url, second, per_tx))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--transactions", type=int, default=1000)
    parser.add_argument(
        "--events-per-tx",
        type=int,
        choices=range(1, 17),
        default=READINGS_PER_TX,
        metavar="1..16",
        help=f"ReadingAccepted events per transaction (default {READINGS_PER_TX}, the oracle's batch)",
    )
    parser.add_argument("--db", default=None, help="database URL (default: a fresh SQLite file)")
    parser.add_argument("--url", help="catch up from the node at URL instead (both programs' history)")
    args = parser.parse_args()
    per_tx = args.events_per_tx
    if args.url is not None:
        with tempfile.TemporaryDirectory(prefix="solgrid-indexer-bench-") as tmp:
            db = args.db or f"sqlite+aiosqlite:///{Path(tmp) / 'node.db'}"
            r = asyncio.run(from_node(args.url, db))
        print(f"catch-up from {args.url}: {r.transactions} tx, {r.events} events, {r.readings} readings")
        print(f"  {r.eps:,.0f} events/s, {r.tps:,.0f} tx/s ({r.seconds:.2f} s)")
        return
    if args.db is not None:
        result = asyncio.run(run(args.transactions, args.db, None, per_tx))
    else:
        result = run_sqlite(args.transactions, per_tx)
    print("\n".join(result.lines()))


if __name__ == "__main__":
    main()
