"""Filters shared by the domain's endpoints: a zone id, a value out of a fixed set (refused in one line
that lists the allowed ones), a transaction signature, and a time range as SQL conditions."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Annotated, Any

from fastapi import Path, Query
from sqlalchemy import ColumnElement, SQLColumnExpression

from solgrid.api.errors import bad_parameter
from solgrid.api.params import MAX_TIME, TimeRange, base58_of, pubkey

ZoneFilter = Annotated[int | None, Query(ge=0, le=MAX_TIME, description="Zone id.")]
Address = Annotated[str, Path(description="A base58 address.")]


def one_of(name: str, value: str | None, allowed: Iterable[str]) -> str | None:
    """``value`` if it is one of ``allowed`` (or None), else a 400 naming them."""
    choices = list(allowed)
    if value is not None and value not in choices:
        raise bad_parameter(name, f"{value!r} is not one of {', '.join(choices)}")
    return value


def path_address(name: str, value: str) -> str:
    """A path's address: base58 of 32 bytes, else a 400."""
    checked = pubkey(name, value)
    assert checked is not None
    return checked


def signature(name: str, value: str | None) -> str | None:
    """``value`` if it is a base58 transaction signature (64 bytes), else a 400 naming ``name``."""
    return base58_of(name, value, 64, "signature")


def in_range(column: SQLColumnExpression[Any], span: TimeRange) -> list[ColumnElement[bool]]:
    """``column`` within ``span`` (inclusive start, exclusive end); nothing when the span is open."""
    conditions: list[ColumnElement[bool]] = []
    if span.start is not None:
        conditions.append(column >= span.start)
    if span.end is not None:
        conditions.append(column < span.end)
    return conditions
