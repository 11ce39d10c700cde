"""SDK of the trading program: instructions (:mod:`.client`), market reads (:mod:`.market`), events
(:mod:`.events`) and units (:mod:`.units`)."""

from solgrid.sdk.trading.client import Config, MarketParams, TradingClient
from solgrid.sdk.trading.events import Fill, OrderPlaced, Removal, TradingEvent, decode_event
from solgrid.sdk.trading.market import Level, MarketHeader, MarketState, RestingOrder, Seat
from solgrid.sdk.trading.units import MarketStatus, OrderKind, OrderState, RemovalReason, SelfTradeMode, Side

__all__ = [
    "Config",
    "Fill",
    "Level",
    "MarketHeader",
    "MarketParams",
    "MarketState",
    "MarketStatus",
    "OrderKind",
    "OrderPlaced",
    "OrderState",
    "Removal",
    "RemovalReason",
    "RestingOrder",
    "Seat",
    "SelfTradeMode",
    "Side",
    "TradingClient",
    "TradingEvent",
    "decode_event",
]
