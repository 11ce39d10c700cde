"""The indexer's tables, shaped after the on-chain domain, plus the audit log and bookkeeping.

Every table is written through :mod:`solgrid.indexer.store`, which applies a transaction's events only
the first time its signature is seen, so every row here is a pure function of the indexed transactions.
Pubkeys are base58 text; amounts are ``NUMERIC(20, 0)`` because u64 does not fit a signed BIGINT (see
:class:`U64Type` for SQLite's range).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, ClassVar, cast

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Column,
    DateTime,
    Dialect,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    Numeric,
    String,
    Table,
    Text,
    TypeDecorator,
    UniqueConstraint,
    false,
    func,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

PUBKEY = String(44)
SIGNATURE = String(88)
INT64_MAX = 2**63 - 1


class U64Type(TypeDecorator[int]):
    """A u64 as ``NUMERIC(20, 0)``, read back as ``int``.

    Postgres stores every u64 exactly. SQLite has no decimal type: its integers are signed 64-bit, and
    SQLAlchemy's own Numeric would bind through ``float`` (exact only up to 2**53). So on SQLite ints
    are bound as they are (exact up to 2**63 - 1, i.e. 9.2 billion GRID in base units), and only larger
    values fall back to an approximate REAL instead of failing the batch."""

    impl = Numeric(20, 0)
    cache_ok = True

    def bind_processor(self, dialect: Dialect) -> Any:
        if dialect.name != "sqlite":
            return super().bind_processor(dialect)

        def process(value: int | None) -> int | float | None:
            return value if value is None or value <= INT64_MAX else float(value)

        return process

    def result_processor(self, dialect: Dialect, coltype: object) -> Any:
        def process(value: Any) -> int | None:
            return None if value is None else int(value)

        return process


U64 = U64Type()
ID = BigInteger().with_variant(Integer(), "sqlite")
"""SQLite only auto-increments an ``INTEGER PRIMARY KEY``."""

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)
    type_annotation_map: ClassVar[dict[Any, Any]] = {dict[str, Any]: JSON}


class EventRow:
    """The key columns of a row made by one event (mixed into its model, before the model's own
    columns): a surrogate ``id``, and the event's transaction ``signature``, ``instruction_index`` and
    ``event_index``, which each model declares unique (with a ``step`` where an event makes several
    rows)."""

    id: Mapped[int] = mapped_column(ID, primary_key=True, autoincrement=True, sort_order=-1)
    signature: Mapped[str] = mapped_column(SIGNATURE, sort_order=-1)
    instruction_index: Mapped[int] = mapped_column(Integer, sort_order=-1)
    event_index: Mapped[int] = mapped_column(Integer, sort_order=-1)


def table_of(model: type[Base]) -> Table:
    """The Core table of a model (for bulk INSERT ... ON CONFLICT and UPDATE statements)."""
    return cast(Table, model.__table__)


class Transaction(Base):
    """Every transaction the indexer has processed (the idempotence key: a signature is applied once)."""

    __tablename__ = "transactions"
    signature: Mapped[str] = mapped_column(SIGNATURE, primary_key=True)
    slot: Mapped[int] = mapped_column(BigInteger, index=True)
    block_time: Mapped[int | None] = mapped_column(BigInteger)
    succeeded: Mapped[bool] = mapped_column(Boolean)
    logs_truncated: Mapped[bool] = mapped_column(Boolean, default=False)
    """The runtime cut this transaction's logs: its events may be incomplete (see :mod:`decode`)."""
    event_count: Mapped[int] = mapped_column(Integer)
    indexed_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class Event(Base):
    """The audit log: every decoded event, keyed by where it was emitted."""

    __tablename__ = "events"
    __table_args__ = (UniqueConstraint("signature", "instruction_index", "event_index"),)
    id: Mapped[int] = mapped_column(ID, primary_key=True, autoincrement=True)
    signature: Mapped[str] = mapped_column(SIGNATURE, ForeignKey("transactions.signature"))
    instruction_index: Mapped[int] = mapped_column(Integer)
    """Index of the top-level instruction whose execution (including its CPIs) logged the event."""
    event_index: Mapped[int] = mapped_column(Integer)
    """Position of the event among that instruction's events."""
    slot: Mapped[int] = mapped_column(BigInteger, index=True)
    program: Mapped[str] = mapped_column(PUBKEY)
    name: Mapped[str] = mapped_column(String(64), index=True)
    data: Mapped[dict[str, Any]] = mapped_column(JSON)
    recovered: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    """Rebuilt from the transaction's instructions: its logs were truncated before this event (see
    :mod:`solgrid.indexer.recover` for which fields that can give)."""


class Checkpoint(Base):
    """Per program: where catch-up resumes, and up to which slot its history is accounted for."""

    __tablename__ = "checkpoints"
    program: Mapped[str] = mapped_column(PUBKEY, primary_key=True)
    signature: Mapped[str | None] = mapped_column(SIGNATURE)
    """The newest signature up to which the history is indexed without a hole (the next listing's
    ``until``); None while the program has no indexed transaction."""
    slot: Mapped[int | None] = mapped_column(BigInteger)
    """``signature``'s slot."""
    covered_slot: Mapped[int] = mapped_column(BigInteger)
    """Every transaction of the program in a slot up to this one is stored, or lies in a recorded
    ``history_gaps`` row (see :mod:`solgrid.indexer.gaps`)."""
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class Alert(Base):
    """Something an operator must look at (e.g. a transaction whose logs were truncated)."""

    __tablename__ = "alerts"
    id: Mapped[int] = mapped_column(ID, primary_key=True, autoincrement=True)
    signature: Mapped[str | None] = mapped_column(SIGNATURE, index=True)
    """The transaction the alert is about (for ``history_gap``: the checkpoint the gap starts after;
    None when the gap starts at the program's first transaction)."""
    kind: Mapped[str] = mapped_column(String(32))
    message: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    resolved_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    """When what the alert names was repaired (a history gap backfilled); None while it stands."""


