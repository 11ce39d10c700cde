"""The audit log: every event the indexer decoded, where it was emitted."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query
from sqlalchemy import BigInteger, ColumnElement, and_, cast, exists, or_, select

from solgrid.api.deps import Session
from solgrid.api.errors import bad_parameter
from solgrid.api.filters import ZoneFilter, in_range
from solgrid.api.filters import signature as checked_signature
from solgrid.api.idl_names import event_name, program_id, program_ids
from solgrid.api.pagination import PageParams, page_params, paginate
from solgrid.api.params import MAX_TIME, TimeRange, pubkey, time_range
from solgrid.api.rows import row_dict
from solgrid.api.schemas import page_of, row_schema
from solgrid.indexer.event_users import EVENT_USER_FIELDS, NESTED_USER_FIELDS, ZONE_USER_FIELDS
from solgrid.indexer.models import Event, Market, Meter, Transaction, User

router = APIRouter(tags=["audit log"])
EventOut = row_schema(Event, "Event")
Slot = Annotated[int | None, Query(ge=0, le=MAX_TIME)]
OWNER = f"""A wallet or User account named by the event (as {", ".join(EVENT_USER_FIELDS)} or a
retirement's beneficiary), or owning the meter it names."""


def meter_of_event() -> ColumnElement[str]:
    meter: ColumnElement[str] = Event.data["meter"].as_string()
    return meter


def names_user(user: str) -> ColumnElement[bool]:
    """The event names ``user`` in one of its user fields, or names a meter ``user`` owns."""
    named = [Event.data[key].as_string() == user for key in EVENT_USER_FIELDS]
    named += [Event.data[path].as_string() == user for path in NESTED_USER_FIELDS]
    owned = exists().where(Meter.address == meter_of_event(), Meter.owner == user)
    return or_(*named, owned)


def in_zone(zone: int) -> ColumnElement[bool]:
    """The event's own ``zone_id`` is ``zone``; without one, the zone of the meter, the market or the
    user (``user``: a User account, ``holder``: a wallet) it names is, as the feed's zone topic."""
    own = cast(Event.data["zone_id"].as_string(), BigInteger)  # a u32: Postgres' INTEGER would overflow
    named = [
        exists().where(Meter.address == meter_of_event(), Meter.zone_id == zone),
        exists().where(Market.address == Event.data["market"].as_string(), Market.zone_id == zone),
    ]
    named += [
        exists().where(getattr(User, column) == Event.data[key].as_string(), User.zone_id == zone)
        for key, column in ZONE_USER_FIELDS
    ]
    return or_(own == zone, and_(own.is_(None), or_(*named)))


@router.get("/events", response_model=page_of(EventOut), summary="The audit log")
async def events(
    session: Session,
    page: Annotated[PageParams, Depends(page_params)],
    span: Annotated[TimeRange, Depends(time_range)],
    program: Annotated[
        str | None, Query(description=f"A program's name ({', '.join(program_ids())}) or id.")
    ] = None,
    name: Annotated[str | None, Query(description="An event name, e.g. ReadingAccepted.")] = None,
    signature: Annotated[str | None, Query(description="A transaction's signature.")] = None,
    from_slot: Slot = None,
    to_slot: Slot = None,
    meter: Annotated[str | None, Query(description="A meter named by the event (its meter field).")] = None,
    owner: Annotated[str | None, Query(description=OWNER)] = None,
    zone: ZoneFilter = None,
) -> dict[str, Any]:
    """Every decoded event (``data``: its fields), newest first (by slot, then id); of a program, an
    event name, a transaction, a slot range (``from_slot`` inclusive, ``to_slot`` exclusive), a block
    time range (``from`` / ``to`` on its transaction's ``block_time``; an event whose transaction has
    none is outside any range), a meter, a user (``owner``: a wallet or User account the event names,
    or the owner of the meter it names), a zone (the event's ``zone_id``, else its meter's, market's or
    user's zone)."""
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
    if span.start is not None or span.end is not None:
        query = query.join(Transaction, Transaction.signature == Event.signature).where(
            *in_range(Transaction.block_time, span)
        )
    if pubkey("meter", meter) is not None:
        query = query.where(meter_of_event() == meter)
    if (user := pubkey("owner", owner)) is not None:
        query = query.where(names_user(user))
    if zone is not None:
        query = query.where(in_zone(zone))
    return await paginate(session, query, [Event.slot, Event.id], page, row_dict)
