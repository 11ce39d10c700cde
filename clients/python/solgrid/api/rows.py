"""Table rows as JSON objects: every column by its attribute name, datetimes as ISO 8601 (UTC)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Row, inspect

from solgrid.indexer.models import Base


def json_value(value: Any) -> Any:
    return value.isoformat() if isinstance(value, datetime) else value


def row_dict(obj: Base) -> dict[str, Any]:
    """An ORM object's columns (the ones its table has, by attribute name)."""
    mapper = inspect(type(obj))
    return {attr.key: json_value(getattr(obj, attr.key)) for attr in mapper.column_attrs}


def mapping_dict(row: Row[Any]) -> dict[str, Any]:
    """A Core result row (``select(table.c...)``) by its column labels."""
    return {key: json_value(value) for key, value in row._mapping.items()}
