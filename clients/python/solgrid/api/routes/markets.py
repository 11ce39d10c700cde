"""Markets: their L2 books, trades, candles (OHLCV and VWAP), call-auction epochs with their supply and
demand curves, and a zone's books and last trades in one answer (the dashboard's market page)."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Path, Query, Response
from sqlalchemy import or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from solgrid.api import market_schemas as schemas
from solgrid.api.book import l2_book, last_trades
from solgrid.api.candles import INTERVALS, candles, interval_secs
from solgrid.api.deps import Session
from solgrid.api.errors import not_found
from solgrid.api.pagination import PageParams, page_params, paginate
from solgrid.api.params import TimeRange, pubkey, time_range
from solgrid.api.response_cache import ResponseCache, response_cache
from solgrid.api.rows import mapping_dict
from solgrid.indexer.models import Epoch, EpochLevel, GridZone, Market, Trade, table_of

router = APIRouter(tags=["markets"])
MARKETS, TRADES, EPOCHS = table_of(Market), table_of(Trade), table_of(Epoch)
NOT_FOUND: dict[int | str, dict[str, Any]] = {404: {"description": "No such market"}}
MAX_ID = 2**63 - 1

Address = Annotated[str, Path(max_length=64, description="The market's address (base58).")]
ZoneId = Annotated[int, Path(ge=0, le=MAX_ID, description="The zone's id.")]
Times = Annotated[TimeRange, Depends(time_range)]
Page = Annotated[PageParams, Depends(page_params)]
Cache = Annotated[ResponseCache, Depends(response_cache)]


async def market_row(session: AsyncSession, address: str) -> dict[str, Any]:
    """The ``markets`` row at ``address`` (a 400 when it is no address, a 404 when no market)."""
    pubkey("address", address)
    row = (await session.execute(select(MARKETS).where(MARKETS.c.address == address))).first()
    if row is None:
        raise not_found(f"market {address}")
    return mapping_dict(row)


@router.get("/markets", response_model=list[schemas.MarketOut], summary="Markets")  # type: ignore[valid-type]
async def markets(
    session: Session,
    zone: Annotated[int | None, Query(ge=0, le=MAX_ID, description="Only this zone's.")] = None,
    mode: Annotated[Literal["continuous", "periodic"] | None, Query(description="Only this mode.")] = None,
) -> list[dict[str, Any]]:
    """Every market (by zone, then creation), or a zone's, or those of one mode."""
    query = select(MARKETS).order_by(MARKETS.c.zone_id, MARKETS.c.created_slot, MARKETS.c.address)
    if zone is not None:
        query = query.where(MARKETS.c.zone_id == zone)
    if mode is not None:
        query = query.where(MARKETS.c.mode == mode)
    return [mapping_dict(r) for r in await session.execute(query)]


@router.get("/markets/{address}", response_model=schemas.MarketOut, responses=NOT_FOUND)
async def market(address: Address, session: Session) -> dict[str, Any]:
    """One market, with the parameters of its latest update."""
    return await market_row(session, address)


@router.get("/markets/{address}/book", response_model=schemas.Book, responses=NOT_FOUND)
async def book(
    address: Address,
    session: Session,
    cache: Cache,
    depth: Annotated[int, Query(ge=1, le=1000, description="Price levels per side.")] = 50,
) -> Response:
    """The L2 book: resting orders summed per price (a periodic market: its collecting auction)."""

    async def build() -> dict[str, Any]:
        return await l2_book(session, await market_row(session, address), depth)

    return await cache.answer(f"book {address} {depth}", session, schemas.Book, build)


@router.get("/markets/{address}/trades", response_model=schemas.TradePage, responses=NOT_FOUND)
async def trades(
    address: Address,
    session: Session,
    page: Page,
    times: Times,
    trader: Annotated[str | None, Query(max_length=64, description="Maker or taker (wallet).")] = None,
) -> dict[str, Any]:
    """The market's trades, newest first (by the on-chain clock, then as indexed); ``from`` / ``to`` on
    their time."""
    await market_row(session, address)
    query = select(TRADES).where(TRADES.c.market == address)
    if (wallet := pubkey("trader", trader)) is not None:
        query = query.where(or_(TRADES.c.maker == wallet, TRADES.c.taker == wallet))
    if times.start is not None:
        query = query.where(TRADES.c.timestamp >= times.start)
    if times.end is not None:
        query = query.where(TRADES.c.timestamp < times.end)
    return await paginate(session, query, [Trade.timestamp, Trade.id], page, mapping_dict, scalars=False)


