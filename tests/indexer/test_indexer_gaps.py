"""History the RPC node pruned before the indexer read it: catch-up detects it, records a gap (alert,
one WARNING, ``history_gaps`` row), resumes from what the node serves, and an archive node fills the gap.

The node here is a :class:`FakeChain` that answers as agave does for pruned history (the same answers
our local node gives with a history limit; end to end on that node: test_indexer_pruned_history.py).
Both backends."""

from __future__ import annotations

import logging

import pytest
from indexer_support import counts
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from synthetic import REG, REGISTRY, TOKEN, FakeChain, reading_tx, registration_logs, tx

from solgrid.indexer import backfill
from solgrid.indexer.archive import ArchiveIncomplete, backfill_gap, backfill_open_gaps
from solgrid.indexer.backfill import catch_up
from solgrid.indexer.decode import EventDecoder
from solgrid.indexer.gaps import GAP_ALERT, open_gaps
from solgrid.indexer.models import Alert, Checkpoint, HistoryGap, Transaction
from solgrid.indexer.store import FetchedTransaction, Store

NODE = "http://primary.example:8899"
ARCHIVE = "http://archive.example:8899"


def store() -> Store:
    return Store(EventDecoder([REGISTRY, TOKEN]))


async def checkpoint(db: async_sessionmaker[AsyncSession]) -> Checkpoint:
    async with db() as session:
        row = await session.get(Checkpoint, REG)
        assert row is not None
        return row


async def gaps(db: async_sessionmaker[AsyncSession]) -> list[HistoryGap]:
    async with db() as session:
        return list(await session.scalars(select(HistoryGap).order_by(HistoryGap.id)))


async def gap_alerts(db: async_sessionmaker[AsyncSession]) -> list[Alert]:
    async with db() as session:
        return list(await session.scalars(select(Alert).where(Alert.kind == GAP_ALERT).order_by(Alert.id)))


async def stored(db: async_sessionmaker[AsyncSession]) -> set[str]:
    async with db() as session:
        return set(await session.scalars(select(Transaction.signature)))


def warnings(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]


async def test_a_pruned_checkpoint_is_a_gap_reported_once_and_indexing_resumes(
    db: async_sessionmaker[AsyncSession], caplog: pytest.LogCaptureFixture
) -> None:
    indexed = [tx(registration_logs(), slot=1), reading_tx(0, 2), reading_tx(1, 3)]
    chain = FakeChain({REG: list(indexed)})
    assert await catch_up(chain, db, store(), REG, node=NODE) == 3
    before = await checkpoint(db)
    assert (before.signature, before.covered_slot) == (indexed[-1].signature, 2)

    # The indexer is stopped; the program goes on, the node prunes slots 0..19.
    missed = [reading_tx(2, 10), reading_tx(3, 15)]
    served = [reading_tx(4, 20), reading_tx(5, 24)]
    chain.history[REG] += missed + served
    chain.first_available = 20

    with caplog.at_level(logging.WARNING):
        assert await catch_up(chain, db, store(), REG, node=NODE) == 2  # a restart: a new Store
        assert await catch_up(chain, db, store(), REG, node=NODE) == 0
    (gap,) = await gaps(db)
    assert (gap.program, gap.after_slot, gap.after_signature) == (REG, 2, indexed[-1].signature)
    assert (gap.before_slot, gap.before_signature) == (20, served[0].signature)
    assert (gap.rpc_url, gap.resolved_at) == (NODE, None)
    (alert,) = await gap_alerts(db)
    assert gap.alert_id == alert.id and alert.signature == indexed[-1].signature
    assert alert.resolved_at is None
    assert f"between slot 2 (checkpoint {indexed[-1].signature}) and slot 20" in alert.message
    assert f"{NODE} serves it only from slot 20" in alert.message
    assert "slots 3..19 may be missing" in alert.message
    assert warnings(caplog) == [alert.message]  # one WARNING line, not one per catch-up
    assert await stored(db) == {t.signature for t in indexed + served}
    after = await checkpoint(db)
    assert (after.signature, after.covered_slot) == (served[-1].signature, 23)

    # Later transactions are indexed as usual, from the new checkpoint.
    chain.history[REG].append(reading_tx(6, 30))
    assert await catch_up(chain, db, store(), REG, node=NODE) == 1
    assert chain.listed_until[-1] == served[-1].signature
    assert len(await gaps(db)) == 1


async def test_an_idle_program_whose_checkpoint_aged_out_has_no_gap(
    db: async_sessionmaker[AsyncSession], caplog: pytest.LogCaptureFixture
) -> None:
    """The indexer ran all along; the program was just quiet longer than the node keeps history."""
    history = [tx(registration_logs(), slot=1), reading_tx(0, 2)]
    chain = FakeChain({REG: history}, final=2)
    assert await catch_up(chain, db, store(), REG, node=NODE) == 2
    for finalized in range(10, 100, 10):  # catch-ups every 10 slots; the node keeps 30
        chain.final = finalized
        chain.first_available = max(0, finalized - 30)
        with caplog.at_level(logging.WARNING):
            assert await catch_up(chain, db, store(), REG, node=NODE) == 0
    assert (await checkpoint(db)).covered_slot == 89
    assert await gaps(db) == [] and await gap_alerts(db) == []
    assert warnings(caplog) == []
    history.append(reading_tx(1, 95))
    chain.final = 100
    assert await catch_up(chain, db, store(), REG, node=NODE) == 1
    assert (await checkpoint(db)).signature == history[-1].signature
    assert await gaps(db) == []


