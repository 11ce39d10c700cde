"""The governance program's proposal events as tables: ``proposals`` and the votes in ``approvals``.

Each event sets its own columns of the proposal's row (an upsert keyed by the proposal's address:
ProposalCreated its creation, QuorumRecorded its ``quorum_at``, ProposalExecuted / ProposalCancelled /
ProposalClosed theirs), and every
VoteCast adds an ``approvals`` row (insert-only, keyed by the event's position). The row's status and
vote counts are then recomputed from what is stored for every proposal a batch touched, so the tables
do not depend on the order transactions were stored in (an ``execute`` that calls the registry is also
listed by the registry's catch-up, which can store it before the governance catch-up stores the
proposal's creation and votes). ``quorum_at`` only ever moves forward on chain, so the row keeps the
latest of its own and its latest vote's.

Status: Executed or Cancelled once such an event is indexed; Expired when it was closed past its
deadline without executing; else the latest vote's (Open, or Rejected once rejections made quorum
impossible). An Open proposal past ``expires_at`` can no longer pass: compare with the current time.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import case, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from solgrid.indexer.db import dialect_insert
from solgrid.indexer.models import Approval, Proposal, table_of
from solgrid.indexer.trading import Position

PROPOSAL_EVENTS = frozenset(
    {
        "ProposalCreated",
        "VoteCast",
        "QuorumRecorded",
        "ProposalExecuted",
        "ProposalCancelled",
        "ProposalClosed",
    }
)
CHUNK = 500


@dataclass
class ProposalBatch:
    """The proposal rows of one batch, written by :func:`apply`."""

    upserts: list[dict[str, Any]] = field(default_factory=list)
    """The columns each event sets (a row's first write inserts it)."""
    votes: list[dict[str, Any]] = field(default_factory=list)
    touched: set[str] = field(default_factory=set)


@dataclass(frozen=True)
class Projected:
    """What one proposal event adds to the feed: the wallets it names and its ``proposal`` frame."""

    users: frozenset[str]
    frame: dict[str, Any]


def project(
    batch: ProposalBatch, name: str, d: Mapping[str, Any], position: Position, block_time: int | None
) -> Projected:
    """Adds the rows of proposal event ``name`` (fields ``d``) to ``batch``."""
    proposal = d["proposal"]
    batch.touched.add(proposal)
    base = {"address": proposal, "proposal_id": d.get("id"), "updated_slot": position.slot}
    change, status, actor, timestamp = "", "Open", None, block_time
    if name == "ProposalCreated":
        change, actor, timestamp = "created", d["proposer"], d["created_at"]
        batch.upserts.append(
            {
                **base,
                "proposer": d["proposer"],
                "target_program": d["target_program"],
                "title": d["title"],
                "created_at": d["created_at"],
                "expires_at": d["expires_at"],
                "timelock_secs": d["timelock_secs"],
                "account_count": d["account_count"],
                "data_len": d["data_len"],
                "created_signature": position.signature,
                "created_slot": position.slot,
            }
        )
    elif name == "VoteCast":
        change = "approved" if d["approve"] else "rejected"
        status, actor, timestamp = d["status"], d["regulator"], d["timestamp"]
        batch.upserts.append(base)
        batch.votes.append(
            {
                "signature": position.signature,
                "instruction_index": position.instruction_index,
                "event_index": position.event_index,
                "proposal": proposal,
                "proposal_id": d["id"],
                "regulator": d["regulator"],
                "approve": bool(d["approve"]),
                "approvals": d["approvals"],
                "rejections": d["rejections"],
                "threshold": d["threshold"],
                "quorum_at": d["quorum_at"] or None,
                "status": d["status"],
                "slot": position.slot,
                "timestamp": d["timestamp"],
            }
        )
    elif name == "QuorumRecorded":
        change, timestamp = "quorum recorded", d["quorum_at"]
        batch.upserts.append({**base, "quorum_at": d["quorum_at"]})
    elif name == "ProposalExecuted":
        change, status = "executed", "Executed"
        timestamp = d["executed_at"] if d.get("executed_at") is not None else block_time
        batch.upserts.append(
            {
                **base,
                "target_program": d["target_program"],
                "executed_at": timestamp,
                "executed_signature": position.signature,
            }
        )
    elif name == "ProposalCancelled":
        change, status, actor = "cancelled", "Cancelled", d["cancelled_by"]
        timestamp = d["timestamp"] if d.get("timestamp") is not None else block_time
        batch.upserts.append(
            {
                **base,
                "cancelled_at": timestamp,
                "cancelled_by": d["cancelled_by"],
                "cancelled_signature": position.signature,
            }
        )
    elif name == "ProposalClosed":
        change, actor = "closed", d["proposer"]
        status = closed_status(d)
        batch.upserts.append(
            {
                **base,
                "proposer": d["proposer"],
                "closed_signature": position.signature,
                "closed_status": status,
            }
        )
    frame = {
        "change": change,
        "proposal": proposal,
        "proposal_id": d.get("id"),
        "status": status,
        "actor": actor,
        "signature": position.signature,
        "instruction_index": position.instruction_index,
        "event_index": position.event_index,
        "slot": position.slot,
        "timestamp": timestamp,
        "data": dict(d),
    }
    return Projected(frozenset({actor} if isinstance(actor, str) else set()), frame)


def closed_status(d: Mapping[str, Any]) -> str:
    """The status a ProposalClosed records: its stored status, or Expired for an Open one past its
    deadline."""
    status = str(d["status"])
    return "Expired" if status == "Open" and d.get("expired") else status


async def apply(session: AsyncSession, batch: ProposalBatch) -> None:
    """Writes ``batch`` and recomputes the proposals it touched."""
    table = table_of(Proposal)
    for row in batch.upserts:
        values = {"status": "Open", "approvals": 0, "rejections": 0, **row}
        keep = {"address", "updated_slot"}
        if (
            values["proposal_id"] is None
        ):  # a rebuilt event of a proposal not indexed yet: its creation sets it
            values["proposal_id"] = 0
            keep.add("proposal_id")
        statement = dialect_insert(session, table).values(values)
        changed: dict[str, Any] = {key: statement.excluded[key] for key in row if key not in keep}
        changed["updated_slot"] = case(
            (table.c.updated_slot > statement.excluded.updated_slot, table.c.updated_slot),
            else_=statement.excluded.updated_slot,
        )
        await session.execute(statement.on_conflict_do_update(index_elements=["address"], set_=changed))
    if batch.votes:
        await session.execute(
            dialect_insert(session, table_of(Approval)).on_conflict_do_nothing(), batch.votes
        )
    await recompute(session, sorted(batch.touched))


async def recompute(session: AsyncSession, proposals: Iterable[str]) -> None:
    """Sets each proposal's status and vote summary from its row and its ``approvals``."""
    table = table_of(Proposal)
    addresses = list(proposals)
    for start in range(0, len(addresses), CHUNK):
        chunk = addresses[start : start + CHUNK]
        latest: dict[str, Any] = {}
        votes = await session.execute(
            select(*table_of(Approval).columns)
            .where(Approval.proposal.in_(chunk))
            .order_by(Approval.slot, Approval.id)
        )
        for cast in votes:
            latest[cast.proposal] = cast
        rows = await session.execute(
            select(
                Proposal.address,
                Proposal.executed_signature,
                Proposal.cancelled_signature,
                Proposal.closed_status,
                Proposal.quorum_at,
                Proposal.updated_slot,
            ).where(Proposal.address.in_(chunk))
        )
        for row in rows:
            vote = latest.get(row.address)
            if row.executed_signature is not None:
                status = "Executed"
            elif row.cancelled_signature is not None:
                status = "Cancelled"
            elif row.closed_status is not None:
                status = row.closed_status
            else:
                status = "Open" if vote is None else vote.status
            values: dict[str, Any] = {"status": status}
            if vote is not None:
                values.update(
                    approvals=vote.approvals,
                    rejections=vote.rejections,
                    threshold=vote.threshold,
                    quorum_at=max((t for t in (row.quorum_at, vote.quorum_at) if t), default=None),
                    updated_slot=max(int(row.updated_slot), int(vote.slot)),
                )
            await session.execute(update(table).where(table.c.address == row.address).values(values))
