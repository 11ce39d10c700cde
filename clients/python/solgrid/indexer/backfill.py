"""Catch-up: index a program's history from its checkpoint up to the chain's newest signature.

The checkpoint is a signature of the program's history such that every transaction up to it is
stored *and* lies in a finalized slot, so nothing older than it can still appear. Catch-up lists the
signatures newer than it (``getSignaturesForAddress`` ``until=checkpoint``, paging with ``before``),
skips the ones already stored, and walks the rest oldest first in pages, fetching each with
``getTransaction``. A page commits together with the checkpoint move; if a transaction cannot be
fetched yet (the node does not have it, or the request failed) the walk stops *before* it, so the
checkpoint never moves past a hole: the next catch-up starts again from there.

Why the checkpoint trails at the finalized slot when reading at ``confirmed``: a transaction can
become visible at ``confirmed`` in a slot *older* than transactions already indexed (the cluster
switches to a fork that was confirmed late). Had the checkpoint moved to the newest indexed
signature, ``until=checkpoint`` would never list it again. Holding the checkpoint at the newest
stored signature whose slot was finalized *before* the listing began means every catch-up re-lists
the short not-yet-final tail (about 32 slots on a real cluster); signatures already stored are
skipped without a fetch, and a late one is indexed then. Slots at or below a finalized slot are
complete, so nothing can appear behind the checkpoint. At ``finalized`` commitment everything listed
is final and the checkpoint simply follows the walk.

A hole that never fills (the node lists a signature but keeps answering ``getTransaction`` with
nothing, e.g. pruned history, or keeps failing the request) would hold the program back silently.
:class:`Holes` counts the catch-ups that stopped at each signature; when one reaches
``alert_after`` a WARNING is logged and an ``alerts`` row (``kind = "unfetchable"``) is written, once
per signature. The checkpoint still never moves past it.

Everything the live subscription sees is indexed through this same path, which is why a reconnect or
a restart needs no special case: they just run catch-up.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from solgrid.indexer.chain import ChainReader, SignatureInfo
from solgrid.indexer.models import Checkpoint
from solgrid.indexer.store import FetchedTransaction, Store, StoredEvent

log = logging.getLogger(__name__)

SIGNATURE_PAGE = 1000
STORE_PAGE = 200
FETCH_CONCURRENCY = 16
UNFETCHABLE_AFTER = 10
"""Catch-ups stopped by the same signature before it is reported as unfetchable."""

Publish = Callable[[Sequence[StoredEvent]], Awaitable[None]]


@dataclass
class Holes:
    """Per signature, how many catch-ups in a row stopped because it could not be fetched."""

    alert_after: int = UNFETCHABLE_AFTER
    attempts: dict[str, int] = field(default_factory=dict)

    def missed(self, signature: str) -> bool:
        """Counts one more stop at ``signature``; True when the count reaches ``alert_after``."""
        count = self.attempts.get(signature, 0) + 1
        self.attempts[signature] = count
        return count == self.alert_after

    def fetched(self, signature: str) -> None:
        self.attempts.pop(signature, None)


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


def next_checkpoint(walked: Sequence[SignatureInfo], final: int | None) -> SignatureInfo | None:
    """The newest of ``walked`` (a contiguous, stored, oldest-first run) that is in a final slot."""
    for info in reversed(walked):
        if final is None or info.slot <= final:
            return info
    return None


async def catch_up(
    chain: ChainReader,
    sessions: async_sessionmaker[AsyncSession],
    store: Store,
    program: str,
    publish: Publish | None = None,
    holes: Holes | None = None,
) -> int:
    """Indexes ``program``'s pending history; returns how many transactions it newly stored. Stops
    early (checkpoint left at the last contiguous, final transaction) when one cannot be fetched, and
    counts that stop in ``holes``."""
    final = await chain.final_slot()  # before listing: every slot <= final is complete in the list
    checkpoint = await checkpoint_of(sessions, program)
    pending = await pending_signatures(chain, program, checkpoint.signature if checkpoint else None)
    async with sessions() as session:
        known = await store.indexed(session, [info.signature for info in pending])
    stored_count = 0
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
        wanted = [info for info in page if info.signature not in known]
        fetched = dict(zip(wanted, await asyncio.gather(*(fetch(info) for info in wanted)), strict=True))
        walked: list[SignatureInfo] = []
        new: list[FetchedTransaction] = []
        for info in page:
            if info.signature not in known:
                tx = fetched[info]
                if tx is None:
                    break
                if holes is not None:
                    holes.fetched(info.signature)
                new.append(tx)
            walked.append(info)
        moved = next_checkpoint(walked, final)
        if new or moved is not None:
            async with sessions() as session, session.begin():
                target = None if moved is None else (program, moved.signature, moved.slot)
                stored = await store.store(session, new, target)
            stored_count += len(new)
            if publish is not None and stored:
                await publish(stored)
        if len(walked) < len(page):
            log.info("catch-up of %s stopped at a transaction not available yet; will retry", program)
            if holes is not None and holes.missed(page[len(walked)].signature):
                await _report_unfetchable(sessions, store, program, page[len(walked)], holes.alert_after)
            break
    if stored_count:
        log.info("indexed %d new transaction(s) of %s", stored_count, program)
    return stored_count


async def _report_unfetchable(
    sessions: async_sessionmaker[AsyncSession], store: Store, program: str, hole: SignatureInfo, attempts: int
) -> None:
    message = (
        f"transaction {hole.signature} (slot {hole.slot}) of {program} could not be fetched in {attempts} "
        "catch-ups in a row; the program's checkpoint stays before it until it can be"
    )
    log.warning("%s", message)
    async with sessions() as session, session.begin():
        await store.alert_once(session, hole.signature, "unfetchable", message)
