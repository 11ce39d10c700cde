"""Phoenix (``phoenix-v1`` 0.2.4) instructions, accounts and state, written from its published source.

The program's id is fixed (``declare_id!``): its seat, vault and log-authority addresses derive from it,
so the program must run at ``PHOENIX_ID``. Instruction data is a one-byte tag (``PhoenixInstruction``)
followed by the Borsh encoding of the instruction's parameters; every market instruction starts with
the four accounts ``phoenix_program, log_authority, market, signer``.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass
from enum import IntEnum

from solders.instruction import AccountMeta, Instruction
from solders.pubkey import Pubkey
from solders.system_program import ID as SYSTEM_PROGRAM
from spl.token.constants import TOKEN_PROGRAM_ID

PHOENIX_ID = Pubkey.from_string("PhoeNiXZ8ByJGLkxNfZRnkUfjvmuYqLR89jjFHGqdXY")
LOG_AUTHORITY, _ = Pubkey.find_program_address([b"log"], PHOENIX_ID)

MARKET_HEADER_LEN = 576
SEAT_LEN = 128
TOKEN_ACCOUNT_LEN = 165
#: The market sizes Phoenix dispatches on: (bids, asks, seats).
MARKET_SIZES = (
    (512, 512, 128),
    (512, 512, 1025),
    (512, 512, 1153),
    (1024, 1024, 128),
    (1024, 1024, 2049),
    (1024, 1024, 2177),
    (2048, 2048, 128),
    (2048, 2048, 4097),
    (2048, 2048, 4225),
    (4096, 4096, 128),
    (4096, 4096, 8193),
    (4096, 4096, 8321),
)


class Tag(IntEnum):
    """``PhoenixInstruction``'s discriminants (the ones this driver uses)."""

    SWAP = 0
    SWAP_WITH_FREE_FUNDS = 1
    PLACE_LIMIT_ORDER = 2
    PLACE_LIMIT_ORDER_WITH_FREE_FUNDS = 3
    CANCEL_MULTIPLE_ORDERS_BY_ID = 10
    CANCEL_MULTIPLE_ORDERS_BY_ID_WITH_FREE_FUNDS = 11
    WITHDRAW_FUNDS = 12
    DEPOSIT_FUNDS = 13
    REQUEST_SEAT = 14
    PLACE_MULTIPLE_POST_ONLY_ORDERS_WITH_FREE_FUNDS = 17
    INITIALIZE_MARKET = 100
    CHANGE_MARKET_STATUS = 103
    CHANGE_SEAT_STATUS = 104


class Side(IntEnum):
    BID = 0
    ASK = 1


class MarketStatus(IntEnum):
    UNINITIALIZED = 0
    ACTIVE = 1
    POST_ONLY = 2
    PAUSED = 3
    CLOSED = 4
    TOMBSTONED = 5


class SeatStatus(IntEnum):
    NOT_APPROVED = 0
    APPROVED = 1
    RETIRED = 2


class SelfTrade(IntEnum):
    ABORT = 0
    CANCEL_PROVIDE = 1
    DECREMENT_TAKE = 2


class PhoenixError(IntEnum):
    """``PhoenixError`` (returned as ``Custom(code)``), the codes tests look for."""

    INVALID_MARKET_PARAMETERS = 0
    INVALID_MARKET_AUTHORITY = 1
    INVALID_STATE_TRANSITION = 5
    INVALID_LOT_SIZE = 7
    NEW_ORDER_ERROR = 15
    INVALID_SEAT_STATUS = 21


# -- Borsh -------------------------------------------------------------------------------------------


def _u8(v: int) -> bytes:
    return struct.pack("<B", v)


def _u64(v: int) -> bytes:
    return struct.pack("<Q", v)


def _u128(v: int) -> bytes:
    return v.to_bytes(16, "little")


def _option_u64(v: int | None) -> bytes:
    return b"\x00" if v is None else b"\x01" + _u64(v)


def _bool(v: bool) -> bytes:
    return b"\x01" if v else b"\x00"


# -- addresses and sizes -----------------------------------------------------------------------------


def fifo_market_len(bids: int, asks: int, seats: int) -> int:
    """``size_of::<FIFOMarket<Pubkey, bids, asks, seats>>()``: 304 bytes of fields, then three sokoban
    red-black trees (16-byte header, 16-byte allocator header, nodes of 16 register bytes + key + value):
    orders are 16-byte ids with 32-byte values, traders 32-byte keys with 96-byte ``TraderState``."""
    if (bids, asks, seats) not in MARKET_SIZES:
        raise ValueError(f"Phoenix has no market of size {(bids, asks, seats)}")

    def tree(size: int, node: int) -> int:
        return 32 + size * (16 + node)

    return 304 + tree(bids, 48) + tree(asks, 48) + tree(seats, 128)


