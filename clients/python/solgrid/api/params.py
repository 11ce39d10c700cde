"""Query parameters shared by the endpoints: a time range and the pubkey filters, checked into one-line
400s (an address that is not base58 of 32 bytes, a range that ends before it starts)."""

from __future__ import annotations

import math
from dataclasses import dataclass

import base58
from fastapi import Query

from solgrid.api.errors import bad_parameter

MAX_TIME = 2**63 - 1


@dataclass(frozen=True)
class TimeRange:
    start: int | None
    """Inclusive (unix seconds)."""
    end: int | None
    """Exclusive (unix seconds)."""


def time_range(
    start: int | None = Query(None, alias="from", ge=0, le=MAX_TIME, description="From (unix s, inclusive)."),
    end: int | None = Query(None, alias="to", ge=0, le=MAX_TIME, description="To (unix s, exclusive)."),
) -> TimeRange:
    if start is not None and end is not None and end <= start:
        raise bad_parameter("to", f"must be after from ({end} <= {start})")
    return TimeRange(start, end)


def base58_chars(size: int) -> int:
    """The longest base58 text of ``size`` bytes (44 for 32, 88 for 64)."""
    return math.ceil(size * math.log(256) / math.log(58))


def base58_of(name: str, value: str | None, size: int, what: str) -> str | None:
    """``value`` if it is base58 of ``size`` bytes, else a 400 naming ``name`` (``what`` it must be).
    Too long a text is refused before decoding it (base58 decoding takes time quadratic in the length:
    a long one would hold the server's event loop)."""
    if value is None:
        return None
    if len(value) > base58_chars(size):
        raise bad_parameter(name, f"{len(value)} characters is not a {size}-byte {what}")
    try:
        raw = base58.b58decode(value)
    except ValueError:
        raise bad_parameter(name, f"{value!r} is not base58") from None
    if len(raw) != size:
        raise bad_parameter(name, f"{value!r} is not a {size}-byte {what}")
    return value


def pubkey(name: str, value: str | None) -> str | None:
    """``value`` if it is a base58 pubkey (32 bytes), else a 400 naming ``name``."""
    return base58_of(name, value, 32, "address")
