"""Throughput and lag of the worker: a periodic log line, a JSON status file and ``GET /status``.

*Lag* is how long the oldest pending reading has been waiting in the queue (0 when nothing waits);
*readings/s* is measured over the last reporting interval and over the whole run.
"""

from __future__ import annotations

import json
import os
import time
from pathlib import Path
from typing import Any

from solgrid.oracle.queue import ReadingQueue


class Metrics:
    def __init__(self, queue: ReadingQueue) -> None:
        self.queue = queue
        self.started = time.monotonic()
        self.applied = 0
        self.transactions = 0
        self.retries = 0
        self.rejected_on_chain = 0
        self._last = (self.started, 0)
        self.rate = 0.0
        self.first_send: float | None = None
        self.last_landed: float | None = None

    def sending(self) -> None:
        if self.first_send is None:
            self.first_send = time.monotonic()

    def landed(self, readings: int) -> None:
        self.applied += readings
        self.transactions += 1
        self.last_landed = time.monotonic()

    @property
    def submit_seconds(self) -> float:
        """From the first send to the last confirmation (0 before anything landed)."""
        if self.first_send is None or self.last_landed is None:
            return 0.0
        return self.last_landed - self.first_send

    def tick(self) -> None:
        """Close the current interval (recomputes :attr:`rate`)."""
        now = time.monotonic()
        then, applied = self._last
        self.rate = (self.applied - applied) / max(now - then, 1e-9)
        self._last = (now, self.applied)

    def snapshot(self, extra: dict[str, Any] | None = None) -> dict[str, Any]:
        pending, oldest = self.queue.pending()
        elapsed = time.monotonic() - self.started
        return {
            "applied_this_run": self.applied,
            "transactions_this_run": self.transactions,
            "readings_per_sec": round(self.rate, 2),
            "readings_per_sec_overall": round(self.applied / max(elapsed, 1e-9), 2),
            "pending": pending,
            "lag_secs": round(time.time() - oldest, 1) if oldest is not None else 0.0,
            "retries": self.retries,
            "rejected_on_chain": self.rejected_on_chain,
            "queue": self.queue.totals(),
            "uptime_secs": round(elapsed, 1),
            **(extra or {}),
        }

    def line(self, snap: dict[str, Any]) -> str:
        return (
            f"{snap['readings_per_sec']:.1f} readings/s ({snap['applied_this_run']} applied this run), "
            f"pending {snap['pending']}, lag {snap['lag_secs']:.1f} s, retries {snap['retries']}"
        )


def write_status(path: Path, snap: dict[str, Any]) -> None:
    """Replace the status file atomically (readers never see half a file)."""
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(json.dumps(snap, indent=2, sort_keys=True))
    os.replace(tmp, path)