class HistoryGap(Base):
    """A stretch of a program's history the RPC node no longer had when the indexer needed it: its
    transactions may be missing from the database until it is backfilled from an archive node."""

    __tablename__ = "history_gaps"
    id: Mapped[int] = mapped_column(ID, primary_key=True, autoincrement=True)
    program: Mapped[str] = mapped_column(PUBKEY, index=True)
    after_slot: Mapped[int | None] = mapped_column(BigInteger)
    """History up to this slot was indexed (None: nothing was, the gap starts at the beginning)."""
    after_signature: Mapped[str | None] = mapped_column(SIGNATURE)
    """The checkpoint when the gap was found (``until`` for the archive's listing)."""
    before_slot: Mapped[int] = mapped_column(BigInteger)
    """The node served the program's history from this slot on; the gap is the slots in between."""
    before_signature: Mapped[str | None] = mapped_column(SIGNATURE)
    """The oldest signature of the program the node still listed (``before`` for the archive's
    listing); None when it listed none."""
    rpc_url: Mapped[str] = mapped_column(Text)
    """The node whose history ended there."""
    alert_id: Mapped[int | None] = mapped_column(ID, ForeignKey("alerts.id"))
    detected_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    resolved_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    resolved_by: Mapped[str | None] = mapped_column(Text)
    """The archive node the gap was backfilled from."""
    backfilled: Mapped[int | None] = mapped_column(Integer)
    """Transactions of the program the archive listed in the gap (stored, or already stored)."""


class GridZone(Base):
    __tablename__ = "grid_zones"
    zone_id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    address: Mapped[str] = mapped_column(PUBKEY)
    name: Mapped[str] = mapped_column(String(64))
    max_capacity_kw: Mapped[int] = mapped_column(U64)
    status: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[int] = mapped_column(BigInteger)
    """On-chain timestamp (unix seconds) of the ZoneCreated event."""
    emission_factor: Mapped[int | None] = mapped_column(Integer)
    """g CO2 per kWh of the zone's grid mix (its latest EmissionFactorSet); None until one is indexed."""


class User(Base):
    __tablename__ = "users"
    address: Mapped[str] = mapped_column(PUBKEY, primary_key=True)
    """The User PDA."""
    authority: Mapped[str] = mapped_column(PUBKEY, index=True)
    role: Mapped[str] = mapped_column(String(16))
    zone_id: Mapped[int] = mapped_column(BigInteger)
    user_index: Mapped[int] = mapped_column(U64)
    status: Mapped[str] = mapped_column(String(16))
    registered_at: Mapped[int] = mapped_column(BigInteger)


class Meter(Base):
    __tablename__ = "meters"
    address: Mapped[str] = mapped_column(PUBKEY, primary_key=True)
    serial: Mapped[str] = mapped_column(String(64))
    owner: Mapped[str] = mapped_column(PUBKEY, index=True)
    zone_id: Mapped[int] = mapped_column(BigInteger, index=True)
    device_key: Mapped[str] = mapped_column(PUBKEY)
    source: Mapped[str] = mapped_column(String(16))
    capacity_w: Mapped[int] = mapped_column(U64)
    status: Mapped[str] = mapped_column(String(16))
    produced_wh: Mapped[int] = mapped_column(U64, default=0)
    consumed_wh: Mapped[int] = mapped_column(U64, default=0)
    settled_wh: Mapped[int] = mapped_column(U64, default=0)
    registered_at: Mapped[int] = mapped_column(BigInteger)
    certificate_wh: Mapped[int] = mapped_column(U64, default=0, server_default="0")
    """Renewable Wh covered by certificates (the sum of its requested certificates' volumes, revoked ones
    included: the registry never certifies that production again)."""
    certificate_until: Mapped[int | None] = mapped_column(BigInteger)
    """End of the last generation interval a certificate covers; None before the first request."""


class MeterReading(Base):
    __tablename__ = "meter_readings"
    __table_args__ = (UniqueConstraint("meter", "window_start"),)
    id: Mapped[int] = mapped_column(ID, primary_key=True, autoincrement=True)
    meter: Mapped[str] = mapped_column(PUBKEY)
    window_start: Mapped[int] = mapped_column(BigInteger)
    window_end: Mapped[int] = mapped_column(BigInteger)
    production_wh: Mapped[int] = mapped_column(BigInteger)
    consumption_wh: Mapped[int] = mapped_column(BigInteger)
    produced_wh: Mapped[int | None] = mapped_column(U64)
    """The meter's cumulative production after this reading (the event's ``produced_wh``)."""
    consumed_wh: Mapped[int | None] = mapped_column(U64)
    signature: Mapped[str] = mapped_column(SIGNATURE)
    slot: Mapped[int] = mapped_column(BigInteger)


class TokenMint(EventRow, Base):
    __tablename__ = "token_mints"
    __table_args__ = (UniqueConstraint("signature", "instruction_index", "event_index"),)
    meter: Mapped[str] = mapped_column(PUBKEY, index=True)
    owner: Mapped[str] = mapped_column(PUBKEY, index=True)
    destination: Mapped[str] = mapped_column(PUBKEY)
    amount_wh: Mapped[int] = mapped_column(U64)
    amount: Mapped[int] = mapped_column(U64)
    slot: Mapped[int] = mapped_column(BigInteger)


class Burn(EventRow, Base):
    __tablename__ = "burns"
    __table_args__ = (UniqueConstraint("signature", "instruction_index", "event_index"),)
    holder: Mapped[str] = mapped_column(PUBKEY, index=True)
    token_account: Mapped[str] = mapped_column(PUBKEY)
    amount: Mapped[int] = mapped_column(U64)
    slot: Mapped[int] = mapped_column(BigInteger)


