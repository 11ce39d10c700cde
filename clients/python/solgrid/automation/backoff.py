"""Retrying with exponential backoff: 0.5 s doubling to 10 s, back to 0.5 s after a success."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import TypeVar

T = TypeVar("T")

INITIAL_BACKOFF_SECS = 0.5
MAX_BACKOFF_SECS = 10.0


class Backoff:
    """The delay before the next retry: :meth:`wait` sleeps it and doubles it (up to ``maximum``),
    :meth:`reset` after a success starts again from ``initial``."""

    def __init__(self, initial: float = INITIAL_BACKOFF_SECS, maximum: float = MAX_BACKOFF_SECS) -> None:
        self.initial = initial
        self.maximum = maximum
        self.delay = initial

    def reset(self) -> None:
        self.delay = self.initial

    def advance(self) -> float:
        """The delay to wait now; the next one is twice as long (capped)."""
        delay = self.delay
        self.delay = min(self.delay * 2, self.maximum)
        return delay

    async def wait(self) -> None:
        await asyncio.sleep(self.advance())


async def until_ok(
    what: str,
    action: Callable[[], Awaitable[T]],
    log: logging.Logger,
    on_retry: Callable[[], None] | None = None,
    backoff: Backoff | None = None,
) -> T:
    """``action()``'s result, retried with backoff while it raises (the cluster unreachable, say): one
    warning per failure naming ``what``; ``on_retry`` counts the retries."""
    backoff = backoff or Backoff()
    while True:
        try:
            return await action()
        except Exception as e:
            delay = backoff.advance()
            log.warning("%s failed (%s); retrying in %.1f s", what, e, delay)
            if on_retry is not None:
                on_retry()
            await asyncio.sleep(delay)
