"""getRecentPerformanceSamples: the node's transaction and slot counts per sample period (a validator
samples every 60 s and keeps 720, newest first); the node has no vote transactions."""

from __future__ import annotations

MAX_PERFORMANCE_SAMPLES = 720
"""Samples getRecentPerformanceSamples keeps (a validator's, at one a minute: 12 hours)."""


class PerformanceSamples:
    """The samples recorded so far, newest first, and the counts the next one starts from."""

    def __init__(self, samples: list[dict[str, int]] | None = None) -> None:
        self.samples: list[dict[str, int]] = list(samples or [])
        self._base = (0, 0)

    def start(self, slot: int, transaction_count: int) -> None:
        """The next sample counts from this slot and transaction count."""
        self._base = (slot, transaction_count)

    def record(self, slot: int, transaction_count: int, period_secs: int) -> dict[str, int]:
        """A sample for the ``period_secs`` just ended, at ``slot`` with ``transaction_count`` so far."""
        base_slot, base_count = self._base
        self._base = (slot, transaction_count)
        sample = {
            "slot": slot,
            "numTransactions": transaction_count - base_count,
            "numSlots": slot - base_slot,
            "samplePeriodSecs": period_secs,
            "numNonVoteTransactions": transaction_count - base_count,
        }
        self.samples = [sample, *self.samples][:MAX_PERFORMANCE_SAMPLES]
        return sample