async def test_a_gap_while_the_program_was_quiet_names_the_slots_only(
    db: async_sessionmaker[AsyncSession],
) -> None:
    chain = FakeChain({REG: [tx(registration_logs(), slot=1)]}, final=5)
    assert await catch_up(chain, db, store(), REG, node=NODE) == 1
    chain.final, chain.first_available = 200, 150  # the indexer was away, nothing of the program since
    assert await catch_up(chain, db, store(), REG, node=NODE) == 0
    (gap,) = await gaps(db)
    assert (gap.after_slot, gap.before_slot, gap.before_signature) == (4, 150, None)
    assert (await checkpoint(db)).covered_slot == 199


async def test_a_first_run_on_a_node_without_the_start_of_history_is_a_gap(
    db: async_sessionmaker[AsyncSession],
) -> None:
    served = reading_tx(1, 60)
    chain = FakeChain({REG: [tx(registration_logs(), slot=1), reading_tx(0, 2), served]}, first_available=50)
    assert await catch_up(chain, db, store(), REG, node=NODE) == 1
    (gap,) = await gaps(db)
    assert (gap.after_slot, gap.after_signature, gap.before_slot) == (None, None, 50)
    (alert,) = await gap_alerts(db)
    assert alert.signature is None
    assert alert.message.startswith(f"history of {REG} before slot 50 is missing")
    assert "in slots before 50 may be missing" in alert.message


async def test_a_first_run_on_a_full_history_has_no_gap(db: async_sessionmaker[AsyncSession]) -> None:
    chain = FakeChain({REG: [tx(registration_logs(), slot=1), reading_tx(0, 2)]})
    assert await catch_up(chain, db, store(), REG, node=NODE) == 2
    assert await gaps(db) == []


