"""Synthetic trading transactions for the indexer's tests: events encoded in borsh from
``idl/trading.json`` (by this module's own small encoder, so the indexer's anchorpy decoding is checked
against an independent writer) and emitted as the program does, through self-CPI inner instructions.

:class:`Book` keeps the arithmetic of one market (ticks, lots, fees) so the events it writes are the
ones the program would emit; tests still spell out each order's outcome (fills, removals, state).
"""

from __future__ import annotations

import struct
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from solders.pubkey import Pubkey
from synthetic import executed, run_tx

from solgrid.indexer.recover import ExecutedInstruction, Execution
from solgrid.indexer.store import FetchedTransaction
from solgrid.sdk.cpi_events import EVENT_IX_TAG, event_authority
from solgrid.sdk.idl import load_idl_json
from solgrid.sdk.trading import TradingClient

CLIENT = TradingClient()
TRADING = CLIENT.coder
PROGRAM = str(TRADING.program_id)
AUTHORITY = str(event_authority(TRADING.program_id).address)
CONFIG = str(CLIENT.config_pda().address)
IDL = load_idl_json("trading")
TYPES = {t["name"]: t["type"] for t in IDL["types"]}
DISCRIMINATORS = {e["name"]: bytes(e["discriminator"]) for e in IDL["events"]}
INTS = {"u8": "<B", "u16": "<H", "u32": "<I", "u64": "<Q", "i64": "<q", "bool": "<?"}


def encode(ty: Any, value: Any) -> bytes:
    """Borsh bytes of ``value`` as IDL type ``ty``: structs from dicts, enums from a variant name or
    ``{"Variant": {fields}}``, pubkeys from :class:`Pubkey` or base58."""
    if isinstance(ty, str):
        if ty == "pubkey":
            return bytes(value if isinstance(value, Pubkey) else Pubkey.from_string(value))
        return struct.pack(INTS[ty], value)
    if "vec" in ty:
        return struct.pack("<I", len(value)) + b"".join(encode(ty["vec"], v) for v in value)
    if "array" in ty:
        inner, _ = ty["array"]
        return b"".join(encode(inner, v) for v in value)
    definition = TYPES[ty["defined"]["name"]]
    if definition["kind"] == "struct":
        return b"".join(encode(f["type"], value[f["name"]]) for f in definition["fields"])
    names = [v["name"] for v in definition["variants"]]
    if isinstance(value, str):
        return bytes([names.index(value)])
    ((name, fields),) = value.items()
    variant = definition["variants"][names.index(name)]
    return bytes([names.index(name)]) + b"".join(
        encode(f["type"], fields[f["name"]]) for f in variant["fields"]
    )


def event_data(name: str, fields: Mapping[str, Any]) -> bytes:
    """The data of the self-CPI that emits event ``name``: tag, discriminator, borsh."""
    return EVENT_IX_TAG + DISCRIMINATORS[name] + encode({"defined": {"name": name}}, fields)


def emitted(index: int, name: str, fields: Mapping[str, Any]) -> ExecutedInstruction:
    """The self-CPI of top-level instruction ``index`` that emits one event, as the program makes it."""
    return ExecutedInstruction(index, 2, PROGRAM, (AUTHORITY, CONFIG), event_data(name, fields))


def trading_tx(
    *instructions: Sequence[tuple[str, Mapping[str, Any]]],
    slot: int = 10,
    decimals: Sequence[tuple[str, int]] = (),
) -> FetchedTransaction:
    """A successful transaction of trading instructions, each emitting its events (name, fields);
    ``decimals`` are the (mint, decimals) its token balances show."""
    ran: list[ExecutedInstruction] = []
    logs: list[str] = []
    for index, events in enumerate(instructions):
        top = CLIENT.prune_expired(market=Pubkey.new_unique())  # any trading instruction's shape
        ran.append(executed(index, top))
        logs.append(f"Program {PROGRAM} invoke [1]")
        for name, fields in events:
            ran.append(emitted(index, name, fields))
            logs += [f"Program {PROGRAM} invoke [2]", f"Program {PROGRAM} success"]
        logs.append(f"Program {PROGRAM} success")
    fetched = run_tx(logs, ran, slot=slot)
    assert fetched.execution is not None
    return FetchedTransaction(
        fetched.signature,
        fetched.slot,
        fetched.block_time,
        True,
        fetched.logs,
        fetched.instruction_programs,
        Execution(fetched.execution.instructions, (), tuple(decimals)),
    )


