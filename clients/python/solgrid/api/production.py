"""Production series: what meters produced and consumed (their readings, by window start) and what was
settled as GRID (settlements, at their transaction's block time), summed per interval.

The series is dense from the first to the last interval of the range (``from`` / ``to``, or the data's
when one is open): an interval without readings or settlements is there with zeros, so a chart needs no
gap filling. Intervals start at multiples of their length (unix time), and a range is at most
:data:`MAX_INTERVALS` of them (else a 400 saying to narrow it).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, Select, SQLColumnExpression, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from solgrid.api.errors import bad_parameter
from solgrid.api.filters import in_range
from solgrid.api.params import TimeRange
from solgrid.indexer.models import Meter, MeterReading, Settlement, Transaction

INTERVALS = {"15m": 900, "1h": 3600, "1d": 86400}
MAX_INTERVALS = 5000


@dataclass(frozen=True)
class MeterSelection:
    """Which meters a series sums: all of them, or those matching every filter given."""

    zone: int | None = None
    meter: str | None = None
    owner: str | None = None

    def of(self, column: SQLColumnExpression[Any]) -> list[ColumnElement[bool]]:
        """Conditions on a meter address ``column``."""
        conditions: list[ColumnElement[bool]] = []
        if self.meter is not None:
            conditions.append(column == self.meter)
        if self.zone is not None:
            conditions.append(column.in_(select(Meter.address).where(Meter.zone_id == self.zone)))
        if self.owner is not None:
            conditions.append(column.in_(select(Meter.address).where(Meter.owner == self.owner)))
        return conditions


def bucket(column: ColumnElement[int], secs: int) -> ColumnElement[int]:
    """The start of the interval ``column`` (unix seconds, non-negative) falls in."""
    return column - column % secs


def readings_in(meters: MeterSelection, span: TimeRange) -> Select[Any]:
    return select(MeterReading).where(
        *meters.of(MeterReading.meter), *in_range(MeterReading.window_start, span)
    )


def settled_in(meters: MeterSelection, span: TimeRange) -> Select[Any]:
    return (
        select(Settlement)
        .join(Transaction, Transaction.signature == Settlement.signature)
        .where(
            Transaction.block_time.is_not(None),
            *meters.of(Settlement.meter),
            *in_range(Transaction.block_time, span),
        )
    )


async def data_span(session: AsyncSession, meters: MeterSelection, span: TimeRange) -> tuple[int, int] | None:
    """The first and last time with data (readings' window starts, settlements' block times) in
    ``span``; None without data."""
    readings = readings_in(meters, span).subquery()
    settled = settled_in(meters, span).with_only_columns(Transaction.block_time).subquery()
    found: list[int] = []
    for query in (
        select(func.min(readings.c.window_start), func.max(readings.c.window_start)),
        select(func.min(settled.c.block_time), func.max(settled.c.block_time)),
    ):
        low, high = (await session.execute(query)).one()
        if low is not None:
            found += [int(low), int(high)]
    return (min(found), max(found)) if found else None


async def production_series(
    session: AsyncSession, meters: MeterSelection, interval: str, span: TimeRange
) -> dict[str, Any]:
    """``{"interval_secs", "series": [{"time", "production_wh", "consumption_wh", "settled_wh",
    "readings"}]}``, oldest first."""
    secs = INTERVALS[interval]
    start, end = span.start, span.end
    if start is None or end is None:
        found = await data_span(session, meters, span)
        if found is None:
            return {"interval_secs": secs, "series": []}
        start = found[0] if start is None else start
        end = found[1] + 1 if end is None else end
    first = start - start % secs
    count = -(-(end - first) // secs)
    if count > MAX_INTERVALS:
        raise bad_parameter(
            "interval",
            f"{count} intervals of {interval} from {start} to {end}; at most {MAX_INTERVALS}: narrow "
            "from/to or choose a longer interval",
        )
    bounded = TimeRange(start, end)
    readings = readings_in(meters, bounded).subquery()
    time = bucket(readings.c.window_start, secs).label("time")
    produced = await session.execute(
        select(
            time,
            func.sum(readings.c.production_wh),
            func.sum(readings.c.consumption_wh),
            func.count(),
        ).group_by(time)
    )
    settled_rows = settled_in(meters, bounded).with_only_columns(Transaction.block_time, Settlement.amount_wh)
    settled = settled_rows.subquery()
    settled_time = bucket(settled.c.block_time, secs).label("time")
    settled_sums = await session.execute(
        select(settled_time, func.sum(settled.c.amount_wh)).group_by(settled_time)
    )
    series = {
        first + i * secs: {
            "time": first + i * secs,
            "production_wh": 0,
            "consumption_wh": 0,
            "settled_wh": 0,
            "readings": 0,
        }
        for i in range(count)
    }
    for at, production, consumption, readings_count in produced:
        point = series[int(at)]
        point.update(
            production_wh=int(production or 0),
            consumption_wh=int(consumption or 0),
            readings=int(readings_count),
        )
    for at, amount in settled_sums:
        series[int(at)]["settled_wh"] = int(amount or 0)
    return {"interval_secs": secs, "series": list(series.values())}
