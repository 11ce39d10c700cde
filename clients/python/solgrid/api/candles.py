"""OHLCV candles of 15 minutes to a day, merged from the indexer's 15-minute ``price_history`` buckets.

A candle of ``interval`` seconds starting at ``time`` (a multiple of the interval, UTC-aligned) merges
the buckets in [time, time + interval): open of its first bucket with trades, close of its last, the
highest high and lowest low, volumes and trade counts summed, the VWAP recomputed from the summed
volumes with the indexer's rounding (quote atoms per kWh, halves up), and the book (``bid_wh`` /
``ask_wh``) of its last bucket (the book at the end of the candle as far as the indexer saw it change).
Candles without a trade are left out.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from solgrid.api.errors import bad_parameter
from solgrid.api.params import MAX_TIME, TimeRange
from solgrid.indexer.models import PriceBucket

BUCKET_SECS = 900
"""The indexer's ``price_history`` buckets (15 minutes; solgrid.indexer.trading.BUCKET_SECS)."""
INTERVALS = {"15m": BUCKET_SECS, "1h": 3_600, "4h": 14_400, "1d": 86_400}
MAX_CANDLES = 5_000


def interval_secs(name: str) -> int:
    try:
        return INTERVALS[name]
    except KeyError:
        raise bad_parameter("interval", f"{name!r} is not one of {', '.join(INTERVALS)}") from None


def vwap(volume_quote: int, volume_wh: int) -> int | None:
    """Quote atoms per kWh, rounded to the nearest atom (halves up), as the indexer rounds a bucket's."""
    return (2 * volume_quote * 1000 + volume_wh) // (2 * volume_wh) if volume_wh else None


def align_up(t: int, interval: int) -> int:
    """``t`` rounded up to a multiple of ``interval``, at most the last multiple a BIGINT holds."""
    return min(-(-t // interval) * interval, MAX_TIME // interval * interval)


@dataclass(frozen=True)
class Window:
    """The candles asked for: those starting in [start, end) (multiples of ``interval``)."""

    interval: int
    start: int
    end: int


async def window(session: AsyncSession, market: str, interval: int, times: TimeRange) -> Window | None:
    """The candles to serve: the starts in [from, to) rounded up to the interval; without ``to``, up to
    the newest bucket's candle, without ``from``, the MAX_CANDLES before ``to``, and with only one of
    them given at most MAX_CANDLES from it. Both given and more than MAX_CANDLES apart: a 400. None:
    the market has no bucket and no range was given."""
    if times.start is not None and times.end is not None:
        start, end = align_up(times.start, interval), align_up(times.end, interval)
        count = (end - start) // interval
        if count > MAX_CANDLES:
            raise bad_parameter(
                "to", f"{count} candles of {interval} s between from and to; at most {MAX_CANDLES}"
            )
        return Window(interval, start, end)
    span = MAX_CANDLES * interval
    if times.start is not None:
        start = align_up(times.start, interval)
        return Window(interval, start, align_up(start + span, interval))
    if times.end is not None:
        end = align_up(times.end, interval)
    else:
        newest = await session.scalar(
            select(func.max(PriceBucket.bucket_start)).where(PriceBucket.market == market)
        )
        if newest is None:
            return None
        end = int(newest) // interval * interval + interval
    return Window(interval, max(0, end - span), end)


def merge(buckets: Iterable[Any], interval: int) -> list[dict[str, Any]]:
    """Candles from buckets in ``bucket_start`` order (rows with the ``price_history`` columns)."""
    candles: list[dict[str, Any]] = []
    current: dict[str, Any] | None = None
    for b in buckets:
        start = int(b.bucket_start) // interval * interval
        if current is None or current["time"] != start:
            current = {
                "time": start,
                "open": None,
                "high": None,
                "low": None,
                "close": None,
                "vwap": None,
                "volume_wh": 0,
                "volume_quote": 0,
                "trades": 0,
                "bid_wh": 0,
                "ask_wh": 0,
            }
            candles.append(current)
        if b.trade_count:
            high, low = int(b.high), int(b.low)
            if current["open"] is None:
                current["open"], current["high"], current["low"] = int(b.open), high, low
            current["high"] = max(current["high"], high)
            current["low"] = min(current["low"], low)
            current["close"] = int(b.close)
            current["volume_wh"] += int(b.volume_wh)
            current["volume_quote"] += int(b.volume_quote)
            current["trades"] += int(b.trade_count)
        current["bid_wh"], current["ask_wh"] = int(b.bid_wh), int(b.ask_wh)
    traded = [c for c in candles if c["trades"]]
    for c in traded:
        c["vwap"] = vwap(c["volume_quote"], c["volume_wh"])
    return traded


async def candles(session: AsyncSession, market: str, interval: int, times: TimeRange) -> dict[str, Any]:
    found = await window(session, market, interval, times)
    if found is None:
        return {"interval_secs": interval, "from": None, "to": None, "candles": []}
    buckets = await session.execute(
        select(
            PriceBucket.bucket_start,
            PriceBucket.open,
            PriceBucket.high,
            PriceBucket.low,
            PriceBucket.close,
            PriceBucket.volume_wh,
            PriceBucket.volume_quote,
            PriceBucket.trade_count,
            PriceBucket.bid_wh,
            PriceBucket.ask_wh,
        )
        .where(
            PriceBucket.market == market,
            PriceBucket.bucket_start >= found.start,
            PriceBucket.bucket_start < found.end,
        )
        .order_by(PriceBucket.bucket_start)
    )
    return {
        "interval_secs": interval,
        "from": found.start,
        "to": found.end,
        "candles": merge(buckets, interval),
    }
