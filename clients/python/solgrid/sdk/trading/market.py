"""Reading a market account: its header, the traders' seats and the resting orders (L3), the depth per
price level (L2), a trader's balances and open orders.

The account is ``account:Market`` (8 bytes), the header (the IDL's ``Market`` type), then
``seat_capacity`` seats (IDL type ``Seat``) and ``order_capacity`` order slots (IDL type ``Order``):
bids fill the order region from its start with the best bid last, asks fill it from its end with the
best ask first. The fixed layouts below are pinned to the IDL by the SDK's tests.
"""

from __future__ import annotations

import struct
from collections.abc import Iterable
from dataclasses import dataclass

from solders.pubkey import Pubkey

from solgrid.sdk.anchor import AccountDecodeError
from solgrid.sdk.trading.units import MarketStatus, Side, fee

DISCRIMINATOR_LEN = 8
HEADER = struct.Struct("<32s32s32s32s32s32s32s11Qq7I2H5B3s2I3Q2B30s")
SEAT = struct.Struct("<32s6Q2IB7s")
ORDER = struct.Struct("<5Qq I2BH")
ZONE_ID_OFFSET = DISCRIMINATOR_LEN + struct.calcsize("<32s32s32s32s32s32s32s11Qq")
"""Where ``MarketHeader.zone_id`` (u32) sits in a market account (after seven keys, eleven u64 and
``created_at``)."""


@dataclass(frozen=True)
class MarketHeader:
    base_mint: Pubkey
    quote_mint: Pubkey
    base_vault: Pubkey
    quote_vault: Pubkey
    zone: Pubkey
    registry_program: Pubkey
    fee_recipient: Pubkey
    tick_size: int
    lot_size_wh: int
    base_atoms_per_lot: int
    quote_per_lot_tick: int
    min_order_lots: int
    next_order_id: int
    fees_accrued: int
    fees_collected: int
    base_volume: int
    quote_volume: int
    trade_count: int
    created_at: int
    zone_id: int
    max_orders_per_epoch: int
    seat_count: int
    seat_capacity: int
    bid_count: int
    ask_count: int
    order_capacity: int
    taker_fee_bps: int
    maker_fee_bps: int
    status: MarketStatus
    bump: int
    base_vault_bump: int
    quote_vault_bump: int
    quote_decimals: int
    epoch_secs: int = 0
    """Length of a periodic market's auction epoch, seconds; 0 for a continuous market."""
    auction_orders: int = 0
    """Live auction orders across both epoch accounts."""
    last_clearing_price: int = 0
    """Ticks of the last epoch that executed a volume (the next clearing's reference; 0: none yet)."""
    last_settled_epoch: int = 0
    """The last epoch settled (meaningful once ``auctions_settled > 0``)."""
    auctions_settled: int = 0
    epoch_bumps: tuple[int, int] = (0, 0)
    """Bumps of the epoch accounts of slots 0 and 1."""

    @property
    def periodic(self) -> bool:
        """A periodic market: orders join the call auction of their epoch instead of matching."""
        return self.epoch_secs > 0


@dataclass(frozen=True)
class Seat:
    index: int
    trader: Pubkey
    base_free: int
    base_locked: int
    quote_free: int
    quote_locked: int
    last_client_order_id: int
    epoch: int
    orders_in_epoch: int
    open_orders: int
    market_maker: bool


@dataclass(frozen=True)
class RestingOrder:
    side: Side
    price: int
    order_id: int
    lots: int
    initial_lots: int
    client_order_id: int
    expires_at: int
    seat: int
    trader: Pubkey
    filled_on_entry: bool
    maker_fee_bps: int

    @property
    def partially_filled(self) -> bool:
        return self.filled_on_entry or self.lots < self.initial_lots

    def expired(self, now: int) -> bool:
        return self.expires_at != 0 and self.expires_at <= now


@dataclass(frozen=True)
class Level:
    """Resting orders at one price."""

    price: int
    lots: int
    orders: int


@dataclass(frozen=True)
class MarketState:
    address: Pubkey
    header: MarketHeader
    seats: list[Seat]
    bids: list[RestingOrder]
    """Best first."""
    asks: list[RestingOrder]
    """Best first."""

    def seat_of(self, trader: Pubkey) -> Seat | None:
        return next((s for s in self.seats if s.trader == trader), None)

    def orders_of(self, trader: Pubkey) -> list[RestingOrder]:
        return [o for o in (*self.bids, *self.asks) if o.trader == trader]

    def order(self, order_id: int) -> RestingOrder | None:
        return next((o for o in (*self.bids, *self.asks) if o.order_id == order_id), None)

    def depth(self, levels: int | None = None, now: int | None = None) -> tuple[list[Level], list[Level]]:
        """Bids and asks aggregated per price, best first (``levels`` per side at most). With ``now``,
        expired orders (which never match) are left out."""
        return _levels(self.bids, levels, now), _levels(self.asks, levels, now)

    @property
    def best_bid(self) -> int | None:
        return self.bids[0].price if self.bids else None

    @property
    def best_ask(self) -> int | None:
        return self.asks[0].price if self.asks else None


