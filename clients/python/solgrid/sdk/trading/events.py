"""The trading program's events, typed.

Trading emits each instruction's event through a self-CPI in Anchor's ``emit_cpi`` format: an inner
instruction of the program whose data is ``EVENT_IX_TAG_LE``, the event's discriminator and its borsh
bytes. :func:`decode_event` turns such instruction data into one of the dataclasses below;
``OrderPlaced.steps`` lists every fill and every resting order the order removed, in order.

A periodic market's call auction emits ``AuctionOrderPlaced`` and ``AuctionOrderCancelled`` (with the
order's epoch and its index in the epoch's auction), ``EpochCleared`` (the result, which
:mod:`solgrid.sdk.trading.clearing` recomputes from the orders) and one ``EpochSettled`` per settlement
chunk, with a ``Settlement`` per order it settled.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from solders.pubkey import Pubkey

from solgrid.sdk.anchor import ProgramCoder
from solgrid.sdk.cpi_events import EVENT_IX_TAG
from solgrid.sdk.trading.units import (
    MarketStatus,
    OrderKind,
    OrderState,
    RemovalReason,
    SelfTradeMode,
    SettlementOutcome,
    Side,
)

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
    epoch_secs: int = 0
    """0 for a continuous market, else the periodic market's auction epoch, seconds."""


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


@dataclass(frozen=True)
class AuctionOrderPlaced:
    market: Pubkey
    trader: Pubkey
    seat: int
    epoch: int
    """The epoch whose auction the order joined."""
    index: int
    """Its position in that auction (time priority; ``cancel_auction_order`` names it)."""
    order_id: int
    client_order_id: int
    side: Side
    price: int
    lots: int
    expires_at: int
    rollover: bool
    locked: int
    """What the order locked in the seat: GRID atoms for an ask, quote atoms (with the maker fee) for a
    bid."""
    lamports_paid: int
    """What the trader paid to grow the epoch account for the order."""
    timestamp: int


@dataclass(frozen=True)
class AuctionOrderCancelled:
    market: Pubkey
    trader: Pubkey
    epoch: int
    index: int
    order_id: int
    client_order_id: int
    side: Side
    price: int
    lots: int
    base_released: int
    quote_released: int
    timestamp: int


@dataclass(frozen=True)
class EpochCleared:
    """An epoch's clearing: one price for every matched order, ``price`` 0 when nothing executes."""

    market: Pubkey
    zone_id: int
    epoch: int
    starts_at: int
    ends_at: int
    price: int
    volume_lots: int
    demand_lots: int
    supply_lots: int
    total_bid_lots: int
    total_ask_lots: int
    bid_marginal_price: int
    """The bids' marginal price: bids above it fill fully, bids at it share ``bid_marginal_lots``."""
    bid_marginal_lots: int
    ask_marginal_price: int
    """The asks' marginal price: asks below it fill fully, asks at it share ``ask_marginal_lots``."""
    ask_marginal_lots: int
    reference_price: int
    orders: int
    """Live orders in the auction."""
    levels: int
    timestamp: int


@dataclass(frozen=True)
class Settlement:
    """What settling one auction order did: its fill at the clearing price, the fee, what its lock
    released, and whether its remainder rolled into the next epoch (at ``rolled_index``) or was
    refunded."""

    trader: Pubkey
    order_id: int
    client_order_id: int
    price: int
    """The order's limit price (ticks); the fill is at the epoch's clearing price."""
    filled_lots: int
    base_amount: int
    quote_amount: int
    fee: int
    base_released: int
    quote_released: int
    remaining_lots: int
    index: int
    """The order's index in the settled epoch's auction."""
    rolled_index: int
    """Index in the next epoch's auction, or ``2**32 - 1`` when the remainder did not roll."""
    side: Side
    outcome: SettlementOutcome

    @property
    def rolled(self) -> bool:
        return self.rolled_index != NOT_ROLLED


NOT_ROLLED = 2**32 - 1


@dataclass(frozen=True)
class EpochSettled:
    """One settlement chunk: orders ``from_index`` to ``to_index`` (exclusive) of ``epoch``; ``done``
    when it was the last."""

    market: Pubkey
    payer: Pubkey
    epoch: int
    from_index: int
    to_index: int
    done: bool
    lamports_paid: int
    """What the payer paid to grow the next epoch account for rolled orders."""
    timestamp: int
    settlements: list[Settlement]


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
    | AuctionOrderPlaced
    | AuctionOrderCancelled
    | EpochCleared
    | EpochSettled
)

_ENUM_FIELDS: dict[
    str,
    type[Side | OrderKind | SelfTradeMode | OrderState | RemovalReason | MarketStatus | SettlementOutcome],
] = {
    "side": Side,
    "kind": OrderKind,
    "self_trade": SelfTradeMode,
    "state": OrderState,
    "reason": RemovalReason,
    "status": MarketStatus,
    "outcome": SettlementOutcome,
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
        AuctionOrderPlaced,
        AuctionOrderCancelled,
        EpochCleared,
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
    if name == "EpochSettled":
        names = [n for n in EpochSettled.__dataclass_fields__ if n != "settlements"]
        return EpochSettled(
            **_fields(data, names),
            settlements=[Settlement(**_fields(s, Settlement.__dataclass_fields__)) for s in data.settlements],
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
