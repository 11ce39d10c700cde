"""Simulated meters: solar, wind, run-of-river hydro and household-consumption profiles over the (UTC)
day, with noise.

Each window's values depend only on ``(seed, serial, window_start, window_secs)``, so a restarted worker
regenerates exactly the readings it generated before the crash (they are then deduplicated by the queue).
"""

from __future__ import annotations

import math
import random
from functools import cache

from solgrid.oracle.config import MeterConfig
from solgrid.sdk.readings import Reading

DAY = 86_400
SUNRISE_H, SUNSET_H = 6.0, 18.0
HYDRO_FLOW = 0.85
"""Run-of-river output as a fraction of capacity: steady at any hour (the river, not the sun, drives it)."""


def _hour(window_start: int, window_secs: int) -> float:
    return ((window_start + window_secs / 2) % DAY) / 3600


def solar_fraction(hour: float) -> float:
    """Clear-sky output as a fraction of capacity: a half sine between sunrise and sunset."""
    if not SUNRISE_H <= hour <= SUNSET_H:
        return 0.0
    return math.sin(math.pi * (hour - SUNRISE_H) / (SUNSET_H - SUNRISE_H))


def household_shape(hour: float) -> float:
    """Relative household load: a base load with a morning and a (larger) evening peak."""
    return 0.6 + 1.2 * math.exp(-(((hour - 7.5) / 1.2) ** 2)) + 2.0 * math.exp(-(((hour - 19.0) / 1.8) ** 2))


@cache
def _mean_household_shape() -> float:
    samples = 24 * 60
    return sum(household_shape(24 * i / samples) for i in range(samples)) / samples


def simulate(meter: MeterConfig, seed: int, window_start: int, window_secs: int) -> Reading:
    """The reading of ``meter`` for ``[window_start, window_start + window_secs)``."""
    rng = random.Random(f"{seed}:{meter.serial}:{window_start}:{window_secs}")
    hour = _hour(window_start, window_secs)
    max_wh = meter.capacity_w * window_secs / 3600
    if meter.profile == "solar":
        fraction = solar_fraction(hour) * rng.uniform(0.55, 1.0)  # passing clouds
    elif meter.profile == "wind":
        fraction = 0.35 + 0.2 * math.sin(2 * math.pi * hour / 24) + rng.gauss(0.0, 0.12)
    elif meter.profile == "hydro":
        fraction = HYDRO_FLOW * rng.uniform(0.94, 1.06)  # the river's flow, which ignores the hour
    else:
        fraction = 0.0
    production = int(max_wh * min(1.0, max(0.0, fraction)))
    load = household_shape(hour) / _mean_household_shape()
    consumption = int(meter.daily_consumption_wh * window_secs / DAY * load * rng.uniform(0.85, 1.15))
    return Reading(window_start, window_start + window_secs, production, consumption)


def first_fresh_window(next_start: int, window_secs: int, now: int, max_age_secs: int) -> int:
    """``next_start``, or the first later window on the same grid that is recent enough for the registry
    (a window that ended more than ``max_age_secs`` ago is refused as too old): after a long outage the
    simulator skips what the chain would refuse anyway instead of sending it to be rejected."""
    oldest_end = now - max_age_secs + window_secs  # a window's margin against the clock moving on
    if next_start + window_secs >= oldest_end:
        return next_start
    return next_start + -(-(oldest_end - window_secs - next_start) // window_secs) * window_secs


def windows_due(next_start: int, window_secs: int, now: int, remaining: int | None) -> list[int]:
    """Starts of the windows from ``next_start`` that have ended by ``now`` (at most ``remaining``)."""
    count = max(0, (now - next_start) // window_secs)
    if remaining is not None:
        count = min(count, remaining)
    return [next_start + i * window_secs for i in range(count)]
