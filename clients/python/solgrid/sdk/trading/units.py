"""The trading program's enums and unit conversions (ticks, lots, atoms), mirroring ``crates/order-book``.

A market quotes GRID (9 decimals, 1 Wh = 10^6 atoms) in a quote mint. Quantities are *lots* of
``lot_size_wh`` Wh; prices are *ticks* of ``tick_size`` quote atoms per kWh. One lot at one tick is
``tick_size * lot_size_wh / 1000`` quote atoms, a whole number by market rule. Fees are in quote,
``ceil(amount * bps / 10_000)``.
"""

from __future__ import annotations

from decimal import Decimal
from enum import IntEnum

BASE_DECIMALS = 9
BASE_ATOMS_PER_WH = 10**6
EPOCH_SECS = 900
"""The order-limit epoch (per seat, in both kinds of market): 15 minutes."""
DEFAULT_AUCTION_EPOCH_SECS = 900
"""The usual auction epoch of a periodic market: 15 minutes, aligned to wall-clock quarter hours."""
MAX_AUCTION_EPOCH_SECS = 86_400
"""The longest auction epoch: one day."""
MAX_SETTLE_CHUNK = 64
"""Most auction orders one ``settle_epoch`` walks (cancelled ones included)."""
MAX_AUCTION_LEVELS = 4_096
"""Most price levels an epoch's auction holds (an order at a new price beyond: ``TooManyPriceLevels``)."""
MAX_AUCTION_ORDERS = 131_072
"""Most orders an epoch's auction holds, cancelled ones included (beyond: ``TooManyAuctionOrders``)."""
MAX_PRICE_TICKS = 1 << 40
MAX_FEE_BPS = 1_000
MAX_MATCHES = 80
"""Most fills and removals one order may cause (and most orders one prune removes)."""
DEFAULT_TAKER_FEE_BPS = 25
DEFAULT_MAKER_FEE_BPS = 0
DEFAULT_MAX_ORDERS_PER_EPOCH = 100
U64_MAX = 2**64 - 1


class Side(IntEnum):
    BID = 0
    ASK = 1


class OrderKind(IntEnum):
    LIMIT = 0
    POST_ONLY = 1
    IMMEDIATE_OR_CANCEL = 2


class SelfTradeMode(IntEnum):
    CANCEL_RESTING = 0
    DECREMENT_BOTH = 1
    ABORT = 2


class OrderState(IntEnum):
    ACTIVE = 0
    PARTIALLY_FILLED = 1
    FILLED = 2
    CANCELLED = 3
    EXPIRED = 4


class RemovalReason(IntEnum):
    CANCELLED = 0
    EXPIRED = 1
    SELF_TRADE_CANCELLED = 2
    SELF_TRADE_DECREMENTED = 3


class MarketStatus(IntEnum):
    ACTIVE = 0
    PAUSED = 1


class EpochState(IntEnum):
    """An auction epoch account's state: ``COLLECTING`` takes orders until the epoch ends (its gate
    closure) and then waits for ``clear_epoch``; ``PRICE_FIXED`` is being settled in chunks; a
    ``SETTLED`` (or never used, ``EMPTY``) account is reused by the next epoch of its parity."""

    EMPTY = 0
    COLLECTING = 1
    PRICE_FIXED = 2
    SETTLED = 3


class SettlementOutcome(IntEnum):
    """What settling an auction order did with it. ``*_EXPIRED``: the unmatched rest was refunded (the order
    does not roll over, or expires before the next epoch ends); ``*_EPOCH_FULL``: it was refunded too,
    because it was to roll but the next epoch was full (:data:`MAX_AUCTION_ORDERS` orders, or
    :data:`MAX_AUCTION_LEVELS` levels and none at its price)."""

    FILLED = 0
    PARTIALLY_FILLED_ROLLED = 1
    PARTIALLY_FILLED_EXPIRED = 2
    ROLLED = 3
    EXPIRED = 4
    PARTIALLY_FILLED_EPOCH_FULL = 5
    EPOCH_FULL = 6


def fee(amount: int, bps: int) -> int:
    """The fee on ``amount`` quote atoms at ``bps``, rounded up (as the program charges it)."""
    return -(-amount * bps // 10_000)


def quote_per_lot_tick(tick_size: int, lot_size_wh: int) -> int:
    """Quote atoms of one lot at one tick; raises unless it is a whole number."""
    whole, rest = divmod(tick_size * lot_size_wh, 1000)
    if rest or whole == 0:
        raise ValueError(
            f"tick_size x lot_size_wh must be a positive multiple of 1000, got {tick_size} x {lot_size_wh}"
        )
    return whole


def price_to_ticks(price_per_kwh: Decimal, tick_size: int, quote_decimals: int) -> int:
    """A price in quote units per kWh (e.g. ``Decimal("0.12")`` USDC) as ticks; raises unless it is a
    whole number of ticks."""
    atoms = price_per_kwh.scaleb(quote_decimals)
    ticks, rest = divmod(atoms, tick_size)
    if rest or atoms != atoms.to_integral_value() or ticks <= 0:
        raise ValueError(
            f"price {price_per_kwh} per kWh is not a positive whole number of ticks of {tick_size} atoms"
        )
    return int(ticks)


def ticks_to_price(ticks: int, tick_size: int, quote_decimals: int) -> Decimal:
    """Ticks as a price in quote units per kWh."""
    return Decimal(ticks * tick_size).scaleb(-quote_decimals)


def kwh_to_lots(kwh: Decimal, lot_size_wh: int) -> int:
    """A quantity in kWh as lots; raises unless it is a whole number of lots."""
    wh = kwh * 1000
    lots, rest = divmod(wh, lot_size_wh)
    if rest or wh != wh.to_integral_value() or lots <= 0:
        raise ValueError(f"{kwh} kWh is not a positive whole number of {lot_size_wh} Wh lots")
    return int(lots)


def lots_to_kwh(lots: int, lot_size_wh: int) -> Decimal:
    return Decimal(lots * lot_size_wh).scaleb(-3)


def atoms_to_units(atoms: int, decimals: int) -> Decimal:
    return Decimal(atoms).scaleb(-decimals)


def units_to_atoms(amount: Decimal, decimals: int) -> int:
    """A token amount in units (e.g. ``Decimal("1.5")``) as atoms of a mint with ``decimals``; raises
    unless it is a positive whole number of atoms."""
    atoms = amount.scaleb(decimals)
    if not atoms.is_finite() or atoms != atoms.to_integral_value() or atoms <= 0:
        raise ValueError(f"{amount} is not a positive amount with at most {decimals} decimals")
    return int(atoms)