@router.get("/markets/{address}/candles", response_model=schemas.Candles, responses=NOT_FOUND)
async def market_candles(
    address: Address,
    session: Session,
    times: Times,
    interval: Annotated[str, Query(description=f"One of {', '.join(INTERVALS)}.")] = "1h",
) -> dict[str, Any]:
    """OHLCV and VWAP candles, oldest first, merged from the 15-minute price buckets (prices in quote
    atoms per kWh; candles without trades left out; at most 5,000 candles: see docs/api.md for the
    defaults of ``from`` / ``to``)."""
    secs = interval_secs(interval)
    await market_row(session, address)
    return await candles(session, address, secs, times)


@router.get("/markets/{address}/epochs", response_model=schemas.EpochPage, responses=NOT_FOUND)
async def epochs(address: Address, session: Session, page: Page, times: Times) -> dict[str, Any]:
    """A periodic market's epochs, newest first; ``from`` / ``to`` on their start."""
    await market_row(session, address)
    query = select(EPOCHS).where(EPOCHS.c.market == address)
    if times.start is not None:
        query = query.where(EPOCHS.c.starts_at >= times.start)
    if times.end is not None:
        query = query.where(EPOCHS.c.starts_at < times.end)
    return await paginate(session, query, [Epoch.epoch], page, mapping_dict, scalars=False)


@router.get(
    "/markets/{address}/epochs/{epoch}",
    response_model=schemas.EpochDetail,
    responses={404: {"description": "No such market or epoch"}},
)
async def epoch(
    address: Address,
    epoch: Annotated[int, Path(ge=0, le=MAX_ID, description="The epoch's number.")],
    session: Session,
) -> dict[str, Any]:
    """One epoch with its supply and demand curves (``levels``, price ascending) and its clearing point
    (null until it is cleared)."""
    await market_row(session, address)
    row = (
        await session.execute(select(EPOCHS).where(EPOCHS.c.market == address, EPOCHS.c.epoch == epoch))
    ).first()
    if row is None:
        raise not_found(f"epoch {epoch} of market {address}")
    found = mapping_dict(row)
    tick = found["tick_size"]
    levels = [
        {**mapping_dict(r), "price_per_kwh": None if tick is None else int(r.price) * tick}
        for r in await session.execute(
            select(table_of(EpochLevel))
            .where(EpochLevel.market == address, EpochLevel.epoch == epoch)
            .order_by(EpochLevel.price)
        )
    ]
    clearing = None
    if found["price"] is not None:
        clearing = {
            "price_ticks": found["price"],
            "price": found["price_per_kwh"],
            "volume_lots": found["volume_lots"],
        }
    return {**found, "levels": levels, "clearing": clearing}


@router.get(
    "/zones/{zone_id}/book", response_model=schemas.ZoneBook, responses={404: {"description": "No such zone"}}
)
async def zone_book(
    zone_id: ZoneId,
    session: Session,
    cache: Cache,
    depth: Annotated[int, Query(ge=1, le=1000, description="Price levels per side.")] = 20,
    trades: Annotated[int, Query(ge=0, le=1000, description="Latest trades per market.")] = 50,
) -> Response:
    """Each market of the zone (by creation) with its L2 book and its latest trades, newest first."""

    async def build() -> dict[str, Any]:
        rows = [
            mapping_dict(r)
            for r in await session.execute(
                select(MARKETS)
                .where(MARKETS.c.zone_id == zone_id)
                .order_by(MARKETS.c.created_slot, MARKETS.c.address)
            )
        ]
        if not rows and await session.get(GridZone, zone_id) is None:
            raise not_found(f"zone {zone_id}")
        return {
            "zone_id": zone_id,
            "markets": [
                {
                    "market": m,
                    "book": await l2_book(session, m, depth),
                    "last_trades": await last_trades(session, m["address"], trades) if trades else [],
                }
                for m in rows
            ],
        }

    return await cache.answer(f"zone {zone_id} {depth} {trades}", session, schemas.ZoneBook, build)
