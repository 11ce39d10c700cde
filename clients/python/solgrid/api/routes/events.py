"""The audit log: every event the indexer decoded, where it was emitted."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query
from sqlalchemy import select

from solgrid.api.deps import Session
from solgrid.api.errors import bad_parameter
from solgrid.api.filters import signature as checked_signature
from solgrid.api.idl_names import event_name, program_id, program_ids
from solgrid.api.pagination import PageParams, page_params, paginate
from solgrid.api.params import MAX_TIME
from solgrid.api.rows import row_dict
from solgrid.api.schemas import page_of, row_schema
from solgrid.indexer.models import Event

router = APIRouter(tags=["audit log"])
EventOut = row_schema(Event, "Event")
Slot = Annotated[int | None, Query(ge=0, le=MAX_TIME)]


@router.get("/events", response_model=page_of(EventOut), summary="The audit log")
async def events(
    session: Session,
    page: Annotated[PageParams, Depends(page_params)],
    program: Annotated[
        str | None, Query(description=f"A program's name ({', '.join(program_ids())}) or id.")
    ] = None,
    name: Annotated[str | None, Query(description="An event name, e.g. ReadingAccepted.")] = None,
    signature: Annotated[str | None, Query(description="A transaction's signature.")] = None,
    from_slot: Slot = None,
    to_slot: Slot = None,
) -> dict[str, Any]:
    """Every decoded event (``data``: its fields), newest first (by slot, then id); of a program, an
    event name, a transaction, a slot range (``from_slot`` inclusive, ``to_slot`` exclusive)."""
    if from_slot is not None and to_slot is not None and to_slot <= from_slot:
        raise bad_parameter("to_slot", f"must be after from_slot ({to_slot} <= {from_slot})")
    query = select(Event)
    if (program := program_id(program)) is not None:
        query = query.where(Event.program == program)
    if event_name(name) is not None:
        query = query.where(Event.name == name)
    if checked_signature("signature", signature) is not None:
        query = query.where(Event.signature == signature)
    if from_slot is not None:
        query = query.where(Event.slot >= from_slot)
    if to_slot is not None:
        query = query.where(Event.slot < to_slot)
    return await paginate(session, query, [Event.slot, Event.id], page, row_dict)
