"""Governance: proposals with their votes, and the registry's pauses and resumes."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query
from sqlalchemy import or_, select

from solgrid.api.deps import Session
from solgrid.api.errors import not_found
from solgrid.api.filters import Address, ZoneFilter, in_range, one_of, path_address
from solgrid.api.idl_names import variants
from solgrid.api.pagination import PageParams, page_params, paginate
from solgrid.api.params import TimeRange, pubkey, time_range
from solgrid.api.rows import row_dict
from solgrid.api.schemas import page_of, row_schema
from solgrid.indexer.models import Approval, Pause, Proposal
from solgrid.sdk.registry_governance import flag_names

router = APIRouter(tags=["governance"])
PROPOSAL_STATUSES = (*variants("governance", "ProposalStatus"), "Expired")
"""The program's statuses, and Expired: closed past its deadline without executing (the indexer's)."""
ProposalOut = row_schema(Proposal, "Proposal")
ApprovalOut = row_schema(Approval, "Approval")
ProposalDetail = row_schema(Proposal, "ProposalDetail", votes=(list[ApprovalOut], ...))  # type: ignore[valid-type]
PauseOut = row_schema(Pause, "Pause", flag_names=(list[str], ...), paused_names=(list[str], ...))


@router.get("/proposals", response_model=page_of(ProposalOut), summary="Proposals, newest first")
async def proposals(
    session: Session,
    page: Annotated[PageParams, Depends(page_params)],
    span: Annotated[TimeRange, Depends(time_range)],
    status: Annotated[str | None, Query(description=f"One of {', '.join(PROPOSAL_STATUSES)}.")] = None,
    proposer: Annotated[str | None, Query(description="The proposing regulator.")] = None,
) -> dict[str, Any]:
    """Governance proposals, newest first (by proposal id); of a status, of a proposer; ``from`` / ``to``
    on ``created_at`` (one whose creation is not indexed is outside any range)."""
    query = select(Proposal).where(*in_range(Proposal.created_at, span))
    if one_of("status", status, PROPOSAL_STATUSES) is not None:
        query = query.where(Proposal.status == status)
    if pubkey("proposer", proposer) is not None:
        query = query.where(Proposal.proposer == proposer)
    return await paginate(session, query, [Proposal.proposal_id, Proposal.address], page, row_dict)


@router.get(
    "/proposals/{address}",
    response_model=ProposalDetail,
    responses={404: {"description": "No such proposal"}},
)
async def proposal(address: Address, session: Session) -> dict[str, Any]:
    """A proposal and its votes (``approvals`` rows: approvals and rejections), oldest first."""
    found = await session.get(Proposal, path_address("address", address))
    if found is None:
        raise not_found(f"proposal {address}")
    a = Approval
    votes = await session.scalars(
        select(a).where(a.proposal == found.address).order_by(a.slot, a.instruction_index, a.event_index)
    )
    return {**row_dict(found), "votes": [row_dict(v) for v in votes]}


def pause_json(row: Pause) -> dict[str, Any]:
    """A ``pauses`` row with its flags by name (as the feed's ``pause`` frames)."""
    return {**row_dict(row), "flag_names": flag_names(row.flags), "paused_names": flag_names(row.paused)}


@router.get("/pauses", response_model=page_of(PauseOut), summary="Pauses and resumes")
async def pauses(
    session: Session,
    page: Annotated[PageParams, Depends(page_params)],
    span: Annotated[TimeRange, Depends(time_range)],
    zone: ZoneFilter = None,
) -> dict[str, Any]:
    """Each pause and resume, newest first (by slot, then id); of a zone (with the market-wide ones,
    which apply to every zone); ``from`` / ``to`` on their block time."""
    query = select(Pause).where(*in_range(Pause.timestamp, span))
    if zone is not None:
        query = query.where(or_(Pause.zone_id == zone, Pause.zone_id.is_(None)))
    return await paginate(session, query, [Pause.slot, Pause.id], page, pause_json)
