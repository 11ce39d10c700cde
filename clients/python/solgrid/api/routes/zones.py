"""Grid zones: each with its markets and what is paused in it now."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from solgrid.api.deps import Session
from solgrid.api.errors import not_found
from solgrid.api.rows import row_dict
from solgrid.api.schemas import row_schema
from solgrid.indexer.models import GridZone, Market, Pause
from solgrid.sdk.registry_governance import flag_names

router = APIRouter(tags=["zones"])
ZoneOut = row_schema(
    GridZone,
    "Zone",
    markets=(list[str], ...),
    paused=(int, ...),
    paused_names=(list[str], ...),
    market_paused=(int, ...),
)
"""``markets``: the zone's market addresses; ``paused``: the zone's pause flags now (READINGS = 1,
MINTING = 2, TRADING = 4); ``market_paused``: the market-wide flags, which apply to every zone."""
ZoneId = Annotated[int, Path(ge=0, le=2**63 - 1, description="The zone's id.")]


async def latest_paused(session: AsyncSession, zone_id: int | None) -> int:
    """The flags left set by the latest pause or resume of ``zone_id`` (None: market-wide)."""
    scope = Pause.zone_id.is_(None) if zone_id is None else Pause.zone_id == zone_id
    query = select(Pause.paused).where(scope).order_by(Pause.slot.desc(), Pause.id.desc()).limit(1)
    return int((await session.scalar(query)) or 0)


async def zone_json(session: AsyncSession, zone: GridZone, market_paused: int) -> dict[str, Any]:
    markets = await session.scalars(
        select(Market.address).where(Market.zone_id == zone.zone_id).order_by(Market.created_slot)
    )
    paused = await latest_paused(session, zone.zone_id)
    return {
        **row_dict(zone),
        "markets": list(markets),
        "paused": paused,
        "paused_names": flag_names(paused | market_paused),
        "market_paused": market_paused,
    }


@router.get("/zones", response_model=list[ZoneOut], summary="Every zone")  # type: ignore[valid-type]
async def zones(session: Session) -> list[dict[str, Any]]:
    market_paused = await latest_paused(session, None)
    rows = await session.scalars(select(GridZone).order_by(GridZone.zone_id))
    return [await zone_json(session, z, market_paused) for z in rows]


@router.get("/zones/{zone_id}", response_model=ZoneOut, responses={404: {"description": "No such zone"}})
async def zone(zone_id: ZoneId, session: Session) -> dict[str, Any]:
    """One zone."""
    found = await session.get(GridZone, zone_id)
    if found is None:
        raise not_found(f"zone {zone_id}")
    return await zone_json(session, found, await latest_paused(session, None))