def market_account_len(bids: int, asks: int, seats: int) -> int:
    return MARKET_HEADER_LEN + fifo_market_len(bids, asks, seats)


def vault_address(market: Pubkey, mint: Pubkey) -> Pubkey:
    return Pubkey.find_program_address([b"vault", bytes(market), bytes(mint)], PHOENIX_ID)[0]


def seat_address(market: Pubkey, trader: Pubkey) -> Pubkey:
    return Pubkey.find_program_address([b"seat", bytes(market), bytes(trader)], PHOENIX_ID)[0]


# -- instructions ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class MarketKeys:
    """A market's accounts."""

    market: Pubkey
    base_mint: Pubkey
    quote_mint: Pubkey

    @property
    def base_vault(self) -> Pubkey:
        return vault_address(self.market, self.base_mint)

    @property
    def quote_vault(self) -> Pubkey:
        return vault_address(self.market, self.quote_mint)


def _ix(tag: Tag, market: Pubkey, signer: Pubkey, rest: list[AccountMeta], data: bytes = b"") -> Instruction:
    metas = [
        AccountMeta(PHOENIX_ID, False, False),
        AccountMeta(LOG_AUTHORITY, False, False),
        AccountMeta(market, False, True),
        AccountMeta(signer, True, False),
        *rest,
    ]
    return Instruction(PHOENIX_ID, _u8(tag) + data, metas)


def _vault_metas(keys: MarketKeys, base_account: Pubkey, quote_account: Pubkey) -> list[AccountMeta]:
    return [
        AccountMeta(base_account, False, True),
        AccountMeta(quote_account, False, True),
        AccountMeta(keys.base_vault, False, True),
        AccountMeta(keys.quote_vault, False, True),
        AccountMeta(TOKEN_PROGRAM_ID, False, False),
    ]


@dataclass(frozen=True)
class MarketParams:
    """``InitializeParams``: lots and ticks (see Phoenix's ``initialize.rs``)."""

    bids: int = 512
    asks: int = 512
    seats: int = 128
    quote_lots_per_quote_unit: int = 1_000_000
    tick_size_in_quote_lots_per_base_unit: int = 1_000
    base_lots_per_base_unit: int = 1_000
    taker_fee_bps: int = 0
    fee_collector: Pubkey = PHOENIX_ID
    raw_base_units_per_base_unit: int | None = None

    def encode(self) -> bytes:
        raw = self.raw_base_units_per_base_unit
        return b"".join(
            [
                _u64(self.bids),
                _u64(self.asks),
                _u64(self.seats),
                _u64(self.quote_lots_per_quote_unit),
                _u64(self.tick_size_in_quote_lots_per_base_unit),
                _u64(self.base_lots_per_base_unit),
                struct.pack("<H", self.taker_fee_bps),
                bytes(self.fee_collector),
                b"\x00" if raw is None else b"\x01" + struct.pack("<I", raw),
            ]
        )


def initialize_market(keys: MarketKeys, creator: Pubkey, params: MarketParams) -> Instruction:
    """Create the vaults and initialise ``keys.market`` (already allocated, owned by Phoenix, zeroed);
    ``creator`` signs, pays the vaults and becomes the market authority. The market starts PostOnly."""
    return _ix(
        Tag.INITIALIZE_MARKET,
        keys.market,
        creator,
        [
            AccountMeta(keys.base_mint, False, False),
            AccountMeta(keys.quote_mint, False, False),
            AccountMeta(keys.base_vault, False, True),
            AccountMeta(keys.quote_vault, False, True),
            AccountMeta(SYSTEM_PROGRAM, False, False),
            AccountMeta(TOKEN_PROGRAM_ID, False, False),
        ],
        params.encode(),
    )


def change_market_status(keys: MarketKeys, authority: Pubkey, status: MarketStatus) -> Instruction:
    return _ix(Tag.CHANGE_MARKET_STATUS, keys.market, authority, [], _u8(status))


def request_seat(keys: MarketKeys, trader: Pubkey) -> Instruction:
    """The trader (signer, payer) asks for a seat; it starts NotApproved."""
    return Instruction(
        PHOENIX_ID,
        _u8(Tag.REQUEST_SEAT),
        [
            AccountMeta(PHOENIX_ID, False, False),
            AccountMeta(LOG_AUTHORITY, False, False),
            AccountMeta(keys.market, False, True),
            AccountMeta(trader, True, True),
            AccountMeta(seat_address(keys.market, trader), False, True),
            AccountMeta(SYSTEM_PROGRAM, False, False),
        ],
    )


