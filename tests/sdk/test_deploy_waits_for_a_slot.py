"""``wait_past_slot`` (``solgrid deploy`` waits for the slot after a deployment before the program can be
invoked, and before it publishes the IDL): it returns once the node's slot is past the one given, keeps
waiting while the slot moves, and reports a node whose slot stands still instead of waiting forever."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, cast

import pytest
from solana.rpc.async_api import AsyncClient

from solgrid.sdk import deploy
from solgrid.sdk.deploy import DeployError, wait_past_slot


@dataclass
class _Slot:
    value: int


class _Clock:
    """A clock that advances a second each time it is read."""

    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        self.now += 1.0
        return self.now


class _Node:
    """Answers ``get_slot`` with the next of ``slots``, then the last one for ever."""

    def __init__(self, slots: list[int]) -> None:
        self.slots = slots
        self.calls = 0

    async def get_slot(self, _commitment: Any = None) -> _Slot:
        self.calls += 1
        return _Slot(self.slots[min(self.calls, len(self.slots)) - 1])


@pytest.fixture(autouse=True)
def _fast(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(deploy, "POLL_SECONDS", 0)
    monkeypatch.setattr(deploy, "STALLED_SECONDS", 20.0)


async def test_returns_once_the_slot_is_past() -> None:
    node = _Node([7, 7, 8, 9])
    await wait_past_slot(cast(AsyncClient, node), 8, clock=_Clock())
    assert node.calls == 4


async def test_a_slot_already_past_needs_one_question() -> None:
    node = _Node([12])
    await wait_past_slot(cast(AsyncClient, node), 8, clock=_Clock())
    assert node.calls == 1


async def test_a_slowly_moving_slot_is_waited_for() -> None:
    # 10 polls (10 s of the clock) per slot: the whole wait outlasts STALLED_SECONDS, no single slot does.
    slots = [s for slot in range(1, 6) for s in [slot] * 10]
    node = _Node(slots)
    await wait_past_slot(cast(AsyncClient, node), 4, clock=_Clock())
    assert node.calls == 4 * 10 + 1


async def test_a_node_whose_slot_stands_still_is_reported() -> None:
    node = _Node([5])
    with pytest.raises(DeployError, match=r"slot stayed at 5 for 20 s \(waiting for a slot after 5\)"):
        await wait_past_slot(cast(AsyncClient, node), 5, clock=_Clock())
    # The first answer, then one a second (of the clock) until 20 s have passed without a new slot.
    assert node.calls == 22