class Settlement(EventRow, Base):
    """MeterSettled: the registry's side of a settle_and_mint (how much surplus was settled)."""

    __tablename__ = "settlements"
    __table_args__ = (UniqueConstraint("signature", "instruction_index", "event_index"),)
    meter: Mapped[str] = mapped_column(PUBKEY, index=True)
    owner: Mapped[str] = mapped_column(PUBKEY)
    amount_wh: Mapped[int] = mapped_column(U64)
    settled_wh: Mapped[int] = mapped_column(U64)
    slot: Mapped[int] = mapped_column(BigInteger)


# -- trading -----------------------------------------------------------------------------------------
# Quantities are lots of the market's lot_size_wh Wh, or Wh; prices are ticks of tick_size quote atoms
# per kWh, or quote atoms per kWh (divide by 10^quote_decimals for quote units). Times are the on-chain
# clock (unix seconds) of the event. See docs/indexer.md, "Trading" and "Call auctions".


class Market(Base):
    """A trading market (MarketCreated), with the parameters of its latest MarketUpdated."""

    __tablename__ = "markets"
    address: Mapped[str] = mapped_column(PUBKEY, primary_key=True)
    zone_id: Mapped[int] = mapped_column(BigInteger, index=True)
    base_mint: Mapped[str] = mapped_column(PUBKEY)
    quote_mint: Mapped[str] = mapped_column(PUBKEY)
    quote_decimals: Mapped[int | None] = mapped_column(Integer)
    """From the create_market transaction's token balances (its new quote vault); None if it shows none."""
    base_vault: Mapped[str] = mapped_column(PUBKEY)
    quote_vault: Mapped[str] = mapped_column(PUBKEY)
    fee_recipient: Mapped[str] = mapped_column(PUBKEY)
    tick_size: Mapped[int] = mapped_column(U64)
    """Quote atoms per kWh of one price tick."""
    lot_size_wh: Mapped[int] = mapped_column(U64)
    min_order_lots: Mapped[int] = mapped_column(U64)
    taker_fee_bps: Mapped[int] = mapped_column(Integer)
    maker_fee_bps: Mapped[int] = mapped_column(Integer)
    max_orders_per_epoch: Mapped[int] = mapped_column(BigInteger)
    status: Mapped[str] = mapped_column(String(16))
    mode: Mapped[str] = mapped_column(String(16), server_default="continuous")
    """``continuous`` (an order book) or ``periodic`` (a call auction per epoch of ``epoch_secs``)."""
    epoch_secs: Mapped[int] = mapped_column(BigInteger, server_default="0")
    """Length of a periodic market's epochs in seconds; 0 for a continuous market."""
    signature: Mapped[str] = mapped_column(SIGNATURE)
    """The create_market transaction."""
    created_slot: Mapped[int] = mapped_column(BigInteger)
    created_at: Mapped[int] = mapped_column(BigInteger)
    updated_slot: Mapped[int] = mapped_column(BigInteger)
    updated_at: Mapped[int] = mapped_column(BigInteger)


class Order(Base):
    """One row per order (OrderPlaced, or AuctionOrderPlaced in a periodic market), its fills and state
    summed up from its ``order_states``. An auction order keeps its row (and ``order_id``) when what it
    did not trade rolls into the next epoch's auction."""

    __tablename__ = "orders"
    __table_args__ = (
        # migration 0010: a market's resting book (remaining_lots > 0), and with it the orders the price
        # buckets' recomputation reads (resting, or changed since a time)
        Index("ix_orders_market_remaining_lots", "market", "remaining_lots"),
        Index("ix_orders_market_updated_at", "market", "updated_at"),
    )
    market: Mapped[str] = mapped_column(PUBKEY, primary_key=True)
    order_id: Mapped[int] = mapped_column(U64, primary_key=True)
    trader: Mapped[str] = mapped_column(PUBKEY, index=True)
    seat: Mapped[int] = mapped_column(BigInteger)
    side: Mapped[str] = mapped_column(String(8))
    kind: Mapped[str] = mapped_column(String(24))
    """Limit, PostOnly, ImmediateOrCancel; Auction for an order of a periodic market."""
    self_trade: Mapped[str | None] = mapped_column(String(24))
    """None for an auction order (the auction has no self-trade rule)."""
    price: Mapped[int] = mapped_column(U64)
    """Limit price in ticks."""
    lots: Mapped[int] = mapped_column(U64)
    """The order's size as placed; lots = filled_lots + cancelled_lots + remaining_lots."""
    filled_lots: Mapped[int] = mapped_column(U64)
    """Traded: as a taker when placed, then as a maker."""
    cancelled_lots: Mapped[int] = mapped_column(U64)
    """Dropped without trading: IOC remainder, self-trade decrements, cancel, expiry."""
    remaining_lots: Mapped[int] = mapped_column(U64)
    """Resting on the book."""
    client_order_id: Mapped[int] = mapped_column(U64)
    expires_at: Mapped[int] = mapped_column(BigInteger)
    """Unix time; 0: good till cancelled."""
    state: Mapped[str] = mapped_column(String(16), index=True)
    """Active, PartiallyFilled, Filled, Cancelled or Expired."""
    epoch: Mapped[int | None] = mapped_column(U64)
    """Auction orders: the epoch of the latest auction the order joined (placed, or rolled into)."""
    auction_index: Mapped[int | None] = mapped_column(BigInteger)
    """Auction orders: its index in that auction (time priority)."""
    rollover: Mapped[bool | None] = mapped_column(Boolean)
    """Auction orders: what an auction does not match rolls into the next epoch (else it is refunded)."""
    signature: Mapped[str] = mapped_column(SIGNATURE)
    """The place_order (place_auction_order) transaction."""
    placed_slot: Mapped[int] = mapped_column(BigInteger)
    placed_at: Mapped[int] = mapped_column(BigInteger)
    updated_slot: Mapped[int] = mapped_column(BigInteger)
    updated_at: Mapped[int] = mapped_column(BigInteger)


