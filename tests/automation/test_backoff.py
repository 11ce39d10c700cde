"""Backoff: 0.5 s doubling to 10 s, back to 0.5 s after a success; ``until_ok`` retries while the action
raises, one warning per failure, and counts the retries."""

from __future__ import annotations

import asyncio
import logging

import pytest

from solgrid.automation import backoff as backoff_module
from solgrid.automation.backoff import Backoff, until_ok


def test_the_delays_double_up_to_the_cap_and_reset() -> None:
    backoff = Backoff()
    assert [backoff.advance() for _ in range(7)] == [0.5, 1.0, 2.0, 4.0, 8.0, 10.0, 10.0]
    backoff.reset()
    assert backoff.advance() == 0.5
    assert [Backoff(0.1, 0.3).advance() for _ in range(2)] == [0.1, 0.1]


async def test_until_ok_retries_with_backoff(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    slept: list[float] = []

    async def no_sleep(seconds: float) -> None:
        slept.append(seconds)

    monkeypatch.setattr(backoff_module.asyncio, "sleep", no_sleep)
    failures = iter([ConnectionError("refused"), TimeoutError("slow"), None])
    retries = 0

    def count() -> None:
        nonlocal retries
        retries += 1

    async def action() -> str:
        failure = next(failures)
        if failure is not None:
            raise failure
        return "answer"

    with caplog.at_level(logging.WARNING, "test.service"):
        result = await until_ok("reading the clock", action, logging.getLogger("test.service"), count)
    assert result == "answer" and retries == 2 and slept == [0.5, 1.0]
    assert [r.getMessage() for r in caplog.records] == [
        "reading the clock failed (refused); retrying in 0.5 s",
        "reading the clock failed (slow); retrying in 1.0 s",
    ]


async def test_until_ok_is_cancellable() -> None:
    async def never() -> None:
        raise ConnectionError("down")

    task = asyncio.create_task(until_ok("x", never, logging.getLogger("test.service")))
    await asyncio.sleep(0.05)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
