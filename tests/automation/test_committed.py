"""commit_then: a queue write in a thread is waited for and accounted even when the task is cancelled
meanwhile, once or again while it waits (a service stopping on SIGTERM); only then does the
cancellation go on. Without the wait, the thread's commit would land after the last status was
written, and the status would miss it."""

from __future__ import annotations

import asyncio
import threading

import pytest

from solgrid.automation.committed import commit_then


async def _cancelled_while_writing(cancels: int) -> tuple[list[int], list[str]]:
    started, release = threading.Event(), threading.Event()
    written: list[int] = []
    accounted: list[str] = []

    def write() -> int:
        started.set()
        release.wait(10)
        written.append(7)
        return 7

    task = asyncio.create_task(commit_then(write, lambda n: accounted.append(f"{n} after {written}")))
    while not started.is_set():
        await asyncio.sleep(0.001)
    for _ in range(cancels):
        task.cancel()
        await asyncio.sleep(0.01)
    assert not task.done(), "the task ended before its write finished"
    release.set()
    with pytest.raises(asyncio.CancelledError):
        await task
    return written, accounted


@pytest.mark.parametrize("cancels", [1, 3])
async def test_a_cancelled_write_finishes_and_is_accounted_before_the_cancellation(cancels: int) -> None:
    written, accounted = await _cancelled_while_writing(cancels)
    assert written == [7]
    assert accounted == ["7 after [7]"]


async def test_the_result_is_returned_after_it_is_accounted() -> None:
    accounted: list[int] = []
    assert await commit_then(lambda: 3, accounted.append) == 3
    assert accounted == [3]


async def test_a_failed_write_propagates_and_accounts_nothing() -> None:
    accounted: list[None] = []

    def fail() -> None:
        raise OSError("disk full")

    with pytest.raises(OSError, match="disk full"):
        await commit_then(fail, accounted.append)
    assert accounted == []
