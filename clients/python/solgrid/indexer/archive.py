"""Backfilling recorded history gaps from an archive node (an RPC endpoint with a longer history).

For each open gap (:mod:`solgrid.indexer.gaps`) the archive lists the program's signatures of the gap:
``getSignaturesForAddress`` with ``before`` = the oldest signature the primary node still listed and
``until`` = the checkpoint the gap starts after; when there are none, or the archive does not have them,
from the archive's newest signature down to the gap's first slot, keeping the slots before the gap's
end. An archive whose first available block is after the gap's start cannot fill it. Each is fetched
with ``getTransaction`` and stored through the usual idempotent path, oldest first, in pages; already
stored ones are skipped. When every transaction of the gap is stored, the gap and its alert are marked
resolved. If the archive does not have the gap's history either, or cannot return one of its
transactions, the gap stays open and the reason is raised as :class:`ArchiveIncomplete` (nothing stored
is undone).

The archive is read at ``finalized``: a gap lies below the primary's first available block, and nodes
prune only rooted slots.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from solgrid.indexer.backfill import SIGNATURE_PAGE, STORE_PAGE, Publish, fetch_all
from solgrid.indexer.chain import ChainError, ChainReader, HistoryUnavailable, SignatureInfo
from solgrid.indexer.gaps import describe, open_gaps, resolve_gap
from solgrid.indexer.models import HistoryGap
from solgrid.indexer.store import Store

log = logging.getLogger(__name__)


class ArchiveIncomplete(ChainError):
    """The archive node cannot provide all of a gap's history."""


async def gap_signatures(archive: ChainReader, gap: HistoryGap) -> list[SignatureInfo]:
    """The program's signatures in ``gap`` as the archive lists them, oldest first.

    The gap's signatures bound the listing (``before``, ``until``) when the archive has them; an
    archive that lags behind the primary node may not have the ``before`` one yet, and the checkpoint
    may be a signature only the pruning node ever listed. Then the listing runs from the archive's
    newest signature down, bounded by the gap's slots."""
    first = await archive.first_available_slot()
    needed = 0 if gap.after_slot is None else gap.after_slot + 1
    if first > needed:
        raise ArchiveIncomplete(
            f"the archive does not have this history either: it serves it from slot {first}, "
            f"the gap starts at slot {needed}"
        )
    try:
        return await _listed(archive, gap, gap.after_signature, gap.before_signature)
    except HistoryUnavailable:
        pass
    try:
        return await _listed(archive, gap, None, None)
    except HistoryUnavailable as e:  # pruned while it was being listed
        raise ArchiveIncomplete(f"the archive does not have this history either ({e})") from None


async def _listed(
    archive: ChainReader, gap: HistoryGap, until: str | None, end: str | None
) -> list[SignatureInfo]:
    newest_first: list[SignatureInfo] = []
    before = end
    while True:
        page = await archive.signatures(gap.program, until=until, before=before, limit=SIGNATURE_PAGE)
        for info in page:
            if gap.after_slot is not None and info.slot <= gap.after_slot:
                return newest_first[::-1]
            if end is None and info.slot >= gap.before_slot:
                continue  # served by the primary node: indexed by catch-up
            newest_first.append(info)
        if len(page) < SIGNATURE_PAGE:
            return newest_first[::-1]
        before = page[-1].signature


async def backfill_gap(
    archive: ChainReader,
    sessions: async_sessionmaker[AsyncSession],
    store: Store,
    gap: HistoryGap,
    archive_url: str,
    publish: Publish | None = None,
) -> int:
    """Stores ``gap``'s transactions from the archive and resolves the gap; returns how many it newly
    stored. Raises :class:`ArchiveIncomplete` (gap left open) when the archive lacks some of them."""
    listed = await gap_signatures(archive, gap)
    async with sessions() as session:
        known = await store.indexed(session, [info.signature for info in listed])
    stored_count = 0
    for start in range(0, len(listed), STORE_PAGE):
        page = [info for info in listed[start : start + STORE_PAGE] if info.signature not in known]
        fetched = await fetch_all(archive, page)
        found = [tx for tx in fetched.values() if tx is not None]
        if found:
            async with sessions() as session, session.begin():
                stored = await store.store(session, found)
            stored_count += len(found)
            if publish is not None and stored:
                await publish(stored)
        missing = [info.signature for info, tx in fetched.items() if tx is None]
        if missing:
            raise ArchiveIncomplete(
                f"the archive lists {len(missing)} transaction(s) of the gap it cannot return "
                f"(first: {missing[0]})"
            )
    async with sessions() as session, session.begin():
        await resolve_gap(session, gap, archive_url, len(listed))
    log.info(
        "%s backfilled from %s: %d transaction(s) in the gap, %d newly stored",
        describe(gap),
        archive_url,
        len(listed),
        stored_count,
    )
    return stored_count


async def backfill_open_gaps(
    archive: ChainReader,
    sessions: async_sessionmaker[AsyncSession],
    store: Store,
    programs: Sequence[str],
    archive_url: str,
    publish: Publish | None = None,
) -> tuple[int, list[tuple[HistoryGap, str]]]:
    """Backfills every open gap of ``programs``; returns the transactions newly stored and the gaps
    left open with the reason."""
    stored = 0
    failed: list[tuple[HistoryGap, str]] = []
    for gap in await open_gaps(sessions, programs):
        try:
            stored += await backfill_gap(archive, sessions, store, gap, archive_url, publish)
        except ChainError as e:
            failed.append((gap, str(e)))
    return stored, failed