class OrderStateChange(EventRow, Base):
    """An order's state history: its placement and every later change, with the event that caused it
    (``step`` is the position in the event's ``steps`` / ``orders``; -1 for the event's own order; in an
    ``EpochSettled``, 2 x the settlement's position for its fill and 2 x position + 1 for what became
    of the rest: rolled or expired)."""

    __tablename__ = "order_states"
    __table_args__ = (
        UniqueConstraint("signature", "instruction_index", "event_index", "step"),
        Index("ix_order_states_market_order_id", "market", "order_id"),
        Index("ix_order_states_market_timestamp", "market", "timestamp"),
        Index("ix_order_states_market_epoch", "market", "epoch"),
    )
    step: Mapped[int] = mapped_column(Integer)
    market: Mapped[str] = mapped_column(PUBKEY)
    order_id: Mapped[int] = mapped_column(U64)
    trader: Mapped[str] = mapped_column(PUBKEY)
    side: Mapped[str] = mapped_column(String(8))
    price: Mapped[int] = mapped_column(U64)
    change: Mapped[str] = mapped_column(String(24))
    """placed, filled, cancelled, expired, self_trade_cancelled, self_trade_decremented; rolled (an
    auction order's remainder joined the next epoch's auction)."""
    filled_lots: Mapped[int] = mapped_column(U64)
    cancelled_lots: Mapped[int] = mapped_column(U64)
    remaining_lots: Mapped[int] = mapped_column(U64)
    """Resting after the change (for ``placed``: what rested)."""
    state: Mapped[str] = mapped_column(String(16))
    """The order's state after the change."""
    epoch: Mapped[int | None] = mapped_column(U64)
    """Auction orders: the auction the change happened in (for ``rolled``: the one the rest joined)."""
    auction_index: Mapped[int | None] = mapped_column(BigInteger)
    """Auction orders: the order's index in that auction."""
    slot: Mapped[int] = mapped_column(BigInteger)
    timestamp: Mapped[int] = mapped_column(BigInteger)


class Trade(EventRow, Base):
    """One row per fill. A continuous market's fill pairs a resting order (maker) with the incoming one
    (taker). An auction fill (``epoch`` set) is one order's execution at its epoch's clearing price
    against the auction, which has no counterparty: the order is in the maker columns (every auction
    order rests and pays its maker fee rate), the taker columns are empty, and each lot appears twice,
    once in a bid's fill and once in an ask's."""

    __tablename__ = "trades"
    __table_args__ = (
        UniqueConstraint("signature", "instruction_index", "event_index", "step"),
        Index("ix_trades_market_timestamp", "market", "timestamp"),
        Index("ix_trades_zone_id_timestamp", "zone_id", "timestamp"),
    )
    step: Mapped[int] = mapped_column(Integer)
    """Position of the fill in OrderPlaced.steps (EpochSettled.settlements)."""
    market: Mapped[str] = mapped_column(PUBKEY)
    zone_id: Mapped[int | None] = mapped_column(BigInteger)
    """None only until the market's MarketCreated is indexed."""
    maker: Mapped[str] = mapped_column(PUBKEY, index=True)
    """The resting order's trader (an auction fill: the filled order's trader)."""
    taker: Mapped[str | None] = mapped_column(PUBKEY, index=True)
    """The incoming order's trader; None for an auction fill."""
    maker_order_id: Mapped[int] = mapped_column(U64)
    taker_order_id: Mapped[int | None] = mapped_column(U64)
    maker_side: Mapped[str] = mapped_column(String(8))
    """Bid or Ask: the side of the maker order (of the filled order, for an auction fill)."""
    taker_side: Mapped[str | None] = mapped_column(String(8))
    epoch: Mapped[int | None] = mapped_column(U64)
    """An auction fill's epoch; None for a continuous market's fill."""
    price_ticks: Mapped[int | None] = mapped_column(U64)
    """An auction fill: its epoch's clearing price, None only until the EpochCleared is indexed."""
    price: Mapped[int] = mapped_column(U64)
    """Quote atoms per kWh."""
    lots: Mapped[int] = mapped_column(U64)
    energy_wh: Mapped[int] = mapped_column(U64)
    base_amount: Mapped[int] = mapped_column(U64)
    """GRID atoms (10^6 per Wh)."""
    quote_amount: Mapped[int] = mapped_column(U64)
    """Quote atoms, before fees."""
    maker_fee: Mapped[int] = mapped_column(U64)
    taker_fee: Mapped[int] = mapped_column(U64)
    """0 for an auction fill."""
    slot: Mapped[int] = mapped_column(BigInteger)
    timestamp: Mapped[int] = mapped_column(BigInteger)
    """An auction fill: the time of the settlement chunk that settled it."""


