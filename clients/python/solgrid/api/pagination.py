"""Cursor pagination: pages of a query ordered by a unique key (e.g. ``(slot, id)``), newest first.

A cursor is the key of the last row served, as URL-safe base64 of its JSON; the next page is the rows
strictly after it in the order (a keyset, so a page costs the same at any depth and rows indexed
meanwhile neither repeat nor shift a page). A cursor that does not decode to a key of the right length
and types (a string for a text column, an integer in the signed 64-bit range for a numeric one) is a
400: the database would refuse the comparison (Postgres) or overflow on binding it; so is a string that
is not printable UTF-8 (a NUL, a lone surrogate), which Postgres cannot take. The key's columns must be
non-null.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from fastapi import Query
from sqlalchemy import Select, tuple_
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import InstrumentedAttribute

from solgrid.api.errors import bad_parameter

DEFAULT_LIMIT = 100
MAX_LIMIT = 1000
INT64 = range(-(2**63), 2**63)
MAX_CURSOR = 2000
"""Characters: the cursors this API gives are far shorter."""


@dataclass(frozen=True)
class PageParams:
    limit: int
    cursor: str | None


def page_params(
    limit: int = Query(DEFAULT_LIMIT, ge=1, le=MAX_LIMIT, description="Rows per page."),
    cursor: str | None = Query(None, description="next_cursor of the previous page."),
) -> PageParams:
    return PageParams(limit, cursor)


def encode_cursor(key: Sequence[Any]) -> str:
    raw = json.dumps(list(key), separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def key_kinds(keys: Sequence[InstrumentedAttribute[Any]]) -> list[type]:
    """``str`` or ``int``: what each key column's values are in a cursor."""
    kinds: list[type] = []
    for key in keys:
        try:
            python = key.type.python_type
        except NotImplementedError:
            python = str
        kinds.append(str if issubclass(python, str) else int)
    return kinds


def fits(value: Any, kind: type | None) -> bool:
    if isinstance(value, bool) or not isinstance(value, (int, str)):
        return False
    if kind is not None and not isinstance(value, kind):
        return False
    if isinstance(value, int):
        return value in INT64
    return (
        isinstance(value, str) and value.isprintable()
    )  # no NUL, no lone surrogate (from a JSON escape): both refused by Postgres


def decode_cursor(cursor: str, length: int, kinds: Sequence[type] | None = None) -> list[Any]:
    try:
        if len(cursor) > MAX_CURSOR:
            raise ValueError("too long")
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        key = json.loads(raw)
    except (binascii.Error, ValueError, RecursionError):
        raise bad_parameter("cursor", "not a cursor this API gave (use next_cursor as it is)") from None
    if (
        not isinstance(key, list)
        or len(key) != length
        or not all(fits(v, None if kinds is None else kinds[i]) for i, v in enumerate(key))
    ):
        raise bad_parameter("cursor", "not a cursor of this list") from None
    return key


async def paginate(
    session: AsyncSession,
    query: Select[Any],
    keys: Sequence[InstrumentedAttribute[Any]],
    page: PageParams,
    item: Callable[[Any], dict[str, Any]],
    *,
    descending: bool = True,
    scalars: bool = True,
) -> dict[str, Any]:
    """One page of ``query`` ordered by ``keys`` (descending by default): ``{"items", "next_cursor"}``.
    ``item`` turns a result (an ORM object when ``scalars``, else a row) into its JSON object."""
    if page.cursor is not None:
        after = decode_cursor(page.cursor, len(keys), key_kinds(keys))
        key = tuple_(*keys)
        query = query.where(key < tuple_(*after) if descending else key > tuple_(*after))
    order = [k.desc() if descending else k.asc() for k in keys]
    query = query.order_by(*order).limit(page.limit + 1)
    if scalars:
        rows: list[Any] = list((await session.scalars(query)).all())
    else:
        rows = list((await session.execute(query)).all())
    more = len(rows) > page.limit
    rows = rows[: page.limit]
    items = [item(r) for r in rows]
    next_cursor = None
    if more and rows:
        last = rows[-1]
        values = [getattr(last, k.key) if scalars else last._mapping[k.key] for k in keys]
        next_cursor = encode_cursor(values)
    return {"items": items, "next_cursor": next_cursor}
