"""Reading an auction epoch account: its header (state, result, settlement progress), its price levels
and its orders with their indices.

The account is ``account:AuctionEpoch`` (8 bytes), the header (IDL type ``EpochHeader``), then a region
of ``region_len`` bytes: ``level_count`` levels (IDL type ``AuctionLevel``, ascending price) from its
start, and ``order_count`` orders (IDL type ``Order``) from its end backwards: order ``i`` sits at
``region_len - (i + 1) * 56``, so an index never changes and index order is the order in which orders
joined the auction (time priority). A cancelled order stays as a tombstone with no lots. The fixed
layouts below are pinned to the IDL by the SDK's tests.
"""

from __future__ import annotations

import struct
from collections.abc import Sequence
from dataclasses import dataclass, fields
from typing import Any

from solders.pubkey import Pubkey

from solgrid.sdk.anchor import AccountDecodeError
from solgrid.sdk.trading.clearing import AuctionLevel, BookOrder, Clearing, clear
from solgrid.sdk.trading.market import DISCRIMINATOR_LEN, ORDER, Seat
from solgrid.sdk.trading.units import EpochState, Side

EPOCH_HEADER = struct.Struct("<32sQqq16Qqq8I3B5s16s")
LEVEL = struct.Struct("<3Q")
FLAG_ROLLOVER = 2
"""Order flag: what the auction does not match rolls into the next epoch."""
FLAG_ROLLED_IN = 4
"""Order flag: the order rolled into this epoch from the previous one."""


@dataclass(frozen=True)
class EpochHeader:
    market: Pubkey
    epoch: int
    starts_at: int
    ends_at: int
    reference_price: int
    """The market's previous clearing price when this epoch was cleared (0: none)."""
    clearing_price: int
    """Ticks; 0 when nothing executed (or not cleared yet)."""
    volume_lots: int
    demand_lots: int
    """``D(clearing_price)``."""
    supply_lots: int
    """``S(clearing_price)``."""
    total_bid_lots: int
    total_ask_lots: int
    bid_marginal_left: int
    """Lots still to allot to the bids at ``bid_marginal_price`` (time priority)."""
    ask_marginal_left: int
    bid_marginal_price: int
    ask_marginal_price: int
    base_delivered: int
    base_received: int
    quote_paid: int
    quote_received: int
    fees: int
    cleared_at: int
    settled_at: int
    order_count: int
    """Order slots used, cancelled ones included."""
    live_orders: int
    level_count: int
    region_len: int
    cursor: int
    """Index of the next order to settle."""
    matched_orders: int
    rolled_orders: int
    rolled_in: int
    slot: int
    state: EpochState
    bump: int

    def closed(self, now: int) -> bool:
        """The epoch's gate closure has passed at cluster time ``now``."""
        return now >= self.ends_at

    def ready_to_clear(self, now: int) -> bool:
        return self.state is EpochState.COLLECTING and self.closed(now)


@dataclass(frozen=True)
class AuctionOrder:
    index: int
    """Position in the epoch's auction: time priority, and what ``cancel_auction_order`` names."""
    side: Side
    price: int
    order_id: int
    lots: int
    """Lots offered in this auction (0: cancelled)."""
    initial_lots: int
    """Lots when it joined this epoch's auction."""
    client_order_id: int
    expires_at: int
    seat: int
    trader: Pubkey
    """The seat's trader (the default key when the seats were not given to the decoder)."""
    rollover: bool
    """What this auction does not match rolls into the next epoch (else it is refunded)."""
    rolled_in: bool
    """It came rolled from the previous epoch."""
    maker_fee_bps: int

    @property
    def cancelled(self) -> bool:
        return self.lots == 0

    def book_order(self) -> BookOrder:
        return BookOrder(self.side, self.price, self.lots)


@dataclass(frozen=True)
class AuctionEpoch:
    address: Pubkey
    header: EpochHeader
    levels: list[AuctionLevel]
    """Live lots per price, ascending."""
    orders: list[AuctionOrder]
    """Every order by index, cancelled ones included."""

    @property
    def live(self) -> list[AuctionOrder]:
        return [o for o in self.orders if not o.cancelled]

    def orders_of(self, trader: Pubkey) -> list[AuctionOrder]:
        return [o for o in self.live if o.trader == trader]

    def order_by_id(self, order_id: int) -> AuctionOrder | None:
        return next((o for o in self.live if o.order_id == order_id), None)

    def clearing(self, reference: int) -> Clearing:
        """What the rule gives for these levels with ``reference`` (the market's last clearing price):
        the result ``clear_epoch`` fixes once the epoch ends, if nothing changes before; indicative
        until then."""
        return clear(self.levels, reference)

    def holds(self, epoch: int) -> bool:
        """The account currently holds ``epoch`` (an epoch not started yet, or reset away, is not)."""
        return self.header.state is not EpochState.EMPTY and self.header.epoch == epoch


_NUMBER_FIELDS = [f.name for f in fields(EpochHeader)][1:30]
"""The header's fields from ``epoch`` to ``rolled_in``, in layout order."""


def decode_epoch_header(data: bytes) -> EpochHeader:
    """The header of an epoch account's data (discriminator checked by the caller)."""
    f = EPOCH_HEADER.unpack_from(data, DISCRIMINATOR_LEN)
    numbers: dict[str, Any] = dict(zip(_NUMBER_FIELDS, f[1:30], strict=True))
    return EpochHeader(
        market=Pubkey.from_bytes(f[0]), **numbers, slot=f[30], state=EpochState(f[31]), bump=f[32]
    )


def decode_epoch(
    address: Pubkey, data: bytes, discriminator: bytes, seats: Sequence[Seat] = ()
) -> AuctionEpoch:
    """A whole epoch account. ``seats`` (the market's) name each order's trader."""
    if data[:DISCRIMINATOR_LEN] != discriminator or len(data) < DISCRIMINATOR_LEN + EPOCH_HEADER.size:
        raise AccountDecodeError(f"{address} is not a trading AuctionEpoch account")
    try:
        header = decode_epoch_header(data)
    except ValueError:
        raise AccountDecodeError(f"{address}: unknown epoch state") from None
    region_at = DISCRIMINATOR_LEN + EPOCH_HEADER.size
    used = header.level_count * LEVEL.size + header.order_count * ORDER.size
    if len(data) != region_at + header.region_len or used > header.region_len:
        raise AccountDecodeError(f"{address}: epoch data length does not match its region and counts")
    levels = [
        AuctionLevel(*LEVEL.unpack_from(data, region_at + i * LEVEL.size)) for i in range(header.level_count)
    ]
    end = region_at + header.region_len
    orders = []
    for index in range(header.order_count):
        price, order_id, lots, initial, client_id, expires, seat, side, flags, bps = ORDER.unpack_from(
            data, end - (index + 1) * ORDER.size
        )
        trader = seats[seat].trader if seat < len(seats) else Pubkey.default()
        orders.append(
            AuctionOrder(
                index=index,
                side=Side(side),
                price=price,
                order_id=order_id,
                lots=lots,
                initial_lots=initial,
                client_order_id=client_id,
                expires_at=expires,
                seat=seat,
                trader=trader,
                rollover=bool(flags & FLAG_ROLLOVER),
                rolled_in=bool(flags & FLAG_ROLLED_IN),
                maker_fee_bps=bps,
            )
        )
    return AuctionEpoch(address, header, levels, orders)