class PriceBucket(Base):
    """Per market and 15-minute bucket: OHLCV and VWAP of its trades, and the book at the bucket's end.
    A bucket has a row when the market had a trade or an order change in it. Volumes count each lot
    once: an auction's bid-side fills (its ask-side fills are the same lots)."""

    __tablename__ = "price_history"
    market: Mapped[str] = mapped_column(PUBKEY, primary_key=True)
    bucket_start: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    """Unix time, a multiple of 900."""
    zone_id: Mapped[int] = mapped_column(BigInteger, index=True)
    open: Mapped[int | None] = mapped_column(U64)
    """Quote atoms per kWh; open..vwap are None in a bucket without trades."""
    high: Mapped[int | None] = mapped_column(U64)
    low: Mapped[int | None] = mapped_column(U64)
    close: Mapped[int | None] = mapped_column(U64)
    vwap: Mapped[int | None] = mapped_column(U64)
    """volume_quote * 1000 / volume_wh, rounded to the nearest atom (halves up)."""
    volume_wh: Mapped[int] = mapped_column(U64)
    volume_quote: Mapped[int] = mapped_column(U64)
    trade_count: Mapped[int] = mapped_column(Integer)
    ask_wh: Mapped[int] = mapped_column(U64)
    """Supply: resting asks at the bucket's end (orders expired by then excluded); in a periodic market,
    the asks waiting in an auction."""
    bid_wh: Mapped[int] = mapped_column(U64)
    """Demand: resting bids at the bucket's end (orders expired by then excluded); in a periodic market,
    the bids waiting in an auction."""


# -- call auctions (periodic markets) ------------------------------------------------------------------


class Epoch(Base):
    """One epoch of a periodic market: its clearing (EpochCleared, None until indexed), what its order
    events add up to, and its settlement so far (EpochSettled chunks)."""

    __tablename__ = "epochs"
    __table_args__ = (Index("ix_epochs_zone_id_epoch", "zone_id", "epoch"),)
    market: Mapped[str] = mapped_column(PUBKEY, primary_key=True)
    epoch: Mapped[int] = mapped_column(U64, primary_key=True)
    """E: the auction of [E * epoch_secs, (E + 1) * epoch_secs)."""
    zone_id: Mapped[int | None] = mapped_column(BigInteger)
    starts_at: Mapped[int | None] = mapped_column(BigInteger)
    ends_at: Mapped[int | None] = mapped_column(BigInteger)
    """The gate closure. starts_at / ends_at are None only until the market or the clearing is indexed."""
    state: Mapped[str] = mapped_column(String(16))
    """Collecting (not cleared), PriceFixed (cleared, settling), Settled (the last chunk indexed)."""
    tick_size: Mapped[int | None] = mapped_column(U64)
    """The tick (quote atoms per kWh) and lot (Wh) of this epoch's prices and lots: those in force at the
    clearing, or now; None until the market is indexed."""
    lot_size_wh: Mapped[int | None] = mapped_column(U64)
    # EpochCleared (None until it is indexed)
    price: Mapped[int | None] = mapped_column(U64)
    """Clearing price in ticks; 0 when nothing executed."""
    price_per_kwh: Mapped[int | None] = mapped_column(U64)
    """Clearing price in quote atoms per kWh."""
    reference_price: Mapped[int | None] = mapped_column(U64)
    """The previous clearing price the tie-break used (0: none)."""
    volume_lots: Mapped[int | None] = mapped_column(U64)
    """Lots executed on each side."""
    volume_wh: Mapped[int | None] = mapped_column(U64)
    demand_lots: Mapped[int | None] = mapped_column(U64)
    """D(price): bid lots limited at the price or above."""
    supply_lots: Mapped[int | None] = mapped_column(U64)
    """S(price): ask lots limited at the price or below."""
    total_bid_lots: Mapped[int | None] = mapped_column(U64)
    total_ask_lots: Mapped[int | None] = mapped_column(U64)
    bid_marginal_price: Mapped[int | None] = mapped_column(U64)
    bid_marginal_lots: Mapped[int | None] = mapped_column(U64)
    """Lots the bids limited at bid_marginal_price shared by time priority."""
    ask_marginal_price: Mapped[int | None] = mapped_column(U64)
    ask_marginal_lots: Mapped[int | None] = mapped_column(U64)
    cleared_orders: Mapped[int | None] = mapped_column(BigInteger)
    """Orders in the auction at its clearing (not cancelled)."""
    cleared_levels: Mapped[int | None] = mapped_column(BigInteger)
    """Price levels of the auction at its clearing."""
    cleared_signature: Mapped[str | None] = mapped_column(SIGNATURE)
    cleared_instruction_index: Mapped[int | None] = mapped_column(Integer)
    cleared_event_index: Mapped[int | None] = mapped_column(Integer)
    cleared_slot: Mapped[int | None] = mapped_column(BigInteger)
    cleared_at: Mapped[int | None] = mapped_column(BigInteger)
    # recomputed from the order events and the settlements indexed so far
    placed_orders: Mapped[int] = mapped_column(BigInteger)
    """Orders placed into this auction (AuctionOrderPlaced)."""
    rolled_in: Mapped[int] = mapped_column(BigInteger)
    """Orders rolled into it from the previous epoch."""
    cancelled_orders: Mapped[int] = mapped_column(BigInteger)
    settled_orders: Mapped[int] = mapped_column(BigInteger)
    """Orders settled so far (a Settlement each)."""
    matched_orders: Mapped[int] = mapped_column(BigInteger)
    """Settled orders that traded."""
    rolled_out: Mapped[int] = mapped_column(BigInteger)
    """Settled orders whose rest rolled into the next epoch."""
    expired_orders: Mapped[int] = mapped_column(BigInteger)
    """Settled orders whose rest was refunded."""
    settled_lots: Mapped[int] = mapped_column(U64)
    """Lots the settled bids traded (volume_lots once settled)."""
    quote_amount: Mapped[int] = mapped_column(U64)
    """Quote atoms the settled bids paid (before fees; what the asks received)."""
    fees: Mapped[int] = mapped_column(U64)
    """Fees charged to the settled orders."""
    settled_signature: Mapped[str | None] = mapped_column(SIGNATURE)
    """The chunk that finished the settlement (EpochSettled with done)."""
    settled_instruction_index: Mapped[int | None] = mapped_column(Integer)
    settled_event_index: Mapped[int | None] = mapped_column(Integer)
    settled_slot: Mapped[int | None] = mapped_column(BigInteger)
    settled_at: Mapped[int | None] = mapped_column(BigInteger)