def change_seat_status(
    keys: MarketKeys, authority: Pubkey, trader: Pubkey, status: SeatStatus
) -> Instruction:
    seat = AccountMeta(seat_address(keys.market, trader), False, True)
    return _ix(Tag.CHANGE_SEAT_STATUS, keys.market, authority, [seat], _u8(status))


def deposit_funds(
    keys: MarketKeys,
    trader: Pubkey,
    base_account: Pubkey,
    quote_account: Pubkey,
    quote_lots: int,
    base_lots: int,
) -> Instruction:
    seat = AccountMeta(seat_address(keys.market, trader), False, False)
    return _ix(
        Tag.DEPOSIT_FUNDS,
        keys.market,
        trader,
        [seat, *_vault_metas(keys, base_account, quote_account)],
        _u64(quote_lots) + _u64(base_lots),
    )


def withdraw_all_funds(
    keys: MarketKeys, trader: Pubkey, base_account: Pubkey, quote_account: Pubkey
) -> Instruction:
    """``WithdrawFunds`` with no amounts: everything free goes back to the trader's token accounts."""
    return _ix(
        Tag.WITHDRAW_FUNDS,
        keys.market,
        trader,
        _vault_metas(keys, base_account, quote_account),
        _option_u64(None) + _option_u64(None),
    )


def post_only(
    side: Side, price_in_ticks: int, base_lots: int, *, client_order_id: int = 0, deposited: bool
) -> bytes:
    """``OrderPacket::PostOnly`` (rejected, not amended, if it would cross)."""
    return b"".join(
        [
            _u8(0),
            _u8(side),
            _u64(price_in_ticks),
            _u64(base_lots),
            _u128(client_order_id),
            _bool(True),  # reject_post_only
            _bool(deposited),  # use_only_deposited_funds
            _option_u64(None),
            _option_u64(None),
            _bool(False),  # fail_silently_on_insufficient_funds
        ]
    )


def immediate_or_cancel(
    side: Side,
    price_in_ticks: int,
    base_lots: int,
    *,
    min_base_lots_to_fill: int = 0,
    match_limit: int | None = None,
    deposited: bool,
) -> bytes:
    """``OrderPacket::ImmediateOrCancel`` with a limit price, sized in base lots."""
    return b"".join(
        [
            _u8(2),
            _u8(side),
            b"\x01" + _u64(price_in_ticks),
            _u64(base_lots),
            _u64(0),  # num_quote_lots
            _u64(min_base_lots_to_fill),
            _u64(0),  # min_quote_lots_to_fill
            _u8(SelfTrade.ABORT),
            _option_u64(match_limit),
            _u128(0),
            _bool(deposited),
            _option_u64(None),
            _option_u64(None),
        ]
    )


def place_limit_order(
    keys: MarketKeys, trader: Pubkey, base_account: Pubkey, quote_account: Pubkey, packet: bytes
) -> Instruction:
    """``PlaceLimitOrder``: what the order needs beyond the trader's free funds moves from its token
    accounts."""
    seat = AccountMeta(seat_address(keys.market, trader), False, False)
    return _ix(
        Tag.PLACE_LIMIT_ORDER,
        keys.market,
        trader,
        [seat, *_vault_metas(keys, base_account, quote_account)],
        packet,
    )


def place_limit_order_with_free_funds(keys: MarketKeys, trader: Pubkey, packet: bytes) -> Instruction:
    seat = AccountMeta(seat_address(keys.market, trader), False, False)
    return _ix(Tag.PLACE_LIMIT_ORDER_WITH_FREE_FUNDS, keys.market, trader, [seat], packet)


def place_asks_with_free_funds(keys: MarketKeys, trader: Pubkey, asks: list[tuple[int, int]]) -> Instruction:
    """``PlaceMultiplePostOnlyOrdersWithFreeFunds`` of ``(price_in_ticks, base_lots)`` asks, failing
    the instruction if one would cross or lacks funds."""
    condensed = b"".join(
        _u64(price) + _u64(lots) + _option_u64(None) + _option_u64(None) for price, lots in asks
    )
    packet = b"".join(
        [
            struct.pack("<I", 0),  # bids
            struct.pack("<I", len(asks)) + condensed,
            b"\x00",  # client_order_id: None
            _u8(1),  # FailOnInsufficientFundsAndFailOnCross
        ]
    )
    seat = AccountMeta(seat_address(keys.market, trader), False, False)
    return _ix(Tag.PLACE_MULTIPLE_POST_ONLY_ORDERS_WITH_FREE_FUNDS, keys.market, trader, [seat], packet)


