"""Running the indexer in-process for a test, and waiting on its database (bounded waits, not timing)."""

from __future__ import annotations

import asyncio
import contextlib
import random
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlalchemy.orm import InstrumentedAttribute

from solgrid.indexer.chain import RpcChainReader
from solgrid.indexer.db import create_engine, sessions
from solgrid.indexer.decode import EventDecoder
from solgrid.indexer.models import Base, Certificate, Event, Transaction
from solgrid.indexer.service import Indexer, IndexerConfig, default_coders
from solgrid.indexer.store import FetchedTransaction, Store, StoredEvent

WAIT = 60.0


@contextlib.asynccontextmanager
async def running(config: IndexerConfig) -> AsyncIterator[Indexer]:
    service = Indexer(config)
    task = asyncio.create_task(service.run())
    try:
        ready = asyncio.create_task(service.ready.wait())
        done, _ = await asyncio.wait({task, ready}, timeout=WAIT, return_when=asyncio.FIRST_COMPLETED)
        if task in done:
            task.result()
        assert ready in done, "the indexer did not finish its first catch-up"
        yield service
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task


async def eventually(check: Callable[[], Awaitable[bool]], what: str, timeout: float = WAIT) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not await check():
        if loop.time() > deadline:
            raise AssertionError(f"gave up waiting for {what}")
        await asyncio.sleep(0.1)


class DbView:
    """Read-only queries on an indexer database."""

    def __init__(self, url: str) -> None:
        self.engine = create_engine(url)
        self.sessions = sessions(self.engine)

    async def close(self) -> None:
        await self.engine.dispose()

    async def signatures(self) -> set[str]:
        async with self.sessions() as s:
            return set(await s.scalars(select(Transaction.signature)))

    async def has_all(self, signatures: list[str]) -> bool:
        try:
            return set(signatures) <= await self.signatures()
        except Exception:  # the schema may not exist yet while the indexer starts
            return False

    async def counts(self) -> dict[str, int]:
        async with self.sessions() as s:
            return {
                t.name: int(await s.scalar(select(func.count()).select_from(t)) or 0)
                for t in Base.metadata.sorted_tables
            }

    async def events(self, **where: Any) -> list[Event]:
        async with self.sessions() as s:
            query = select(Event).order_by(Event.id)
            for key, value in where.items():
                query = query.where(getattr(Event, key) == value)
            return list(await s.scalars(query))

    async def rows(self, model: Any, *conditions: Any) -> list[Any]:
        async with self.sessions() as s:
            return list(await s.scalars(select(model).where(*conditions)))

    async def session(self) -> AsyncSession:
        return self.sessions()


async def counts(db: async_sessionmaker[AsyncSession]) -> dict[str, int]:
    """Rows per table."""
    async with db() as s:
        return {
            t.name: int(await s.scalar(select(func.count()).select_from(t)) or 0)
            for t in Base.metadata.sorted_tables
        }


async def store(
    db: async_sessionmaker[AsyncSession], store_: Store, *txs: FetchedTransaction
) -> list[StoredEvent]:
    """``store_.store`` of ``txs`` in one committed database transaction."""
    async with db() as s, s.begin():
        return await store_.store(s, list(txs))


PAGE = 10
"""Transactions per database transaction when a test stores a history as catch-up pages it."""


async def store_pages(
    db: async_sessionmaker[AsyncSession], txs: Sequence[FetchedTransaction], page: int = PAGE
) -> list[StoredEvent]:
    """``txs`` stored in chain order by a fresh :class:`Store`, ``page`` per database transaction; the
    events it stored."""
    indexer = Store(EventDecoder(default_coders()))
    stored: list[StoredEvent] = []
    for start in range(0, len(txs), page):
        stored += await store(db, indexer, *txs[start : start + page])
    return stored


async def store_out_of_order(
    db: async_sessionmaker[AsyncSession], txs: Sequence[FetchedTransaction], order: str
) -> None:
    """``txs`` stored one per database transaction, newest first (``reversed``) or in a fixed shuffle
    (``shuffled``): a history gap backfilled late stores older transactions after newer ones."""
    ordered = list(reversed(txs))
    if order == "shuffled":
        random.Random(14).shuffle(ordered)
    indexer = Store(EventDecoder(default_coders()))
    for tx in ordered:
        await store(db, indexer, tx)


async def certificate_rows(
    db: async_sessionmaker[AsyncSession], *columns: InstrumentedAttribute[Any]
) -> dict[str, tuple[Any, ...]]:
    """Each indexed certificate's ``columns``, by address."""
    async with db() as s:
        rows = await s.execute(select(Certificate.address, *columns))
        return {row[0]: tuple(row[1:]) for row in rows}


def certificate_frames(event: StoredEvent) -> list[tuple[Any, ...]]:
    """The ``certificates`` feed frames of ``event``: address, change, status, effective status, related."""
    return [
        (f["address"], f["change"], f["status"], f["effective_status"], f["related"])
        for f in event.certificates
    ]


async def chain_events(rpc_url: str, signatures: list[str]) -> list[tuple[str, int, int, str]]:
    """The events the chain's own logs hold for ``signatures``, decoded independently of the store."""
    decoder = EventDecoder(default_coders())
    found = []
    async with RpcChainReader(rpc_url) as chain:
        for sig in signatures:
            tx = await chain.transaction(sig)
            assert tx is not None
            found += [
                (sig, e.instruction_index, e.event_index, e.name)
                for e in decoder.decode_logs(tx.logs, tx.instruction_programs).events
            ]
    return found


async def indexed_events(view: DbView, signatures: list[str]) -> list[tuple[str, int, int, str]]:
    wanted = set(signatures)
    return [
        (e.signature, e.instruction_index, e.event_index, e.name)
        for e in await view.events()
        if e.signature in wanted
    ]