class EpochLevel(Base):
    """An epoch's supply and demand per price level, recomputed from its order events (placed, rolled
    in, cancelled): the curves its clearing price came from."""

    __tablename__ = "epoch_levels"
    market: Mapped[str] = mapped_column(PUBKEY, primary_key=True)
    epoch: Mapped[int] = mapped_column(U64, primary_key=True)
    price: Mapped[int] = mapped_column(U64, primary_key=True)
    """Ticks."""
    bid_lots: Mapped[int] = mapped_column(U64)
    """Lots bid with this limit."""
    ask_lots: Mapped[int] = mapped_column(U64)
    demand_lots: Mapped[int] = mapped_column(U64)
    """D(price): lots bid at this price or above."""
    supply_lots: Mapped[int] = mapped_column(U64)
    """S(price): lots asked at this price or below."""


class AuctionSettlement(EventRow, Base):
    """What settling one auction order did (a ``Settlement`` of an EpochSettled chunk)."""

    __tablename__ = "epoch_settlements"
    __table_args__ = (
        UniqueConstraint("signature", "instruction_index", "event_index", "step"),
        Index("ix_epoch_settlements_market_epoch", "market", "epoch"),
    )
    step: Mapped[int] = mapped_column(Integer)
    """Position in EpochSettled.settlements."""
    market: Mapped[str] = mapped_column(PUBKEY)
    epoch: Mapped[int] = mapped_column(U64)
    auction_index: Mapped[int] = mapped_column(BigInteger)
    order_id: Mapped[int] = mapped_column(U64)
    trader: Mapped[str] = mapped_column(PUBKEY, index=True)
    client_order_id: Mapped[int] = mapped_column(U64)
    side: Mapped[str] = mapped_column(String(8))
    price: Mapped[int] = mapped_column(U64)
    """The order's limit (ticks); it traded at the clearing price."""
    filled_lots: Mapped[int] = mapped_column(U64)
    base_amount: Mapped[int] = mapped_column(U64)
    """GRID atoms delivered (ask) or received (bid)."""
    quote_amount: Mapped[int] = mapped_column(U64)
    """Quote atoms paid (bid) or received (ask), before fees."""
    fee: Mapped[int] = mapped_column(U64)
    base_released: Mapped[int] = mapped_column(U64)
    """An ask's refund (GRID atoms)."""
    quote_released: Mapped[int] = mapped_column(U64)
    """A bid's refund (quote atoms): its limit minus the clearing price, unused fee, an unmatched rest."""
    remaining_lots: Mapped[int] = mapped_column(U64)
    rolled_index: Mapped[int | None] = mapped_column(BigInteger)
    """The rest's index in the next epoch's auction; None when it did not roll."""
    outcome: Mapped[str] = mapped_column(String(24))
    """Filled, PartiallyFilledRolled, PartiallyFilledExpired, Rolled, Expired, PartiallyFilledEpochFull or
    EpochFull (the last two: refunded because the next epoch was full)."""
    slot: Mapped[int] = mapped_column(BigInteger)
    timestamp: Mapped[int] = mapped_column(BigInteger)


# -- governance: certificates, proposals, pauses ---------------------------------------------------
# Volumes in Wh, CO2 in grams, times the on-chain clock (unix seconds) of the event, or the block time
# when the event carries none. See docs/indexer.md, "Governance and certificates".


class Certificate(Base):
    """One row per renewable-energy certificate, requested or split off another, in its current state:
    recomputed from its ``certificate_events`` (and its parent's header, for a split child)."""

    __tablename__ = "certificates"
    address: Mapped[str] = mapped_column(PUBKEY, primary_key=True)
    original: Mapped[str | None] = mapped_column(PUBKEY, index=True)
    """The requested certificate its volume came from (itself for a requested one); None until the
    request is indexed."""
    parent: Mapped[str | None] = mapped_column(PUBKEY, index=True)
    """The certificate it was split off (None for a requested one)."""
    split_index: Mapped[int | None] = mapped_column(Integer)
    """Its index among its parent's splits (None for a requested one)."""
    meter: Mapped[str | None] = mapped_column(PUBKEY, index=True)
    zone_id: Mapped[int | None] = mapped_column(BigInteger, index=True)
    source: Mapped[str | None] = mapped_column(String(16))
    generation_start: Mapped[int | None] = mapped_column(BigInteger)
    generation_end: Mapped[int | None] = mapped_column(BigInteger)
    """The generation interval [start, end). The header columns (meter .. generation_end, requested_at,
    issued_at, issuer, expires_at, emission_factor) are None until the event that sets them is indexed."""
    initial_volume_wh: Mapped[int | None] = mapped_column(U64)
    """Its volume when it was requested or split off."""
    volume_wh: Mapped[int] = mapped_column(U64)
    """Its volume now (a parent keeps what its splits did not take)."""
    co2_avoided_g: Mapped[int] = mapped_column(U64)
    """CO2 its volume avoided at its zone's emission factor (0 until validated)."""
    emission_factor: Mapped[int | None] = mapped_column(Integer)
    """g CO2 per kWh its validation used."""
    status: Mapped[str] = mapped_column(String(16), index=True)
    """Pending, Valid, Retired, Revoked or Expired (a Valid one past ``expires_at`` that nobody marked
    Expired yet stays Valid, as on chain)."""
    effective_status: Mapped[str] = mapped_column(String(16), server_default="Pending")
    """``status`` as the program acts on it: Revoked for a Valid certificate split off an original that
    was revoked (Revoked, or Retired or Expired with a ``revoke_reason``: its lineage revoked); its
    stored status stays Valid, but the program refuses to transfer, split or retire it
    (``OriginalRevoked``). Else ``status``. The clock is not in it: a Valid one from ``expires_at`` on is
    lapsed (see the ``carbon_credits`` view)."""
    owner: Mapped[str | None] = mapped_column(PUBKEY, index=True)
    split_count: Mapped[int] = mapped_column(Integer)
    requested_at: Mapped[int | None] = mapped_column(BigInteger)
    issued_at: Mapped[int | None] = mapped_column(BigInteger)
    issuer: Mapped[str | None] = mapped_column(PUBKEY)
    """The regulator that validated it."""
    expires_at: Mapped[int | None] = mapped_column(BigInteger)
    retired_at: Mapped[int | None] = mapped_column(BigInteger)
    revoke_reason: Mapped[str | None] = mapped_column(Text)
    """Set by a revocation: a Revoked certificate's, or a Retired or Expired original's whose lineage a
    quorum revoked (it keeps its status; the program's ``lineage_revoked``)."""
    created_signature: Mapped[str | None] = mapped_column(SIGNATURE)
    """The request (or split) transaction; None until it is indexed."""
    created_slot: Mapped[int | None] = mapped_column(BigInteger)
    updated_slot: Mapped[int] = mapped_column(BigInteger)
    updated_at: Mapped[int | None] = mapped_column(BigInteger)


