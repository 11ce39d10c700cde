"""Query parameters shared by the endpoints: a time range and the pubkey filters, checked into one-line
400s (an address that is not base58 of 32 bytes, a range that ends before it starts)."""

from __future__ import annotations

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


def pubkey(name: str, value: str | None) -> str | None:
    """``value`` if it is a base58 pubkey (32 bytes), else a 400 naming ``name``."""
    if value is None:
        return None
    try:
        raw = base58.b58decode(value)
    except ValueError:
        raise bad_parameter(name, f"{value!r} is not base58") from None
    if len(raw) != 32:
        raise bad_parameter(name, f"{value!r} is not a 32-byte address")
    return value
