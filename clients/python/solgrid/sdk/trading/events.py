"""The trading program's events, typed.

Trading emits each instruction's event through a self-CPI in Anchor's ``emit_cpi`` format: an inner
instruction of the program whose data is ``EVENT_IX_TAG_LE``, the event's discriminator and its borsh
bytes. :func:`decode_event` turns such instruction data into one of the dataclasses below;
``OrderPlaced.steps`` lists every fill and every resting order the order removed, in order.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from solders.pubkey import Pubkey

from solgrid.sdk.anchor import ProgramCoder
from solgrid.sdk.cpi_events import EVENT_IX_TAG
from solgrid.sdk.trading.units import MarketStatus, OrderKind, OrderState, RemovalReason, SelfTradeMode, Side

EVENT_IX_TAG_LE = EVENT_IX_TAG
"""Anchor's ``EVENT_IX_TAG_LE`` (``sha256("anchor:event")[..8]`` reversed): event data starts with it."""


def _index(value: Any) -> int:
    index: int = type(value).index
    return index


@dataclass(frozen=True)
class Fill:
    maker: Pubkey
    maker_order_id: int
    maker_client_order_id: int
    price: int
    lots: int
    base_amount: int
    quote_amount: int
    maker_fee: int
    taker_fee: int
    maker_remaining_lots: int


@dataclass(frozen=True)
class Removal:
    trader: Pubkey
    order_id: int
    client_order_id: int
    price: int
    lots: int
    remaining_lots: int
    base_released: int
    quote_released: int
    side: Side
    reason: RemovalReason


@dataclass(frozen=True)
class TradingInitialized:
    config: Pubkey
    authority: Pubkey
    registry_program: Pubkey
    base_mint: Pubkey
    event_authority: Pubkey
    timestamp: int


@dataclass(frozen=True)
class MarketCreated:
    market: Pubkey
    zone_id: int
    base_mint: Pubkey
    quote_mint: Pubkey
    base_vault: Pubkey
    quote_vault: Pubkey
    fee_recipient: Pubkey
    tick_size: int
    lot_size_wh: int
    min_order_lots: int
    taker_fee_bps: int
    maker_fee_bps: int
    max_orders_per_epoch: int
    timestamp: int


@dataclass(frozen=True)
class MarketUpdated:
    market: Pubkey
    fee_recipient: Pubkey
    tick_size: int
    lot_size_wh: int
    min_order_lots: int
    taker_fee_bps: int
    maker_fee_bps: int
    max_orders_per_epoch: int
    status: MarketStatus
    timestamp: int


@dataclass(frozen=True)
class MarketMakerSet:
    market: Pubkey
    trader: Pubkey
    seat: int
    enabled: bool
    seat_created: bool
    """The trader had no seat: this ``set_market_maker`` gave it ``seat`` (it emits no ``SeatClaimed``)."""
    timestamp: int


@dataclass(frozen=True)
class SeatClaimed:
    market: Pubkey
    trader: Pubkey
    seat: int
    timestamp: int


@dataclass(frozen=True)
class Deposited:
    market: Pubkey
    trader: Pubkey
    seat: int
    mint: Pubkey
    amount: int
    free_after: int
    timestamp: int


@dataclass(frozen=True)
class Withdrawn:
    market: Pubkey
    trader: Pubkey
    seat: int
    mint: Pubkey
    amount: int
    free_after: int
    destination: Pubkey
    timestamp: int


@dataclass(frozen=True)
class OrderPlaced:
    market: Pubkey
    trader: Pubkey
    seat: int
    order_id: int
    client_order_id: int
    side: Side
    kind: OrderKind
    self_trade: SelfTradeMode
    price: int
    lots: int
    expires_at: int
    filled_lots: int
    base_traded: int
    quote_traded: int
    taker_fee: int
    rested_lots: int
    cancelled_lots: int
    state: OrderState
    timestamp: int
    steps: list[Fill | Removal]

    @property
    def fills(self) -> list[Fill]:
        return [s for s in self.steps if isinstance(s, Fill)]

    @property
    def removals(self) -> list[Removal]:
        return [s for s in self.steps if isinstance(s, Removal)]


