"""History gaps: parts of a program's history the RPC node had pruned before the indexer read them.

Every RPC node prunes: ``solana-test-validator`` keeps a few hundred slots by default, most RPC nodes a
few days. When the indexer was stopped (or the program idle while the indexer was down) for longer
than that, the node no longer has the history between the indexer's checkpoint and the oldest slot it
still serves. Catch-up notices (the node answers -32020 for the checkpoint signature, or its first
available block is past the checkpoint), and a gap is recorded when it cannot prove that nothing is
missing: the program's history was accounted for up to ``checkpoints.covered_slot`` and the node's
now starts later than the slot after it.

A gap is one ``history_gaps`` row plus one ``alerts`` row (``kind = history_gap``) and one WARNING,
committed together with ``covered_slot`` moved to the slot before the node's history, so a restart
neither forgets the gap nor reports it twice. Indexing goes on from what the node serves. A gap is
closed (``resolved_at`` on both rows) once its transactions were fetched from an archive node, see
:mod:`solgrid.indexer.archive`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from solgrid.indexer.models import Alert, HistoryGap
from solgrid.indexer.store import Store

GAP_ALERT = "history_gap"


@dataclass(frozen=True)
class FoundGap:
    """A gap as catch-up finds it: the program's history after ``after_slot`` (None: from its first
    transaction) and before ``before_slot`` is not served by ``rpc_url``."""

    program: str
    after_slot: int | None
    after_signature: str | None
    before_slot: int
    before_signature: str | None
    rpc_url: str

    def message(self) -> str:
        if self.after_slot is None:
            start = f"history of {self.program} before slot {self.before_slot} is missing"
            missed = f"slots before {self.before_slot}"
        else:
            checkpoint = "" if self.after_signature is None else f" (checkpoint {self.after_signature})"
            start = (
                f"history of {self.program} between slot {self.after_slot}{checkpoint} and slot "
                f"{self.before_slot} is missing"
            )
            missed = f"slots {self.after_slot + 1}..{self.before_slot - 1}"
        return (
            f"{start}: {self.rpc_url} serves it only from slot {self.before_slot}, so transactions of the "
            f"program in {missed} may be missing from the database; indexing resumes from slot "
            f"{self.before_slot} (an archive node given with --archive-url backfills the gap)"
        )


async def record_gap(session: AsyncSession, store: Store, gap: FoundGap) -> HistoryGap:
    """Writes the gap, its alert and the program's coverage up to it, in ``session``'s transaction."""
    alert = Alert(signature=gap.after_signature, kind=GAP_ALERT, message=gap.message())
    session.add(alert)
    await session.flush()
    row = HistoryGap(
        program=gap.program,
        after_slot=gap.after_slot,
        after_signature=gap.after_signature,
        before_slot=gap.before_slot,
        before_signature=gap.before_signature,
        rpc_url=gap.rpc_url,
        alert_id=alert.id,
    )
    session.add(row)
    await store.cover(session, gap.program, gap.before_slot - 1)
    await session.flush()
    return row


async def open_gaps(sessions: async_sessionmaker[AsyncSession], programs: Sequence[str]) -> list[HistoryGap]:
    """The gaps of ``programs`` not backfilled yet, oldest first."""
    async with sessions() as session:
        rows = await session.scalars(
            select(HistoryGap)
            .where(HistoryGap.program.in_(list(programs)), HistoryGap.resolved_at.is_(None))
            .order_by(HistoryGap.id)
        )
        return list(rows)


async def resolve_gap(session: AsyncSession, gap: HistoryGap, archive_url: str, backfilled: int) -> None:
    """Closes ``gap`` and its alert (in ``session``'s transaction)."""
    await session.execute(
        update(HistoryGap)
        .where(HistoryGap.id == gap.id)
        .values(resolved_at=func.now(), resolved_by=archive_url, backfilled=backfilled)
    )
    if gap.alert_id is not None:
        await session.execute(update(Alert).where(Alert.id == gap.alert_id).values(resolved_at=func.now()))


def describe(gap: HistoryGap) -> str:
    """One line naming a recorded gap (for logs and the CLI)."""
    after = "the program's first transaction" if gap.after_slot is None else f"slot {gap.after_slot}"
    return f"gap {gap.id} of {gap.program}: after {after}, before slot {gap.before_slot}"
