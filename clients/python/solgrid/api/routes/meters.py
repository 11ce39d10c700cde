"""Meters, their readings, and production series (per meter, owner or zone)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query
from pydantic import BaseModel
from sqlalchemy import select

from solgrid.api.deps import Session
from solgrid.api.errors import not_found
from solgrid.api.filters import Address, ZoneFilter, in_range, one_of, path_address
from solgrid.api.pagination import PageParams, page_params, paginate
from solgrid.api.params import TimeRange, pubkey, time_range
from solgrid.api.production import INTERVALS, MAX_INTERVALS, MeterSelection, production_series
from solgrid.api.rows import row_dict
from solgrid.api.schemas import page_of, row_schema
from solgrid.indexer.models import Meter, MeterReading

router = APIRouter(tags=["meters"])
MeterOut = row_schema(Meter, "Meter")
ReadingOut = row_schema(MeterReading, "MeterReading")


class ProductionPoint(BaseModel):
    time: int
    """Start of the interval (unix seconds)."""
    production_wh: int
    consumption_wh: int
    settled_wh: int
    """Wh settled as GRID by settlements whose transaction's block time is in the interval."""
    readings: int


class Production(BaseModel):
    """Production, consumption and settled Wh per interval, oldest first, every interval of the range."""

    interval_secs: int
    series: list[ProductionPoint]


@router.get("/meters", response_model=page_of(MeterOut), summary="Meters, newest first")
async def meters(
    session: Session,
    page: Annotated[PageParams, Depends(page_params)],
    span: Annotated[TimeRange, Depends(time_range)],
    zone: ZoneFilter = None,
    owner: Annotated[str | None, Query(description="Owner's wallet.")] = None,
) -> dict[str, Any]:
    """Registered meters, newest first (by registration time, then address); of a zone, of an owner;
    ``from`` / ``to`` on ``registered_at``."""
    query = select(Meter).where(*in_range(Meter.registered_at, span))
    if zone is not None:
        query = query.where(Meter.zone_id == zone)
    if pubkey("owner", owner) is not None:
        query = query.where(Meter.owner == owner)
    return await paginate(session, query, [Meter.registered_at, Meter.address], page, row_dict)


async def known_meter(session: Session, address: str) -> Meter:
    found = await session.get(Meter, path_address("address", address))
    if found is None:
        raise not_found(f"meter {address}")
    return found


@router.get("/meters/{address}", response_model=MeterOut, responses={404: {"description": "No such meter"}})
async def meter(address: Address, session: Session) -> dict[str, Any]:
    """A meter with its cumulative production, consumption, settled and certified Wh."""
    return row_dict(await known_meter(session, address))


@router.get(
    "/meters/{address}/readings",
    response_model=page_of(ReadingOut),
    responses={404: {"description": "No such meter"}},
)
async def readings(
    address: Address,
    session: Session,
    page: Annotated[PageParams, Depends(page_params)],
    span: Annotated[TimeRange, Depends(time_range)],
) -> dict[str, Any]:
    """A meter's accepted readings, newest first (by window start); ``from`` / ``to`` on the window
    start."""
    found = await known_meter(session, address)
    query = select(MeterReading).where(MeterReading.meter == found.address)
    if span.start is not None:
        query = query.where(MeterReading.window_start >= span.start)
    if span.end is not None:
        query = query.where(MeterReading.window_start < span.end)
    return await paginate(session, query, [MeterReading.window_start], page, row_dict)


PRODUCTION = f"""Production and consumption (readings, by window start), settled Wh (settlements, by their
transaction's block time) and the number of readings per interval, oldest first, of the meters matching
every filter given (none: all). An open end of the range is the data's; without ``from``, the newest
``points`` intervals (default {MAX_INTERVALS}) up to ``to`` or the data's end, with ``from`` only, at most
``points`` from it; both given and more than {MAX_INTERVALS} intervals apart: a 400."""


@router.get("/production", response_model=Production, summary="Production series", description=PRODUCTION)
async def production(
    session: Session,
    span: Annotated[TimeRange, Depends(time_range)],
    zone: ZoneFilter = None,
    meter: Annotated[str | None, Query(description="Meter address.")] = None,
    owner: Annotated[str | None, Query(description="Owner's wallet (all their meters).")] = None,
    interval: Annotated[str, Query(description=f"One of {', '.join(INTERVALS)}.")] = "1h",
    points: Annotated[
        int, Query(ge=1, le=MAX_INTERVALS, description="Most intervals served when from or to is open.")
    ] = MAX_INTERVALS,
) -> dict[str, Any]:
    one_of("interval", interval, INTERVALS)
    selection = MeterSelection(zone, pubkey("meter", meter), pubkey("owner", owner))
    return await production_series(session, selection, interval, span, points)
