"""Where SolGrid's accounts and events hold a value the program read from the Clock sysvar.

Two nodes never share a clock: the same transaction stamps ``registered_at`` with each node's own time.
These byte ranges are compared as "a plausible time on both, or unset (0) on both" instead of byte for
byte; every other byte of the account or event must be equal. A trading market's seats also keep a
15-minute epoch number and a count of orders in it (see :func:`seat_clock`); trading's events travel
in self-CPI instruction data, whose tag ``node_session`` strips before masking. Offsets come from the
IDL (the layouts are packed: Pod fields, alignment 1), keyed by the 8-byte account or event
discriminator.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[2]
IDLS = ("registry", "energy_token", "trading")
CLOCK_FIELDS = frozenset(
    {"registered_at", "verified_at", "created_at", "reopened_at", "timestamp", "last_window_end"}
)
"""Fields a SolGrid program fills from ``Clock::unix_timestamp``. ``last_window_end`` is the meter's
registration time until its first reading (then the reading's window end, which the stream makes
identical on both nodes, so a value that is one of the stream's window ends is not masked)."""

_SIZES = {"u8": 1, "i8": 1, "bool": 1, "u16": 2, "i16": 2, "u32": 4, "i32": 4, "u64": 8, "i64": 8}
_SIZES |= {"u128": 16, "i128": 16, "pubkey": 32}


@dataclass(frozen=True)
class ClockField:
    name: str
    offset: int
    """From the start of the data (after the 8-byte discriminator is included)."""


def _type_size(ty: Any, types: dict[str, Any]) -> int:
    if isinstance(ty, str):
        return _SIZES[ty]
    if "array" in ty:
        inner, length = ty["array"]
        return _type_size(inner, types) * int(length)
    if "defined" in ty:
        return _struct_size(types[ty["defined"]["name"]], types)
    raise ValueError(f"layout of {ty} is not fixed-size")


def _struct_size(definition: Any, types: dict[str, Any]) -> int:
    body = definition["type"]
    if body["kind"] == "enum":
        if any("fields" in v for v in body["variants"]):
            raise ValueError(f"{definition['name']}: enum with fields has no fixed size")
        return 1
    return sum(_type_size(f["type"], types) for f in body["fields"])


def _fields(definition: Any, types: dict[str, Any]) -> list[ClockField]:
    """The clock fields before the first variable-size one (trading's events end with a vector, the
    registry's Paused and Resumed with an option)."""
    offset, found = 8, []
    for field in definition["type"]["fields"]:
        if isinstance(field["type"], dict) and ("vec" in field["type"] or "option" in field["type"]):
            break
        if field["name"] in CLOCK_FIELDS:
            if field["type"] != "i64":
                raise ValueError(f"{definition['name']}.{field['name']} is not an i64")
            found.append(ClockField(field["name"], offset))
        offset += _type_size(field["type"], types)
    return found


@cache
def clock_fields() -> dict[bytes, tuple[str, list[ClockField]]]:
    """discriminator -> (account or event name, its clock fields), for every IDL account and event."""
    table: dict[bytes, tuple[str, list[ClockField]]] = {}
    for name in IDLS:
        idl = json.loads((REPO / "idl" / f"{name}.json").read_text())
        types = {t["name"]: t for t in idl["types"]}
        for item in [*idl.get("accounts", []), *idl.get("events", [])]:
            table[bytes(item["discriminator"])] = (
                f"{name}.{item['name']}",
                _fields(types[item["name"]], types),
            )
    return table


@dataclass(frozen=True)
class SeatClock:
    """Where a trading Market keeps its seats' 15-minute epoch counters (``epoch`` = Unix time / 900 of
    the trader's last resting order, ``orders_in_epoch`` counted since): clock-derived, like a time."""

    discriminator: bytes
    seat_count_offset: int
    seats_offset: int
    seat_len: int
    epoch_offset: int
    count_offset: int


def _offset(definition: Any, name: str, types: dict[str, Any]) -> int:
    offset = 0
    for field in definition["type"]["fields"]:
        if field["name"] == name:
            return offset
        offset += _type_size(field["type"], types)
    raise KeyError(name)


@cache
def seat_clock() -> SeatClock:
    idl = json.loads((REPO / "idl" / "trading.json").read_text())
    types = {t["name"]: t for t in idl["types"]}
    market, seat = types["Market"], types["Seat"]
    (discriminator,) = [bytes(a["discriminator"]) for a in idl["accounts"] if a["name"] == "Market"]
    return SeatClock(
        discriminator=discriminator,
        seat_count_offset=8 + _offset(market, "seat_count", types),
        seats_offset=8 + _struct_size(market, types),
        seat_len=_struct_size(seat, types),
        epoch_offset=_offset(seat, "epoch", types),
        count_offset=_offset(seat, "orders_in_epoch", types),
    )


def _mask_seat_epochs(masked: bytearray, values: list[tuple[str, int]]) -> None:
    """Masks every seat's epoch (reported as the epoch number, see :func:`plausible`) and its
    orders_in_epoch (a count since that epoch began, which a node crossing a 15-minute boundary a moment
    earlier resets)."""
    layout = seat_clock()
    if masked[:8] != layout.discriminator or len(masked) < layout.seats_offset:
        return
    count = int.from_bytes(masked[layout.seat_count_offset : layout.seat_count_offset + 4], "little")
    for index in range(count):
        seat = layout.seats_offset + index * layout.seat_len
        epoch_at = seat + layout.epoch_offset
        epoch = int.from_bytes(masked[epoch_at : epoch_at + 8], "little")
        if epoch != 0:
            values.append((f"trading.Market.seats[{index}].epoch", epoch))
            masked[epoch_at : epoch_at + 8] = SET
            masked[seat + layout.count_offset : seat + layout.count_offset + 4] = b"\xff" * 4


SET = b"\xff" * 8
"""What a clock field that holds a time is masked to (one that was never set stays 0)."""


def mask_clock_fields(
    data: bytes, exact: frozenset[int] = frozenset()
) -> tuple[bytes, list[tuple[str, int]]]:
    """``data`` with every set clock field masked to :data:`SET`, and the (field, value) pairs that were
    there; a value in ``exact`` (a signed reading's window end) stays as it is, to be compared."""
    entry = clock_fields().get(data[:8])
    if entry is None:
        return data, []
    kind, fields = entry
    masked, values = bytearray(data), list[tuple[str, int]]()
    if kind == "trading.Market":
        _mask_seat_epochs(masked, values)
    for field in fields:
        end = field.offset + 8
        if end > len(data):
            continue
        value = int.from_bytes(data[field.offset : end], "little", signed=True)
        if value != 0 and value not in exact:
            values.append((f"{kind}.{field.name}", value))
            masked[field.offset : end] = SET
    return bytes(masked), values


EPOCH_SECS = 900


def plausible(field: str, value: int, started: int, finished: int, slack: int) -> bool:
    """A masked value is a time of the run (an epoch number: its 15 minutes overlap the run)."""
    if field.endswith(".epoch"):
        return value * EPOCH_SECS <= finished + slack and (value + 1) * EPOCH_SECS > started - slack
    return started - slack <= value <= finished + slack