def pubkey() -> str:
    return str(Pubkey.new_unique())


@dataclass
class Book:
    """One market's events: its parameters, the next order id, and the amounts of fills."""

    zone_id: int = 7
    tick_size: int = 10_000
    """Quote atoms per kWh per tick (0.01 of a 6-decimal stablecoin)."""
    lot_size_wh: int = 100
    taker_fee_bps: int = 25
    maker_fee_bps: int = 10
    market: str = field(default_factory=pubkey)
    quote_mint: str = field(default_factory=pubkey)
    next_order_id: int = 0
    epoch_secs: int = 0
    """0: a continuous market; else a periodic one (see :class:`auction_events.Auction`)."""

    @property
    def quote_per_lot_tick(self) -> int:
        return self.tick_size * self.lot_size_wh // 1000

    def created(self, timestamp: int = 0) -> tuple[str, dict[str, Any]]:
        return (
            "MarketCreated",
            {
                "market": self.market,
                "zone_id": self.zone_id,
                "base_mint": pubkey(),
                "quote_mint": self.quote_mint,
                "base_vault": pubkey(),
                "quote_vault": pubkey(),
                "fee_recipient": pubkey(),
                "tick_size": self.tick_size,
                "lot_size_wh": self.lot_size_wh,
                "min_order_lots": 1,
                "taker_fee_bps": self.taker_fee_bps,
                "maker_fee_bps": self.maker_fee_bps,
                "max_orders_per_epoch": 100,
                "epoch_secs": self.epoch_secs,
                "timestamp": timestamp,
            },
        )

    def updated(
        self,
        timestamp: int,
        status: str = "Paused",
        taker_fee_bps: int = 30,
        *,
        tick_size: int | None = None,
        lot_size_wh: int | None = None,
    ) -> tuple[str, dict[str, Any]]:
        """A MarketUpdated; a new tick or lot size also applies to the events this book writes next."""
        self.tick_size = self.tick_size if tick_size is None else tick_size
        self.lot_size_wh = self.lot_size_wh if lot_size_wh is None else lot_size_wh
        return (
            "MarketUpdated",
            {
                "market": self.market,
                "fee_recipient": pubkey(),
                "tick_size": self.tick_size,
                "lot_size_wh": self.lot_size_wh,
                "min_order_lots": 2,
                "taker_fee_bps": taker_fee_bps,
                "maker_fee_bps": 5,
                "max_orders_per_epoch": 50,
                "status": status,
                "timestamp": timestamp,
            },
        )

    def fill(self, maker: str, maker_order_id: int, price: int, lots: int, remaining: int) -> dict[str, Any]:
        """A ``Fill`` step (fees as if each were the order's first: ceil(quote * bps / 10^4))."""
        quote = lots * price * self.quote_per_lot_tick
        return {
            "Fill": {
                "maker": maker,
                "maker_order_id": maker_order_id,
                "maker_client_order_id": 0,
                "price": price,
                "lots": lots,
                "base_amount": lots * self.lot_size_wh * 10**6,
                "quote_amount": quote,
                "maker_fee": -(-quote * self.maker_fee_bps // 10_000),
                "taker_fee": -(-quote * self.taker_fee_bps // 10_000),
                "maker_remaining_lots": remaining,
            }
        }

    def removal(
        self,
        trader: str,
        order_id: int,
        side: str,
        price: int,
        lots: int,
        reason: str,
        remaining: int = 0,
    ) -> dict[str, Any]:
        """A ``Removal`` (the released amounts are not what the indexer reads; they are plausible)."""
        return {
            "trader": trader,
            "order_id": order_id,
            "client_order_id": 0,
            "price": price,
            "lots": lots,
            "remaining_lots": remaining,
            "base_released": lots * self.lot_size_wh * 10**6 if side == "Ask" else 0,
            "quote_released": lots * price * self.quote_per_lot_tick if side == "Bid" else 0,
            "side": side,
            "reason": reason,
        }

    def place(
        self,
        trader: str,
        side: str,
        price: int,
        lots: int,
        timestamp: int,
        steps: Sequence[dict[str, Any]] = (),
        *,
        kind: str = "Limit",
        expires_at: int = 0,
        cancelled: int = 0,
        rests: bool = True,
    ) -> tuple[str, dict[str, Any]]:
        """OrderPlaced of a new order whose match made ``steps``: filled lots and amounts summed from its
        fills; what neither filled nor ``cancelled`` rests (``rests``) or is cancelled (IOC)."""
        order_id = self.next_order_id
        self.next_order_id += 1
        fills = [s["Fill"] for s in steps if "Fill" in s]
        filled = sum(f["lots"] for f in fills)
        left = lots - filled - cancelled
        rested = left if rests else 0
        cancelled += 0 if rests else left
        if rested:
            state = "PartiallyFilled" if filled else "Active"
        else:
            state = "Filled" if filled == lots else "Cancelled"
        return (
            "OrderPlaced",
            {
                "market": self.market,
                "trader": trader,
                "seat": 0,
                "order_id": order_id,
                "client_order_id": 0,
                "side": side,
                "kind": kind,
                "self_trade": "DecrementBoth",
                "price": price,
                "lots": lots,
                "expires_at": expires_at,
                "filled_lots": filled,
                "base_traded": sum(f["base_amount"] for f in fills),
                "quote_traded": sum(f["quote_amount"] for f in fills),
                "taker_fee": sum(f["taker_fee"] for f in fills),
                "rested_lots": rested,
                "cancelled_lots": cancelled,
                "state": state,
                "timestamp": timestamp,
                "steps": [s if "Fill" in s else {"Removal": s} for s in steps],
            },
        )

    def cancel(
        self, trader: str, order_id: int, side: str, price: int, lots: int, timestamp: int
    ) -> tuple[str, dict[str, Any]]:
        return (
            "OrderCancelled",
            {
                "market": self.market,
                "trader": trader,
                "order_id": order_id,
                "client_order_id": 0,
                "side": side,
                "price": price,
                "lots": lots,
                "base_released": 0,
                "quote_released": 0,
                "timestamp": timestamp,
            },
        )

    def expired(self, timestamp: int, *removals: dict[str, Any]) -> tuple[str, dict[str, Any]]:
        return ("OrdersExpired", {"market": self.market, "timestamp": timestamp, "orders": list(removals)})

    def grown(
        self, payer: str, extra_seats: int, extra_orders: int, timestamp: int
    ) -> tuple[str, dict[str, Any]]:
        """``MarketGrown`` of a market that had no slot (96 bytes a seat, 56 an order slot; the rent is
        a made-up figure: the indexer stores it as given)."""
        return (
            "MarketGrown",
            {
                "market": self.market,
                "payer": payer,
                "extra_seats": extra_seats,
                "extra_orders": extra_orders,
                "seat_capacity": extra_seats,
                "order_capacity": extra_orders,
                "lamports_paid": 6_960 * (96 * extra_seats + 56 * extra_orders),
                "timestamp": timestamp,
            },
        )

    def deposited(self, trader: str, mint: str, amount: int, timestamp: int) -> tuple[str, dict[str, Any]]:
        return (
            "Deposited",
            {
                "market": self.market,
                "trader": trader,
                "seat": 0,
                "mint": mint,
                "amount": amount,
                "free_after": amount,
                "timestamp": timestamp,
            },
        )
