"""The services' metrics conventions: a count and its rate per second (over the last reporting interval
and over the run), uptime, and a report every interval as one log line plus the JSON status file.

Figures are rounded as the status file shows them: rates to 2 decimals, seconds to 1.
"""

from __future__ import annotations

import time
from typing import Any


class Rate:
    """A count of something done this run (readings applied, orders settled) and its rate."""

    def __init__(self) -> None:
        self.started = time.monotonic()
        self.count = 0
        self.per_sec = 0.0
        """Over the last closed interval (:meth:`tick`)."""
        self._last = (self.started, 0)

    def add(self, n: int = 1) -> None:
        self.count += n

    def tick(self) -> None:
        """Close the current interval (recomputes :attr:`per_sec`)."""
        now = time.monotonic()
        then, count = self._last
        self.per_sec = (self.count - count) / max(now - then, 1e-9)
        self._last = (now, self.count)

    def overall(self) -> float:
        """Per second since the start of the run."""
        return self.count / max(self.uptime(), 1e-9)

    def uptime(self) -> float:
        return time.monotonic() - self.started


def rounded_secs(seconds: float) -> float:
    return round(seconds, 1)


def rounded_rate(per_sec: float) -> float:
    return round(per_sec, 2)


def run_figures(rate: Rate, retries: int) -> dict[str, Any]:
    """The figures every service's status carries: ``retries`` (sends and chain reads retried after a
    transient failure) and ``uptime_secs``."""
    return {"retries": retries, "uptime_secs": rounded_secs(rate.uptime())}
