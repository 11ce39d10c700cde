"""Throughput and lag of the worker: a periodic log line, a JSON status file and ``GET /status``.

*Lag* is how long the longest-waiting *due* reading has been waiting: one the worker could send now.
Readings that wait on purpose do not count: a window that has not ended on the cluster clock yet
(counted from when it became due, once it has), and readings of a meter the chain does not have. It is
0 when no due reading waits. *readings/s* is measured over the last reporting interval and over the
whole run.
"""

from __future__ import annotations

import time
from collections.abc import Collection
from typing import Any

from solgrid.automation.metrics import Rate, rounded_rate, rounded_secs, run_figures
from solgrid.oracle.queue import ReadingQueue


class Metrics:
    def __init__(self, queue: ReadingQueue) -> None:
        self.queue = queue
        self.readings = Rate()
        """Readings applied this run."""
        self.transactions = 0
        self.retries = 0
        self.rejected_on_chain = 0
        self.first_send: float | None = None
        self.last_landed: float | None = None

    def sending(self) -> None:
        if self.first_send is None:
            self.first_send = time.monotonic()

    @property
    def applied(self) -> int:
        return self.readings.count

    @property
    def rate(self) -> float:
        """Readings per second over the last closed interval."""
        return self.readings.per_sec

    def landed(self, readings: int) -> None:
        self.readings.add(readings)
        self.transactions += 1
        self.last_landed = time.monotonic()

    def found_applied(self, readings: int) -> None:
        """Readings marked applied because the chain shows one of their transactions landed (a
        confirmation that timed out, or a transaction of an earlier run): applied, not sent now."""
        self.readings.add(readings)

    @property
    def submit_seconds(self) -> float:
        """From the first send to the last confirmation (0 before anything landed)."""
        if self.first_send is None or self.last_landed is None:
            return 0.0
        return self.last_landed - self.first_send

    def tick(self) -> None:
        """Close the current interval (recomputes :attr:`rate`)."""
        self.readings.tick()

    def snapshot(
        self, extra: dict[str, Any] | None = None, *, due_by: int, unregistered: Collection[str] = ()
    ) -> dict[str, Any]:
        """The metrics now; ``due_by``: the cluster time windows must end by to be sent now,
        ``unregistered``: meters the chain does not have."""
        now = time.time()
        waiting = self.queue.waiting(due_by, due_by - now, sorted(unregistered))
        lag = max(0.0, now - waiting.due_since) if waiting.due_since is not None else 0.0
        return {
            "applied_this_run": self.applied,
            "transactions_this_run": self.transactions,
            "readings_per_sec": rounded_rate(self.rate),
            "readings_per_sec_overall": rounded_rate(self.readings.overall()),
            "pending": waiting.pending,
            "pending_due": waiting.due,
            "lag_secs": rounded_secs(lag),
            "rejected_on_chain": self.rejected_on_chain,
            "queue": self.queue.totals(),
            **run_figures(self.readings, self.retries),
            **(extra or {}),
        }

    def line(self, snap: dict[str, Any]) -> str:
        return (
            f"{snap['readings_per_sec']:.1f} readings/s ({snap['applied_this_run']} applied this run), "
            f"pending {snap['pending']} ({snap['pending_due']} due), lag {snap['lag_secs']:.1f} s, "
            f"retries {snap['retries']}"
        )
