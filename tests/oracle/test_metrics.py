"""The metrics' figures, on a clock the test moves: readings/s per interval and over the run, and a lag
that counts only readings the worker could send now (not a window that has not ended on the cluster
clock, nor a reading of a meter the chain does not have)."""

from __future__ import annotations

from pathlib import Path

import pytest

from solgrid.automation import metrics as shared_metrics_module
from solgrid.oracle import metrics as metrics_module
from solgrid.oracle import queue as queue_module
from solgrid.oracle.metrics import Metrics
from solgrid.oracle.queue import NewReading, ReadingQueue
from solgrid.sdk.readings import Reading


class Clock:
    """Stands in for the ``time`` module: wall time and a monotonic clock, moved by the test."""

    def __init__(self, wall: float, monotonic: float) -> None:
        self.wall = wall
        self.mono = monotonic

    def time(self) -> float:
        return self.wall

    def monotonic(self) -> float:
        return self.mono

    def advance(self, seconds: float) -> None:
        self.wall += seconds
        self.mono += seconds


def reading(serial: str, end: int) -> NewReading:
    return NewReading(serial, Reading(end - 60, end, 1, 1), bytes(32), bytes(64), "http")


def test_rates_and_a_lag_of_due_readings_only(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    clock = Clock(wall=10_000.0, monotonic=500.0)
    monkeypatch.setattr(queue_module, "time", clock)
    monkeypatch.setattr(metrics_module, "time", clock)
    monkeypatch.setattr(shared_metrics_module, "time", clock)
    queue = ReadingQueue(tmp_path / "q.sqlite")
    metrics = Metrics(queue)
    # The cluster clock runs 1000 s ahead of the wall clock; the registry allows 60 s of skew, so
    # windows ending by cluster time 11_060 (wall 10_000 + 1000 + 60) can be sent now.
    skew = 60
    queue.add(
        [
            reading("M", 10_500),  # due long ago
            reading("M", 11_500),  # ends 440 s after the cluster clock (with skew): waits on purpose
            reading("GHOST", 10_500),  # a meter the chain does not have
        ]
    )
    clock.advance(12)
    snap = metrics.snapshot(due_by=int(clock.wall) + 1000 + skew, unregistered={"GHOST"})
    assert (snap["pending"], snap["pending_due"], snap["lag_secs"]) == (3, 1, 12.0)

    due_now = queue.next_batch(["M"], 1)
    queue.mark_applied([r.id for r in due_now], "sig")
    metrics.landed(len(due_now))
    snap = metrics.snapshot(due_by=int(clock.wall) + 1000 + skew, unregistered={"GHOST"})
    assert (snap["pending"], snap["pending_due"], snap["lag_secs"]) == (2, 0, 0.0)

    # The waiting window became due at wall time 10_440; its lag runs from then, not from when it was
    # queued.
    clock.advance(10_470 - clock.wall)
    snap = metrics.snapshot(due_by=int(clock.wall) + 1000 + skew, unregistered={"GHOST"})
    assert (snap["pending_due"], snap["lag_secs"]) == (1, 30.0)
    # Once the meter is known on chain, its reading counts as well (queued 470 s ago).
    snap = metrics.snapshot(due_by=int(clock.wall) + 1000 + skew, unregistered=set())
    assert (snap["pending_due"], snap["lag_secs"]) == (2, 470.0)

    # readings/s: per reporting interval, and over the whole run (470 s so far).
    metrics.tick()
    for _ in range(4):
        metrics.landed(6)
    clock.advance(8)
    metrics.tick()
    snap = metrics.snapshot(due_by=0, unregistered=set())
    assert (snap["applied_this_run"], snap["transactions_this_run"]) == (25, 5)
    assert snap["readings_per_sec"] == 3.0  # 24 readings in the last 8 s
    assert snap["readings_per_sec_overall"] == round(25 / 478, 2)
    assert metrics.line(snap) == (
        "3.0 readings/s (25 applied this run), pending 2 (0 due), lag 0.0 s, retries 0"
    )
    queue.close()
