"""SDK of the trading program: instructions (:mod:`.client`), market reads (:mod:`.market`), events
(:mod:`.events`) and units (:mod:`.units`); for periodic markets (call auction) the epochs
(:mod:`.epochs`), epoch accounts (:mod:`.epoch_account`), the clearing rule (:mod:`.clearing`) and the
crank (:mod:`.crank`)."""

from solgrid.sdk.trading.clearing import AuctionLevel, Clearing, clear
from solgrid.sdk.trading.client import Config, MarketParams, TradingClient
from solgrid.sdk.trading.epoch_account import AuctionEpoch, AuctionOrder, EpochHeader
from solgrid.sdk.trading.events import (
    AuctionOrderCancelled,
    AuctionOrderPlaced,
    EpochCleared,
    EpochSettled,
    Fill,
    OrderPlaced,
    Removal,
    Settlement,
    TradingEvent,
    decode_event,
)
from solgrid.sdk.trading.market import Level, MarketHeader, MarketState, RestingOrder, Seat
from solgrid.sdk.trading.units import (
    EpochState,
    MarketStatus,
    OrderKind,
    OrderState,
    RemovalReason,
    SelfTradeMode,
    SettlementOutcome,
    Side,
)

__all__ = [
    "AuctionEpoch",
    "AuctionLevel",
    "AuctionOrder",
    "AuctionOrderCancelled",
    "AuctionOrderPlaced",
    "Clearing",
    "Config",
    "EpochCleared",
    "EpochHeader",
    "EpochSettled",
    "EpochState",
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
    "Settlement",
    "SettlementOutcome",
    "Side",
    "TradingClient",
    "TradingEvent",
    "clear",
    "decode_event",
]
