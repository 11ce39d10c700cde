"""Cursor pagination: pages of a query ordered by a unique key (e.g. ``(slot, id)``), newest first.

A cursor is the key of the last row served, as URL-safe base64 of its JSON; the next page is the rows
strictly after it in the order (a keyset, so a page costs the same at any depth and rows indexed
meanwhile neither repeat nor shift a page). A cursor that does not decode to a key of the right length
and kinds (integers a BIGINT holds, or text, as the key's columns) is a 400. The key's columns must be
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
from sqlalchemy import Select, String, tuple_
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import InstrumentedAttribute

from solgrid.api.errors import bad_parameter

DEFAULT_LIMIT = 100
INT64_MIN, INT64_MAX = -(2**63), 2**63 - 1
"""A cursor's integers: what a BIGINT holds (a larger one would fail in the driver, not as a 400)."""
MAX_LIMIT = 1000


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


def decode_cursor(cursor: str, length: int) -> list[Any]:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        key = json.loads(raw)
    except (binascii.Error, ValueError):
        raise bad_parameter("cursor", "not a cursor this API gave (use next_cursor as it is)") from None
    if (
        not isinstance(key, list)
        or len(key) != length
        or not all(isinstance(v, (int, str)) and not isinstance(v, bool) for v in key)
        or not all(INT64_MIN <= v <= INT64_MAX for v in key if isinstance(v, int))
    ):
        raise bad_parameter("cursor", "not a cursor of this list") from None
    return key


def check_key(key: Sequence[Any], columns: Sequence[InstrumentedAttribute[Any]]) -> None:
    """A 400 unless each value of a decoded cursor has its column's kind (text or integer): a database
    compares what it is given, and Postgres refuses to compare an integer column with text."""
    for value, column in zip(key, columns, strict=True):
        if isinstance(value, str) != isinstance(column.type, String):
            raise bad_parameter("cursor", "not a cursor of this list")


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
        after = decode_cursor(page.cursor, len(keys))
        check_key(after, keys)
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