class CertificateChange(EventRow, Base):
    """A certificate's history: every change, keyed by the event that made it (``step`` 0; a split's
    child gets ``step`` 1), with the certificate's status, owner, volume and CO2 after it."""

    __tablename__ = "certificate_events"
    __table_args__ = (
        UniqueConstraint("signature", "instruction_index", "event_index", "step"),
        Index("ix_certificate_events_certificate_slot", "certificate", "slot"),
    )
    step: Mapped[int] = mapped_column(Integer)
    certificate: Mapped[str] = mapped_column(PUBKEY)
    change: Mapped[str] = mapped_column(String(16))
    """requested, validated, transferred, split (part of it moved to ``related``), split_from (created
    from ``related``), retired, revoked, expired."""
    related: Mapped[str | None] = mapped_column(PUBKEY, index=True)
    """The other certificate of a split (the child for ``split``, the parent for ``split_from``)."""
    actor: Mapped[str | None] = mapped_column(PUBKEY)
    """Who made the change: the owner (request, transfer, split, retirement), the validating regulator,
    the governance PDA (a revocation by an executed proposal); None for an expiry (anyone) and for a
    revocation co-signed by regulators (``cosigners``)."""
    cosigners: Mapped[list[str] | None] = mapped_column(JSON)
    """The regulators who co-signed a revocation without a proposal."""
    proposal: Mapped[str | None] = mapped_column(PUBKEY)
    """The executed proposal that made the change, if one did."""
    status: Mapped[str] = mapped_column(String(16))
    owner: Mapped[str | None] = mapped_column(PUBKEY)
    volume_wh: Mapped[int] = mapped_column(U64)
    co2_avoided_g: Mapped[int] = mapped_column(U64)
    data: Mapped[dict[str, Any]] = mapped_column(JSON)
    """The event's fields."""
    recovered: Mapped[bool] = mapped_column(Boolean)
    """Rebuilt from a transaction whose logs were truncated (see :mod:`solgrid.indexer.recover`)."""
    slot: Mapped[int] = mapped_column(BigInteger)
    timestamp: Mapped[int | None] = mapped_column(BigInteger)


CERTIFICATE_CHANGES = (
    "requested",
    "validated",
    "transferred",
    "split",
    "split_from",
    "retired",
    "revoked",
    "expired",
)
"""The values of ``certificate_events.change``."""


class Retirement(EventRow, Base):
    """A certificate's retirement (CertificateRetired): the proof of who used the energy, for what."""

    __tablename__ = "retirements"
    __table_args__ = (UniqueConstraint("signature", "instruction_index", "event_index"),)
    certificate: Mapped[str] = mapped_column(PUBKEY, index=True)
    owner: Mapped[str] = mapped_column(PUBKEY, index=True)
    """Who retired it (its owner then; the CO2 stays credited to them as retired)."""
    beneficiary: Mapped[str] = mapped_column(PUBKEY, index=True)
    beneficiary_name: Mapped[str] = mapped_column(Text)
    purpose: Mapped[str] = mapped_column(Text)
    consumption_start: Mapped[int] = mapped_column(BigInteger)
    consumption_end: Mapped[int] = mapped_column(BigInteger)
    retired_at: Mapped[int | None] = mapped_column(BigInteger)
    """The event's clock; for a retirement rebuilt from truncated logs the block time, None when the node
    gave none."""
    volume_wh: Mapped[int] = mapped_column(U64)
    co2_avoided_g: Mapped[int] = mapped_column(U64)
    meter: Mapped[str | None] = mapped_column(PUBKEY)
    zone_id: Mapped[int | None] = mapped_column(BigInteger)
    """The certificate's meter and zone (None until its request is indexed)."""
    slot: Mapped[int] = mapped_column(BigInteger)