def _levels(orders: Iterable[RestingOrder], limit: int | None, now: int | None) -> list[Level]:
    found: list[Level] = []
    for order in orders:
        if now is not None and order.expired(now):
            continue
        if found and found[-1].price == order.price:
            last = found[-1]
            found[-1] = Level(last.price, last.lots + order.lots, last.orders + 1)
        elif limit is not None and len(found) == limit:
            break
        else:
            found.append(Level(order.price, order.lots, 1))
    return found


def decode_header(data: bytes) -> MarketHeader:
    """The header of a market account's data (discriminator checked by the caller)."""
    fields = HEADER.unpack_from(data, DISCRIMINATOR_LEN)
    k = [Pubkey.from_bytes(value) for value in fields[:7]]
    n = fields[7:28]
    return MarketHeader(
        base_mint=k[0],
        quote_mint=k[1],
        base_vault=k[2],
        quote_vault=k[3],
        zone=k[4],
        registry_program=k[5],
        fee_recipient=k[6],
        tick_size=n[0],
        lot_size_wh=n[1],
        base_atoms_per_lot=n[2],
        quote_per_lot_tick=n[3],
        min_order_lots=n[4],
        next_order_id=n[5],
        fees_accrued=n[6],
        fees_collected=n[7],
        base_volume=n[8],
        quote_volume=n[9],
        trade_count=n[10],
        created_at=n[11],
        zone_id=n[12],
        max_orders_per_epoch=n[13],
        seat_count=n[14],
        seat_capacity=n[15],
        bid_count=n[16],
        ask_count=n[17],
        order_capacity=n[18],
        taker_fee_bps=n[19],
        maker_fee_bps=n[20],
        status=MarketStatus(fields[28]),
        bump=fields[29],
        base_vault_bump=fields[30],
        quote_vault_bump=fields[31],
        quote_decimals=fields[32],
        epoch_secs=fields[34],
        auction_orders=fields[35],
        last_clearing_price=fields[36],
        last_settled_epoch=fields[37],
        auctions_settled=fields[38],
        epoch_bumps=(fields[39], fields[40]),
    )


def decode_market(address: Pubkey, data: bytes, discriminator: bytes) -> MarketState:
    """A whole market account: header, seats, and both sides of the book best first."""
    if data[:DISCRIMINATOR_LEN] != discriminator or len(data) < DISCRIMINATOR_LEN + HEADER.size:
        raise AccountDecodeError(f"{address} is not a trading Market account")
    header = decode_header(data)
    seats_at = DISCRIMINATOR_LEN + HEADER.size
    orders_at = seats_at + header.seat_capacity * SEAT.size
    if len(data) != orders_at + header.order_capacity * ORDER.size:
        raise AccountDecodeError(f"{address}: market data length does not match its capacities")
    seats = []
    for i in range(header.seat_count):
        (
            trader,
            base_free,
            base_locked,
            quote_free,
            quote_locked,
            last_client,
            epoch,
            in_epoch,
            open_orders,
            maker,
            _,
        ) = SEAT.unpack_from(data, seats_at + i * SEAT.size)
        seats.append(
            Seat(
                index=i,
                trader=Pubkey.from_bytes(trader),
                base_free=base_free,
                base_locked=base_locked,
                quote_free=quote_free,
                quote_locked=quote_locked,
                last_client_order_id=last_client,
                epoch=epoch,
                orders_in_epoch=in_epoch,
                open_orders=open_orders,
                market_maker=bool(maker),
            )
        )

    def order_at(slot: int) -> RestingOrder:
        price, order_id, lots, initial, client_id, expires, seat, side, flags, bps = ORDER.unpack_from(
            data, orders_at + slot * ORDER.size
        )
        trader = seats[seat].trader if seat < len(seats) else Pubkey.default()
        return RestingOrder(
            Side(side), price, order_id, lots, initial, client_id, expires, seat, trader, bool(flags & 1), bps
        )

    bids = [order_at(i) for i in reversed(range(header.bid_count))]
    asks = [order_at(i) for i in range(header.order_capacity - header.ask_count, header.order_capacity)]
    return MarketState(address, header, seats, bids, asks)


def locked_by(order: RestingOrder, header: MarketHeader) -> int:
    """What a resting order locks in its owner's seat: GRID atoms for an ask; for a bid, the quote of
    its remaining lots plus the maker fee it may still owe (at the rate stored in the order), exactly
    as the program computes it."""
    if order.side == Side.ASK:
        return order.lots * header.base_atoms_per_lot
    unit = order.price * header.quote_per_lot_tick
    remaining = order.lots * unit
    initial = order.initial_lots * unit
    return remaining + fee(initial, order.maker_fee_bps) - fee(initial - remaining, order.maker_fee_bps)