def swap(
    keys: MarketKeys, trader: Pubkey, base_account: Pubkey, quote_account: Pubkey, packet: bytes
) -> Instruction:
    """``Swap``: an IOC order settled from and to the trader's token accounts (no seat needed)."""
    return _ix(Tag.SWAP, keys.market, trader, _vault_metas(keys, base_account, quote_account), packet)


def swap_with_free_funds(keys: MarketKeys, trader: Pubkey, packet: bytes) -> Instruction:
    seat = AccountMeta(seat_address(keys.market, trader), False, False)
    return _ix(Tag.SWAP_WITH_FREE_FUNDS, keys.market, trader, [seat], packet)


@dataclass(frozen=True)
class OrderId:
    """``FIFOOrderId``: a resting order's price and sequence number (its side is in the number's top bit)."""

    price_in_ticks: int
    sequence_number: int

    @property
    def side(self) -> Side:
        return Side.BID if self.sequence_number >> 63 else Side.ASK


def decode_order_ids(return_data: bytes) -> list[OrderId]:
    """The ``Vec<FIFOOrderId>`` a placing instruction sets as its return data."""
    (count,) = struct.unpack_from("<I", return_data)
    return [OrderId(*struct.unpack_from("<QQ", return_data, 4 + 16 * i)) for i in range(count)]


def _cancel_params(orders: list[OrderId]) -> bytes:
    return struct.pack("<I", len(orders)) + b"".join(
        _u8(o.side) + _u64(o.price_in_ticks) + _u64(o.sequence_number) for o in orders
    )


def cancel_orders_by_id(
    keys: MarketKeys, trader: Pubkey, base_account: Pubkey, quote_account: Pubkey, orders: list[OrderId]
) -> Instruction:
    """``CancelMultipleOrdersById``: the released funds go back to the trader's token accounts."""
    return _ix(
        Tag.CANCEL_MULTIPLE_ORDERS_BY_ID,
        keys.market,
        trader,
        _vault_metas(keys, base_account, quote_account),
        _cancel_params(orders),
    )


def cancel_orders_by_id_with_free_funds(
    keys: MarketKeys, trader: Pubkey, orders: list[OrderId]
) -> Instruction:
    """``CancelMultipleOrdersByIdWithFreeFunds``: the released funds stay deposited."""
    return _ix(
        Tag.CANCEL_MULTIPLE_ORDERS_BY_ID_WITH_FREE_FUNDS, keys.market, trader, [], _cancel_params(orders)
    )


# -- state -------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class MarketHeader:
    """The fields of ``MarketHeader`` (the market account's first 576 bytes) tests read."""

    status: MarketStatus
    sizes: tuple[int, int, int]
    base_mint: Pubkey
    base_vault: Pubkey
    base_lot_size: int
    quote_mint: Pubkey
    quote_vault: Pubkey
    quote_lot_size: int
    authority: Pubkey

    @classmethod
    def decode(cls, data: bytes) -> MarketHeader:
        if len(data) < MARKET_HEADER_LEN:
            raise ValueError(f"a market account holds at least {MARKET_HEADER_LEN} bytes, got {len(data)}")
        status, bids, asks, seats = struct.unpack_from("<4Q", data, 8)
        return cls(
            status=MarketStatus(status),
            sizes=(bids, asks, seats),
            base_mint=Pubkey.from_bytes(data[48:80]),
            base_vault=Pubkey.from_bytes(data[80:112]),
            base_lot_size=struct.unpack_from("<Q", data, 112)[0],
            quote_mint=Pubkey.from_bytes(data[128:160]),
            quote_vault=Pubkey.from_bytes(data[160:192]),
            quote_lot_size=struct.unpack_from("<Q", data, 192)[0],
            authority=Pubkey.from_bytes(data[208:240]),
        )


def seat_status(data: bytes) -> SeatStatus:
    """A seat account's ``approval_status``."""
    return SeatStatus(struct.unpack_from("<Q", data, 72)[0])


@dataclass(frozen=True)
class TraderState:
    """A trader's funds in a market, in lots."""

    quote_lots_locked: int
    quote_lots_free: int
    base_lots_locked: int
    base_lots_free: int


def trader_state(data: bytes, trader: Pubkey) -> TraderState | None:
    """``trader``'s ``TraderState`` in the market account ``data`` (None without a registered seat): a
    scan of the traders tree's allocated nodes."""
    bids, asks, seats = MarketHeader.decode(data).sizes
    tree = MARKET_HEADER_LEN + 304 + (32 + bids * 64) + (32 + asks * 64)
    (bump_index,) = struct.unpack_from("<I", data, tree + 24)
    key = bytes(trader)
    for index in range(min(bump_index, seats)):
        node = tree + 32 + index * 144
        if data[node + 16 : node + 48] == key:
            return TraderState(*struct.unpack_from("<4Q", data, node + 48))
    return None
