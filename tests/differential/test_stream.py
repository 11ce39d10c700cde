"""The stream itself, without nodes: every seed gives a stream that never repeats a transaction by
accident (a repeat is a duplicate on one node and not on the other), and a seed replays exactly."""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import Sequence
from typing import Any

import httpx
import pytest
from solders.hash import Hash
from solders.transaction import VersionedTransaction

from node_session import Session
from stream import Stream

T0 = 1_790_000_000


class OfflineSession(Session):
    """Builds and checks every transaction of the stream; sends nothing."""

    def __init__(self) -> None:
        super().__init__("offline", "http://offline.invalid", httpx.AsyncClient())
        self._slots = itertools.count(1000)
        self.sent: list[bytes] = []

    async def blockhash(self) -> Hash:
        return Hash.default()

    async def slot(self, commitment: str = "confirmed") -> int:
        return next(self._slots)

    async def block_height(self) -> int:
        return next(self._slots) + 10_000

    async def unix_time(self) -> int:
        return T0 + next(self._slots)

    async def send(self, tx: VersionedTransaction, **kw: Any) -> bool:
        self._check_unique(tx, kw.get("duplicate", False))
        self.sent.append(bytes(tx.message))
        return True

    async def record_accounts(self, keys: Sequence[str]) -> None:
        return None

    async def send_raw(self, wire: bytes, *, preflight: bool = True) -> None:
        self.sent.append(wire)

    async def simulate(self, tx: VersionedTransaction, config: dict[str, Any]) -> None:
        self.sent.append(bytes(tx.message))


async def _run(seed: int) -> list[bytes]:
    session = OfflineSession()
    session.state["first_blockhash"] = Hash.default()
    session.state["first_valid_height"] = 0
    for index, (name, step) in enumerate(Stream(seed=seed, t0=T0).steps()):
        session.step, session.step_name = index, name
        await step(session)
    await session.http.aclose()
    return session.sent


@pytest.mark.parametrize("seed", range(0, 400, 7))
def test_no_seed_makes_the_stream_repeat_a_transaction(seed: int) -> None:
    assert len(asyncio.run(_run(seed))) > 150


def test_a_seed_replays_the_same_stream_and_another_seed_changes_its_tail() -> None:
    first, again, other = (asyncio.run(_run(seed)) for seed in (11, 11, 12))
    assert first == again
    assert first != other
