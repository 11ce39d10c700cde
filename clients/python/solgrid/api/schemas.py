"""Response schemas for OpenAPI, made from the indexer's tables so that the documented shape is always
the served one: :func:`row_schema` turns a model's columns into a pydantic model (a column's Python
type, optional when it is nullable), :func:`page_of` wraps one in the paginated envelope."""

from __future__ import annotations

from datetime import datetime
from functools import cache
from typing import Any

from pydantic import BaseModel, ConfigDict, create_model
from sqlalchemy import ColumnElement, inspect

from solgrid.indexer.models import Base


def column_type(column: ColumnElement[Any]) -> Any:
    try:
        python = column.type.python_type
    except NotImplementedError:
        python = Any
    if python is datetime:
        python = str  # served as ISO 8601 (see rows.json_value)
    if python.__name__ == "Decimal":
        python = int  # U64 columns are read back as int
    return python | None if column.nullable else python


@cache
def row_schema(model: type[Base], name: str | None = None, **extra: Any) -> type[BaseModel]:
    """A pydantic model with ``model``'s columns (by attribute name) plus ``extra`` fields
    (``name=(type, default)``)."""
    mapper = inspect(model)
    fields: dict[str, Any] = {}
    for attr in mapper.column_attrs:
        column = attr.columns[0]
        fields[attr.key] = (column_type(column), ...)
    fields.update(extra)
    schema: type[BaseModel] = create_model(
        name or model.__name__,
        __config__=ConfigDict(extra="forbid"),
        __doc__=(model.__doc__ or "").strip() or None,
        **fields,
    )
    return schema


@cache
def page_of(item: type[BaseModel]) -> type[BaseModel]:
    """``{"items": [item], "next_cursor": str | None}``."""
    page: type[BaseModel] = create_model(
        f"{item.__name__}Page",
        items=(list[item], ...),  # type: ignore[valid-type]
        next_cursor=(str | None, None),
        __doc__=f"A page of {item.__name__} rows; pass next_cursor as cursor for the next (null: the last).",
    )
    return page