@dataclass(frozen=True)
class OrderCancelled:
    market: Pubkey
    trader: Pubkey
    order_id: int
    client_order_id: int
    side: Side
    price: int
    lots: int
    base_released: int
    quote_released: int
    timestamp: int


@dataclass(frozen=True)
class OrdersExpired:
    market: Pubkey
    timestamp: int
    orders: list[Removal]


@dataclass(frozen=True)
class FeesCollected:
    market: Pubkey
    recipient: Pubkey
    destination: Pubkey
    amount: int
    timestamp: int


@dataclass(frozen=True)
class MarketGrown:
    market: Pubkey
    payer: Pubkey
    extra_seats: int
    extra_orders: int
    seat_capacity: int
    """The market's seat slots after the growth."""
    order_capacity: int
    """The market's order slots after the growth."""
    lamports_paid: int
    """What the payer paid to keep the larger market rent-exempt."""
    timestamp: int


TradingEvent = (
    TradingInitialized
    | MarketCreated
    | MarketUpdated
    | MarketMakerSet
    | SeatClaimed
    | Deposited
    | Withdrawn
    | OrderPlaced
    | OrderCancelled
    | OrdersExpired
    | FeesCollected
    | MarketGrown
)

_ENUM_FIELDS: dict[
    str, type[Side | OrderKind | SelfTradeMode | OrderState | RemovalReason | MarketStatus]
] = {
    "side": Side,
    "kind": OrderKind,
    "self_trade": SelfTradeMode,
    "state": OrderState,
    "reason": RemovalReason,
    "status": MarketStatus,
}
_SIMPLE: dict[str, type[Any]] = {
    cls.__name__: cls
    for cls in (
        TradingInitialized,
        MarketCreated,
        MarketUpdated,
        MarketMakerSet,
        SeatClaimed,
        Deposited,
        Withdrawn,
        OrderCancelled,
        FeesCollected,
        MarketGrown,
    )
}


def _fields(container: Any, names: Any) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for name in names:
        value = getattr(container, name)
        enum = _ENUM_FIELDS.get(name)
        out[name] = enum(_index(value)) if enum is not None else value
    return out


def _removal(raw: Any) -> Removal:
    return Removal(**_fields(raw, Removal.__dataclass_fields__))


def _step(raw: Any) -> Fill | Removal:
    variant = type(raw).__name__
    if variant == "Fill":
        return Fill(**_fields(raw, Fill.__dataclass_fields__))
    return _removal(raw)


def from_anchor(name: str, data: Any) -> TradingEvent | None:
    """A typed event from anchorpy's decoded container (None for a name this SDK does not know)."""
    if name == "OrderPlaced":
        names = [n for n in OrderPlaced.__dataclass_fields__ if n != "steps"]
        return OrderPlaced(**_fields(data, names), steps=[_step(s) for s in data.steps])
    if name == "OrdersExpired":
        return OrdersExpired(
            market=data.market, timestamp=data.timestamp, orders=[_removal(r) for r in data.orders]
        )
    cls = _SIMPLE.get(name)
    if cls is None:
        return None
    event: TradingEvent = cls(**_fields(data, cls.__dataclass_fields__))
    return event


def decode_event(coder: ProgramCoder, instruction_data: bytes) -> TradingEvent | None:
    """The event carried by a self-CPI's instruction data (tag, discriminator, borsh), or None when
    the data is not one of the program's events."""
    if instruction_data[:8] != EVENT_IX_TAG_LE:
        return None
    raw = instruction_data[8:]
    if raw[:8] not in coder.coder.events.discriminators:
        return None
    event = coder.coder.events.parse(raw)
    if event is None:
        return None
    return from_anchor(event.name, event.data)
