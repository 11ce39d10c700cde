"""Catch-up: index a program's history from its checkpoint up to the chain's newest signature.

The checkpoint is the newest signature of the program's history up to which *every* transaction is
stored. Catch-up lists the signatures newer than it (``getSignaturesForAddress`` ``until=checkpoint``,
paging with ``before``), then walks them oldest first in pages, fetching each with ``getTransaction``.
A page commits together with the checkpoint at its last transaction; if any transaction cannot be
fetched yet (the node does not have it, or the request failed) the walk stops *before* it, so the
checkpoint never moves past a hole: the next catch-up starts again from there. Everything the live
subscription sees is indexed through this same path, which is why a reconnect or a restart needs no
special case: they just run catch-up.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Sequence

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from solgrid.indexer.chain import ChainReader, SignatureInfo
from solgrid.indexer.models import Checkpoint
from solgrid.indexer.store import FetchedTransaction, Store, StoredEvent

log = logging.getLogger(__name__)

SIGNATURE_PAGE = 1000
STORE_PAGE = 200
FETCH_CONCURRENCY = 16

Publish = Callable[[Sequence[StoredEvent]], Awaitable[None]]


async def checkpoint_of(sessions: async_sessionmaker[AsyncSession], program: str) -> Checkpoint | None:
    async with sessions() as session:
        return await session.scalar(select(Checkpoint).where(Checkpoint.program == program))


async def pending_signatures(chain: ChainReader, program: str, until: str | None) -> list[SignatureInfo]:
    """Signatures of ``program`` newer than ``until``, oldest first."""
    newest_first: list[SignatureInfo] = []
    before: str | None = None
    while True:
        page = await chain.signatures(program, until=until, before=before, limit=SIGNATURE_PAGE)
        newest_first.extend(page)
        if len(page) < SIGNATURE_PAGE:
            break
        before = page[-1].signature
    return newest_first[::-1]


async def catch_up(
    chain: ChainReader,
    sessions: async_sessionmaker[AsyncSession],
    store: Store,
    program: str,
    publish: Publish | None = None,
) -> int:
    """Indexes ``program``'s pending history; returns how many transactions were walked. Stops early
    (checkpoint left at the last contiguous transaction) when one cannot be fetched."""
    checkpoint = await checkpoint_of(sessions, program)
    pending = await pending_signatures(chain, program, checkpoint.signature if checkpoint else None)
    walked = 0
    limit = asyncio.Semaphore(FETCH_CONCURRENCY)

    async def fetch(info: SignatureInfo) -> FetchedTransaction | None:
        async with limit:
            try:
                return await chain.transaction(info.signature)
            except Exception as e:  # a failed fetch is a hole like a missing transaction
                log.warning("getTransaction %s failed: %s", info.signature, e)
                return None

    for start in range(0, len(pending), STORE_PAGE):
        page = pending[start : start + STORE_PAGE]
        fetched = await asyncio.gather(*(fetch(info) for info in page))
        contiguous: list[FetchedTransaction] = []
        for tx in fetched:
            if tx is None:
                break
            contiguous.append(tx)
        if contiguous:
            last = contiguous[-1]
            async with sessions() as session, session.begin():
                stored = await store.store(session, contiguous, (program, last.signature, last.slot))
            walked += len(contiguous)
            if publish is not None and stored:
                await publish(stored)
        if len(contiguous) < len(page):
            log.info("catch-up of %s stopped at a transaction not available yet; will retry", program)
            break
    return walked
