"""``QuorumRecorded`` (governance's ``record_quorum``) in the ``proposals`` table: it sets the proposal's
``quorum_at``, which a later vote carries on or moves forward (it never moves back on chain), whatever
order the transactions are stored in."""

from __future__ import annotations

import itertools
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from solgrid.indexer import proposals
from solgrid.indexer.models import Approval, Proposal
from solgrid.indexer.trading import Position

PROPOSAL = "Prop111111111111111111111111111111111111111"
R0, R1, R2 = ("Reg" + str(i) * 40 for i in range(3))


def created(slot: int) -> tuple[str, dict[str, Any], int]:
    return (
        "ProposalCreated",
        {
            "proposal": PROPOSAL,
            "id": 4,
            "proposer": R0,
            "target_program": "Target1111111111111111111111111111111111111",
            "title": "limits",
            "created_at": 1_000,
            "expires_at": 90_000,
            "timelock_secs": 60,
            "account_count": 2,
            "data_len": 30,
        },
        slot,
    )


def vote(slot: int, regulator: str, approvals: int, quorum_at: int) -> tuple[str, dict[str, Any], int]:
    return (
        "VoteCast",
        {
            "proposal": PROPOSAL,
            "id": 4,
            "regulator": regulator,
            "approve": True,
            "approvals": approvals,
            "rejections": 0,
            "threshold": 2,
            "quorum_at": quorum_at,
            "status": "Open",
            "timestamp": 1_000 + slot,
        },
        slot,
    )


def recorded(slot: int, quorum_at: int) -> tuple[str, dict[str, Any], int]:
    return (
        "QuorumRecorded",
        {"proposal": PROPOSAL, "id": 4, "approvals": 2, "threshold": 2, "quorum_at": quorum_at},
        slot,
    )


async def store(db: async_sessionmaker[AsyncSession], events: list[tuple[str, dict[str, Any], int]]) -> None:
    for name, d, slot in events:
        batch = proposals.ProposalBatch()
        projected = proposals.project(batch, name, d, Position(f"sig{slot}", 0, 0, slot), 1_000 + slot)
        if name == "QuorumRecorded":
            assert (projected.frame["change"], projected.frame["timestamp"]) == (
                "quorum recorded",
                d["quorum_at"],
            )
        async with db() as session, session.begin():
            await proposals.apply(session, batch)


async def row(db: async_sessionmaker[AsyncSession]) -> Proposal:
    async with db() as session:
        found = await session.scalar(select(Proposal).where(Proposal.address == PROPOSAL))
        assert found is not None
        return found


async def test_record_quorum_sets_quorum_at_in_any_order(db: async_sessionmaker[AsyncSession]) -> None:
    """Two approvals without a quorum (threshold then 3), the threshold lowered, the quorum recorded at
    5_000, a third approval that carries it on: every storage order gives quorum_at 5_000."""
    events = [created(1), vote(2, R0, 1, 0), vote(3, R1, 2, 0), recorded(9, 5_000), vote(12, R2, 3, 5_000)]
    await store(db, events[:3])
    assert (await row(db)).quorum_at is None
    await store(db, events[3:4])
    assert (await row(db)).quorum_at == 5_000
    await store(db, events[4:])
    stored = await row(db)
    assert (stored.quorum_at, stored.approvals, stored.status) == (5_000, 3, "Open")


async def test_a_later_quorum_wins_over_a_recorded_one_in_any_order(
    db: async_sessionmaker[AsyncSession],
) -> None:
    """Recorded at 5_000, lost (a regulator removed) and reached again by an approval at 7_000: the table
    says 7_000 whatever the order of storage."""
    events = [created(1), vote(2, R0, 1, 0), recorded(9, 5_000), vote(20, R2, 2, 7_000)]
    for order in itertools.permutations(events):
        async with db() as session, session.begin():
            await session.execute(Approval.__table__.delete())
            await session.execute(Proposal.__table__.delete())
        await store(db, list(order))
        assert (await row(db)).quorum_at == 7_000, [e[0] for e in order]
