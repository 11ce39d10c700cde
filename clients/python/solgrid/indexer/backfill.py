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

Pruned history: nodes forget old slots. When the node no longer has the checkpoint's transaction
(``until`` answers -32020, or its first available block is past the checkpoint's slot), catch-up
lists what the node still serves (from its newest signature down, without ``until``) back to the
slot up to which the program's history is accounted for (``checkpoints.covered_slot``, which every
complete catch-up raises to the slot before the finalized one it read before listing). If the
listing gets there, nothing was lost (the program was merely idle while its checkpoint aged out).
If it does not, the slots in between are a gap: recorded, alerted and logged once
(:mod:`solgrid.indexer.gaps`), and indexing goes on from what the node serves.

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

from solgrid.indexer.chain import ChainReader, HistoryUnavailable, SignatureInfo
from solgrid.indexer.gaps import FoundGap, record_gap
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


async def served_signatures(
    chain: ChainReader, program: str, down_to: int | None
) -> tuple[list[SignatureInfo], bool]:
    """The signatures of ``program`` the node still serves in slots after ``down_to`` (None: all of
    them), oldest first, and whether the listing reached ``down_to`` (else the node's history ended
    first: pruned)."""
    newest_first: list[SignatureInfo] = []
    before: str | None = None
    while True:
        try:
            page = await chain.signatures(program, until=None, before=before, limit=SIGNATURE_PAGE)
        except HistoryUnavailable:  # the page's last signature was pruned meanwhile: history ends there
            return newest_first[::-1], False
        for info in page:
            if down_to is not None and info.slot <= down_to:
                return newest_first[::-1], True
            newest_first.append(info)
        if len(page) < SIGNATURE_PAGE:
            return newest_first[::-1], False
        before = page[-1].signature


async def listing(
    chain: ChainReader,
    sessions: async_sessionmaker[AsyncSession],
    store: Store,
    program: str,
    checkpoint: Checkpoint | None,
    node: str,
) -> list[SignatureInfo]:
    """What catch-up walks: the signatures after the checkpoint, oldest first. When the node no longer
    has the checkpoint, what it serves after the covered slot, recording a gap if its history does
    not reach back to it."""
    covered = None if checkpoint is None else checkpoint.covered_slot
    until = None if checkpoint is None else checkpoint.signature
    if checkpoint is not None and until is not None:
        first = await chain.first_available_slot()
        if checkpoint.slot is None or checkpoint.slot >= first:
            try:
                return await pending_signatures(chain, program, until)
            except HistoryUnavailable as e:
                log.debug("the checkpoint of %s is no longer served (%s)", program, e)
    served, reached = await served_signatures(chain, program, covered)
    if reached:
        return served
    first = await chain.first_available_slot()  # after listing: history may have shrunk meanwhile
    if first <= (-1 if covered is None else covered) + 1:
        return served
    kept = [info for info in served if info.slot >= first]  # the rest is pruned by now: in the gap
    gap = FoundGap(
        program=program,
        after_slot=covered,
        after_signature=until,
        before_slot=first,
        before_signature=kept[0].signature if kept else None,
        rpc_url=node,
    )
    async with sessions() as session, session.begin():
        await record_gap(session, store, gap)
    log.warning("%s", gap.message())
    return kept


async def fetch_all(
    chain: ChainReader, wanted: Sequence[SignatureInfo]
) -> dict[SignatureInfo, FetchedTransaction | None]:
    """``getTransaction`` of each of ``wanted`` (16 at a time); None where the node has nothing or the
    request failed."""
    limit = asyncio.Semaphore(FETCH_CONCURRENCY)

    async def fetch(info: SignatureInfo) -> FetchedTransaction | None:
        async with limit:
            try:
                return await chain.transaction(info.signature)
            except Exception as e:  # a failed fetch is a hole like a missing transaction
                log.warning("getTransaction %s failed: %s", info.signature, e)
                return None

    return dict(zip(wanted, await asyncio.gather(*(fetch(info) for info in wanted)), strict=True))


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
    node: str = "the RPC node",
) -> int:
    """Indexes ``program``'s pending history; returns how many transactions it newly stored. Stops
    early (checkpoint left at the last contiguous, final transaction) when one cannot be fetched, and
    counts that stop in ``holes``. ``node`` names the RPC node in a gap's alert."""
    final = await chain.final_slot()  # before listing: every slot <= final is complete in the list
    # The newest slot certainly complete when listing starts. One back from the finalized slot: a node
    # with instant finality (the local node) reports the slot it is still filling at every commitment.
    complete_slot = (final if final is not None else await chain.finalized_slot()) - 1
    checkpoint = await checkpoint_of(sessions, program)
    pending = await listing(chain, sessions, store, program, checkpoint, node)
    async with sessions() as session:
        known = await store.indexed(session, [info.signature for info in pending])
    stored_count = 0
    complete = True
    for start in range(0, len(pending), STORE_PAGE):
        page = pending[start : start + STORE_PAGE]
        fetched = await fetch_all(chain, [info for info in page if info.signature not in known])
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
            complete = False
            log.info("catch-up of %s stopped at a transaction not available yet; will retry", program)
            if holes is not None and holes.missed(page[len(walked)].signature):
                await _report_unfetchable(sessions, store, program, page[len(walked)], holes.alert_after)
            break
    if complete and (checkpoint is None or checkpoint.covered_slot < complete_slot):
        async with sessions() as session, session.begin():
            await store.cover(session, program, complete_slot)
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
