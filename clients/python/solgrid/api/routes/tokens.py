"""GRID settlements, mints and burns, each with its transaction's block time (``block_time``; the
``from`` / ``to`` filters are on it)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query
from sqlalchemy import Select, select
from sqlalchemy.ext.asyncio import AsyncSession

from solgrid.api.deps import Session
from solgrid.api.filters import ZoneFilter, in_range
from solgrid.api.pagination import PageParams, page_params, paginate
from solgrid.api.params import MAX_TIME, TimeRange, pubkey, time_range
from solgrid.api.rows import mapping_dict
from solgrid.api.schemas import page_of, row_schema
from solgrid.indexer.models import Base, Burn, Meter, Settlement, TokenMint, Transaction, User, table_of

router = APIRouter(tags=["tokens"])
TIMED = {"block_time": (int | None, ...)}
SettlementOut = row_schema(Settlement, "Settlement", **TIMED)
MintOut = row_schema(TokenMint, "Mint", **TIMED)
BurnOut = row_schema(Burn, "Burn", **TIMED)
Meter_ = Annotated[str | None, Query(description="Meter address.")]
Owner = Annotated[str | None, Query(description="Owner's wallet.")]


def timed(model: type[Base], span: TimeRange) -> Select[Any]:
    """``model``'s rows with their transaction's block time, within ``span``."""
    signature = table_of(model).c.signature
    return (
        select(*table_of(model).columns, Transaction.block_time)
        .join(Transaction, Transaction.signature == signature)
        .where(*in_range(Transaction.block_time, span))
    )


async def page(
    session: AsyncSession, model: type[Any], query: Select[Any], params: PageParams
) -> dict[str, Any]:
    """Newest first: by slot, then id (the order they were indexed in within a slot)."""
    return await paginate(session, query, [model.slot, model.id], params, mapping_dict, scalars=False)


def of_zone(meter: Any, zone: int | None) -> list[Any]:
    return [] if zone is None else [meter.in_(select(Meter.address).where(Meter.zone_id == zone))]


def of_meters(
    model: type[Settlement] | type[TokenMint],
    span: TimeRange,
    zone: int | None,
    meter: str | None,
    owner: str | None,
) -> Select[Any]:
    """``model``'s rows in ``span`` of the zone's meters, the meter and the owner given (all checked)."""
    query = timed(model, span).where(*of_zone(model.meter, zone))
    if pubkey("meter", meter) is not None:
        query = query.where(model.meter == meter)
    if pubkey("owner", owner) is not None:
        query = query.where(model.owner == owner)
    return query


@router.get("/settlements", response_model=page_of(SettlementOut), summary="Meter settlements")
async def settlements(
    session: Session,
    params: Annotated[PageParams, Depends(page_params)],
    span: Annotated[TimeRange, Depends(time_range)],
    zone: ZoneFilter = None,
    meter: Meter_ = None,
    owner: Owner = None,
) -> dict[str, Any]:
    """Settlements of meters' net surplus (MeterSettled: ``amount_wh`` settled, ``settled_wh`` the
    meter's total after it), newest first; of a zone's meters, a meter, an owner."""
    return await page(session, Settlement, of_meters(Settlement, span, zone, meter, owner), params)


@router.get("/mints", response_model=page_of(MintOut), summary="GRID mints")
async def mints(
    session: Session,
    params: Annotated[PageParams, Depends(page_params)],
    span: Annotated[TimeRange, Depends(time_range)],
    zone: ZoneFilter = None,
    meter: Meter_ = None,
    owner: Owner = None,
) -> dict[str, Any]:
    """GRID minted for settled surplus (GridMinted: ``amount`` in atoms for ``amount_wh``), newest
    first; of a zone's meters, a meter, an owner."""
    return await page(session, TokenMint, of_meters(TokenMint, span, zone, meter, owner), params)


@router.get("/burns", response_model=page_of(BurnOut), summary="GRID burns")
async def burns(
    session: Session,
    params: Annotated[PageParams, Depends(page_params)],
    span: Annotated[TimeRange, Depends(time_range)],
    zone: Annotated[int | None, Query(ge=0, le=MAX_TIME, description="The holder's zone.")] = None,
    holder: Annotated[str | None, Query(description="The burning wallet.")] = None,
) -> dict[str, Any]:
    """GRID burned (GridBurned), newest first; by a holder, by the users of a zone."""
    query = timed(Burn, span)
    if zone is not None:
        query = query.where(Burn.holder.in_(select(User.authority).where(User.zone_id == zone)))
    if pubkey("holder", holder) is not None:
        query = query.where(Burn.holder == holder)
    return await page(session, Burn, query, params)
