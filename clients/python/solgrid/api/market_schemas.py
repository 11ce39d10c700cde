"""Response schemas of the market endpoints (rows of the indexer's tables, and the shapes built here)."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from solgrid.api.schemas import page_of, row_schema
from solgrid.indexer.models import Epoch, EpochLevel, Market, Trade

MarketOut = row_schema(Market, "Market")
TradeOut = row_schema(Trade, "Trade")
TradePage = page_of(TradeOut)
EpochOut = row_schema(Epoch, "Epoch")
EpochPage = page_of(EpochOut)
EpochLevelOut = row_schema(EpochLevel, "EpochLevel", price_per_kwh=(int | None, ...))
"""An epoch's level, with its price in quote atoms per kWh (None while the epoch's tick is unknown)."""


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Level(Strict):
    """One price level of a book: ``lots`` at ``price_ticks`` (``price``: quote atoms per kWh)."""

    price_ticks: int
    price: int
    lots: int
    energy_wh: int
    orders: int | None
    """Orders at the level (null for a periodic market's auction levels, which count lots only)."""


class Book(Strict):
    """A market's L2 book: bids best (highest) first, asks best (lowest) first."""

    market: str
    mode: str
    epoch: int | None
    """A periodic market: the Collecting epoch whose auction the levels are (null: none indexed)."""
    bids: list[Level]
    asks: list[Level]
    slot: int | None
    """The slot of the market's latest order change (null: none)."""


class Candle(Strict):
    time: int
    """Start (unix seconds, a multiple of the interval)."""
    open: int
    high: int
    low: int
    close: int
    vwap: int
    volume_wh: int
    volume_quote: int
    trades: int
    bid_wh: int
    ask_wh: int


class Candles(Strict):
    """Candles oldest first; ``from`` / ``to``: the candle starts served, [from, to) (null: no data)."""

    interval_secs: int
    from_: int | None = Field(alias="from")
    to: int | None
    candles: list[Candle]


class Clearing(Strict):
    price_ticks: int
    price: int | None
    """Quote atoms per kWh."""
    volume_lots: int | None


EpochDetail = row_schema(
    Epoch,
    "EpochDetail",
    levels=(list[EpochLevelOut], ...),  # type: ignore[valid-type]
    clearing=(Clearing | None, ...),
)
"""An epoch with its supply and demand curves (``levels``, price ascending) and its clearing point."""


class ZoneMarket(Strict):
    market: MarketOut  # type: ignore[valid-type]
    book: Book
    last_trades: list[TradeOut]  # type: ignore[valid-type]


class ZoneBook(Strict):
    zone_id: int
    markets: list[ZoneMarket]
