"""A local write that always finishes and is always accounted for, even when the task running it is
cancelled meanwhile (SIGTERM stops a service by cancelling its tasks).

A queue commit runs in a thread; cancelling the coroutine that awaits it does not stop the thread, so
the write lands anyway. If the counting that follows it were skipped, the service's last status would
miss work its queue holds as done. :func:`commit_then` waits for the write through any number of
cancellations, runs the accounting, and only then lets the cancellation go on.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import TypeVar

T = TypeVar("T")


async def commit_then(write: Callable[[], T], account: Callable[[T], None]) -> T:
    """Run ``write`` in a thread, then ``account(result)``; both happen even if this task is cancelled
    (once or repeatedly) while the write runs, after which :class:`asyncio.CancelledError` is raised.
    An exception from ``write`` propagates and nothing is accounted."""
    future = asyncio.ensure_future(asyncio.to_thread(write))
    cancelled: asyncio.CancelledError | None = None
    while True:
        try:
            result = await asyncio.shield(future)
            break
        except asyncio.CancelledError as e:
            if future.cancelled():
                raise
            if future.done():
                result = future.result()
                cancelled = cancelled or e
                break
            cancelled = cancelled or e
    account(result)
    if cancelled is not None:
        raise cancelled
    return result