async def test_resume_pages_through_the_served_history(
    db: async_sessionmaker[AsyncSession], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(backfill, "SIGNATURE_PAGE", 3)
    chain = FakeChain({REG: [tx(registration_logs(), slot=1)]})
    assert await catch_up(chain, db, store(), REG, node=NODE) == 1
    served = [reading_tx(i, 100 + i) for i in range(8)]
    chain.history[REG] += [reading_tx(50, 50), *served]
    chain.first_available = 100
    assert await catch_up(chain, db, store(), REG, node=NODE) == 8
    assert await stored(db) >= {t.signature for t in served}
    (gap,) = await gaps(db)
    assert (gap.before_slot, gap.before_signature) == (100, served[0].signature)


async def test_history_pruned_while_it_is_listed_ends_the_listing(
    db: async_sessionmaker[AsyncSession], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The node prunes between two pages: the next ``before`` is gone (-32020). What is still served
    is indexed, and the gap extends to where the node's history now starts (what was listed but is
    pruned by now is in the gap, for the archive)."""
    monkeypatch.setattr(backfill, "SIGNATURE_PAGE", 3)
    chain = FakeChain({REG: [tx(registration_logs(), slot=1)]})
    assert await catch_up(chain, db, store(), REG, node=NODE) == 1
    served = [reading_tx(i, 100 + i) for i in range(6)]
    chain.history[REG] += served
    chain.first_available = 100
    real = chain.signatures

    async def pruning(program: str, *, until: str | None, before: str | None, limit: int) -> object:
        if before is not None:
            chain.first_available = 104  # the first page's last signature (slot 103) is pruned now
        return await real(program, until=until, before=before, limit=limit)

    monkeypatch.setattr(chain, "signatures", pruning)
    assert await catch_up(chain, db, store(), REG, node=NODE) == 2  # slots 104, 105 (103 is gone now)
    (gap,) = await gaps(db)
    assert (gap.after_slot, gap.before_slot, gap.before_signature) == (0, 104, served[4].signature)
    archive = FakeChain({REG: chain.history[REG]})
    assert await backfill_gap(archive, db, store(), gap, ARCHIVE) == 4  # slots 100..103
    assert await stored(db) >= {t.signature for t in served}


async def test_an_archive_node_fills_the_gap_and_closes_it(db: async_sessionmaker[AsyncSession]) -> None:
    indexed = [tx(registration_logs(), slot=1), reading_tx(0, 2)]
    missed = [reading_tx(1, 10), reading_tx(2, 11), reading_tx(3, 12)]
    served = [reading_tx(4, 30)]
    primary = FakeChain({REG: list(indexed)})
    assert await catch_up(primary, db, store(), REG, node=NODE) == 2
    primary.history[REG] += missed + served
    primary.first_available = 30
    assert await catch_up(primary, db, store(), REG, node=NODE) == 1
    archive = FakeChain({REG: indexed + missed + served})

    published: list[str] = []

    async def publish(events: object) -> None:
        published.extend(e.signature for e in events)  # type: ignore[attr-defined]

    newly, failed = await backfill_open_gaps(archive, db, store(), [REG], ARCHIVE, publish)
    assert (newly, failed) == (3, [])
    assert await stored(db) == {t.signature for t in indexed + missed + served}
    assert archive.listed_until == [indexed[-1].signature]  # exactly the gap: before..until
    assert sorted(archive.fetched) == sorted(t.signature for t in missed)
    assert published == [t.signature for t in missed]  # oldest first
    (gap,) = await gaps(db)
    assert gap.resolved_at is not None and (gap.resolved_by, gap.backfilled) == (ARCHIVE, 3)
    (alert,) = await gap_alerts(db)
    assert alert.resolved_at is not None
    assert await open_gaps(db, [REG]) == []
    n = await counts(db)
    assert (n["transactions"], n["meter_readings"]) == (6, 5)
    assert await backfill_open_gaps(archive, db, store(), [REG], ARCHIVE) == (0, [])


async def test_an_archive_without_the_history_leaves_the_gap_open(
    db: async_sessionmaker[AsyncSession],
) -> None:
    indexed = [tx(registration_logs(), slot=1)]
    primary = FakeChain({REG: list(indexed)})
    assert await catch_up(primary, db, store(), REG, node=NODE) == 1
    missed, served = [reading_tx(0, 10), reading_tx(1, 11)], [reading_tx(2, 30)]
    primary.history[REG] += missed + served
    primary.first_available = 30
    await catch_up(primary, db, store(), REG, node=NODE)
    (gap,) = await open_gaps(db, [REG])

    pruned_too = FakeChain({REG: indexed + missed + served}, first_available=5)
    with pytest.raises(ArchiveIncomplete, match="serves it from slot 5, the gap starts at slot 1"):
        await backfill_gap(pruned_too, db, store(), gap, ARCHIVE)

    lists_but_lost = FakeChain({REG: indexed + missed + served}, missing={missed[1].signature})
    with pytest.raises(ArchiveIncomplete, match=f"cannot return .*{missed[1].signature}"):
        await backfill_gap(lists_but_lost, db, store(), gap, ARCHIVE)
    assert missed[0].signature in await stored(db)  # what it could return is kept
    assert [g.id for g in await open_gaps(db, [REG])] == [gap.id]
    assert (await gap_alerts(db))[0].resolved_at is None

    newly, failed = await backfill_open_gaps(
        FakeChain({REG: indexed + missed + served}), db, store(), [REG], ARCHIVE
    )
    assert (newly, failed) == (1, [])
    assert await open_gaps(db, [REG]) == []


async def test_a_gap_without_a_listed_end_keeps_the_archive_to_its_slots(
    db: async_sessionmaker[AsyncSession],
) -> None:
    """The node listed nothing of the program (quiet since), so the archive lists from its newest:
    what lies at or after the gap's end is the primary's business, not the gap's."""
    indexed = [tx(registration_logs(), slot=1)]
    primary = FakeChain({REG: list(indexed)})
    assert await catch_up(primary, db, store(), REG, node=NODE) == 1
    missed = [reading_tx(0, 10)]
    primary.history[REG] += missed
    primary.first_available = 40
    await catch_up(primary, db, store(), REG, node=NODE)
    (gap,) = await open_gaps(db, [REG])
    assert gap.before_signature is None
    later: list[FetchedTransaction] = [reading_tx(1, 45)]
    archive = FakeChain({REG: indexed + missed + later})
    assert await backfill_gap(archive, db, store(), gap, ARCHIVE) == 1
    assert await stored(db) == {t.signature for t in indexed + missed}
    assert (await gaps(db))[0].backfilled == 1


async def test_a_hole_in_the_served_history_then_more_pruning_is_a_second_gap_not_the_first_again(
    db: async_sessionmaker[AsyncSession],
) -> None:
    chain = FakeChain({REG: [tx(registration_logs(), slot=1)]})
    assert await catch_up(chain, db, store(), REG, node=NODE) == 1
    served = [reading_tx(0, 20), reading_tx(1, 21), reading_tx(2, 22)]
    chain.history[REG] += served
    chain.first_available = 20
    chain.missing = {served[1].signature}  # listed, not fetchable: catch-up stops before it
    assert await catch_up(chain, db, store(), REG, node=NODE) == 1
    assert (await checkpoint(db)).covered_slot == 19  # up to the gap, not past the hole
    chain.first_available = 30  # the hole is pruned before it could be read
    assert await catch_up(chain, db, store(), REG, node=NODE) == 0
    first, second = await gaps(db)
    assert (first.after_slot, first.before_slot) == (0, 20)
    assert (second.after_slot, second.before_slot) == (19, 30)
    assert len(await gap_alerts(db)) == 2