class Proposal(Base):
    """A governance proposal: its creation, its votes so far (from ``approvals``), its execution,
    cancellation or closing. Columns an event sets are None until that event is indexed."""

    __tablename__ = "proposals"
    address: Mapped[str] = mapped_column(PUBKEY, primary_key=True)
    proposal_id: Mapped[int] = mapped_column(U64, index=True)
    proposer: Mapped[str | None] = mapped_column(PUBKEY, index=True)
    target_program: Mapped[str | None] = mapped_column(PUBKEY)
    title: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[int | None] = mapped_column(BigInteger)
    expires_at: Mapped[int | None] = mapped_column(BigInteger)
    """Its deadline: Open past it means expired (it can no longer be voted on or executed)."""
    timelock_secs: Mapped[int | None] = mapped_column(BigInteger)
    account_count: Mapped[int | None] = mapped_column(Integer)
    data_len: Mapped[int | None] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(16), index=True)
    """Open, Executed, Cancelled, Rejected, or Expired (closed after its deadline without executing)."""
    approvals: Mapped[int] = mapped_column(Integer)
    rejections: Mapped[int] = mapped_column(Integer)
    """Votes of current regulators after its latest vote (a removed regulator's vote no longer counts)."""
    threshold: Mapped[int | None] = mapped_column(Integer)
    """The registry's threshold at its latest vote."""
    quorum_at: Mapped[int | None] = mapped_column(BigInteger)
    """When approvals reached the threshold (the timelock runs from then); None before."""
    executed_at: Mapped[int | None] = mapped_column(BigInteger)
    executed_signature: Mapped[str | None] = mapped_column(SIGNATURE)
    cancelled_at: Mapped[int | None] = mapped_column(BigInteger)
    cancelled_by: Mapped[str | None] = mapped_column(PUBKEY)
    cancelled_signature: Mapped[str | None] = mapped_column(SIGNATURE)
    closed_signature: Mapped[str | None] = mapped_column(SIGNATURE)
    """The close_proposal transaction (its account's rent went back to the proposer)."""
    closed_status: Mapped[str | None] = mapped_column(String(16))
    created_signature: Mapped[str | None] = mapped_column(SIGNATURE)
    created_slot: Mapped[int | None] = mapped_column(BigInteger)
    updated_slot: Mapped[int] = mapped_column(BigInteger)


class Approval(EventRow, Base):
    """A regulator's vote on a proposal (VoteCast): an approval or a rejection, with the counts after it."""

    __tablename__ = "approvals"
    __table_args__ = (
        UniqueConstraint("signature", "instruction_index", "event_index"),
        Index("ix_approvals_proposal_slot", "proposal", "slot"),
    )
    proposal: Mapped[str] = mapped_column(PUBKEY)
    proposal_id: Mapped[int] = mapped_column(U64)
    regulator: Mapped[str] = mapped_column(PUBKEY, index=True)
    approve: Mapped[bool] = mapped_column(Boolean)
    """True for an approval, False for a rejection."""
    approvals: Mapped[int] = mapped_column(Integer)
    rejections: Mapped[int] = mapped_column(Integer)
    threshold: Mapped[int] = mapped_column(Integer)
    quorum_at: Mapped[int | None] = mapped_column(BigInteger)
    status: Mapped[str] = mapped_column(String(16))
    """The proposal's status after the vote (Open, or Rejected when quorum became impossible)."""
    slot: Mapped[int] = mapped_column(BigInteger)
    timestamp: Mapped[int] = mapped_column(BigInteger)


class Pause(EventRow, Base):
    """Each pause and resume (the registry's Paused / Resumed), of a zone or of the whole market."""

    __tablename__ = "pauses"
    __table_args__ = (
        UniqueConstraint("signature", "instruction_index", "event_index"),
        Index("ix_pauses_zone_id_slot", "zone_id", "slot"),
    )
    action: Mapped[str] = mapped_column(String(8))
    """pause or resume."""
    zone_id: Mapped[int | None] = mapped_column(BigInteger)
    """None: market-wide."""
    flags: Mapped[int] = mapped_column(Integer)
    """What was paused or resumed: READINGS = 1, MINTING = 2, TRADING = 4."""
    paused: Mapped[int] = mapped_column(Integer)
    """The scope's flags afterwards (the zone's own, or the market's)."""
    by: Mapped[str | None] = mapped_column(PUBKEY)
    """The pausing regulator, or the governance PDA (an executed proposal); None for a resume co-signed
    by regulators (``cosigners``)."""
    cosigners: Mapped[list[str] | None] = mapped_column(JSON)
    """The regulators who co-signed a resume without a proposal."""
    proposal: Mapped[str | None] = mapped_column(PUBKEY)
    """The executed proposal that paused or resumed, if one did."""
    slot: Mapped[int] = mapped_column(BigInteger)
    timestamp: Mapped[int | None] = mapped_column(BigInteger)
    """The block time (the events carry no clock)."""


VIEWS = MetaData(naming_convention=NAMING)
"""Views (created by the migrations; not tables, so not in ``Base.metadata``)."""

carbon_credits = Table(
    "carbon_credits",
    VIEWS,
    Column("owner", PUBKEY),
    Column("meter", PUBKEY),
    Column("zone_id", BigInteger),
    Column("held_co2_g", U64),
    Column("retired_co2_g", U64),
    Column("held_wh", U64),
    Column("retired_wh", U64),
    Column("certificates", BigInteger),
    Column("lapsed_co2_g", U64),
    Column("lapsed_wh", U64),
    Column("void_co2_g", U64),
    Column("void_wh", U64),
    Column("retired_revoked_co2_g", U64),
    Column("retired_revoked_wh", U64),
)
"""The view ``carbon_credits``: per owner, meter and zone, the CO2 and volume of Valid certificates
before their expiry (held), of Valid ones at or past it that nobody has marked Expired yet (lapsed: no
longer usable on chain), of Valid ones split off an original that was revoked (void: their
``effective_status`` is Revoked; void before lapsed), of Retired ones (credited to whoever retired
them), apart from those whose lineage a quorum revoked (fraud) after they were retired (retired_revoked:
their original, or they themselves as a requested certificate, Revoked or with a ``revoke_reason``;
still Retired on chain), from ``certificates`` at the database's clock (migration 0008;
:func:`solgrid.indexer.certificates.credit_rows` is the same at any time). A transfer or a split moves
credits with the certificate; a revoked, expired or pending certificate counts for nothing.
``certificates`` counts the Valid and Retired ones."""
