"""The live subscription against a scripted PubSub server: a frame it cannot read is logged and it
reconnects, instead of the task dying (and its error resurfacing at shutdown)."""

from __future__ import annotations

import asyncio
import json
import logging

import pytest
from websockets.asyncio.server import ServerConnection, serve

from solgrid.indexer import live
from solgrid.indexer.live import LiveSubscription

PROGRAMS = ["Prog1111111111111111111111111111111111111111", "Prog2222222222222222222222222222222222222222"]
BAD_FRAMES = ["{not json", "[1, 2]", '"a string"']
"""What the server answers the first connections with, one bad frame each."""


class ScriptedPubSub:
    """Answers the n-th connection's subscriptions with ``BAD_FRAMES[n]``, later ones properly."""

    def __init__(self) -> None:
        self.connections = 0

    async def handle(self, socket: ServerConnection) -> None:
        number = self.connections
        self.connections += 1
        requests = [json.loads(await socket.recv()) for _ in PROGRAMS]
        if number < len(BAD_FRAMES):
            await socket.send(BAD_FRAMES[number])
        else:
            for request in requests:
                await socket.send(
                    json.dumps({"jsonrpc": "2.0", "id": request["id"], "result": request["id"]})
                )
        await socket.wait_closed()


async def test_unreadable_frames_are_logged_and_the_subscription_reconnects(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setattr(live, "RECONNECT_MIN", 0.01)
    server = ScriptedPubSub()
    woken: list[int] = []
    async with serve(server.handle, "127.0.0.1", 0) as pubsub:
        port = next(iter(pubsub.sockets)).getsockname()[1]
        subscription = LiveSubscription(f"ws://127.0.0.1:{port}", PROGRAMS, lambda: woken.append(1))
        with caplog.at_level(logging.WARNING, logger=live.__name__):
            task = asyncio.create_task(subscription.run())
            connected = asyncio.create_task(subscription.connected.wait())
            done, _ = await asyncio.wait({task, connected}, timeout=30, return_when=asyncio.FIRST_COMPLETED)
            assert connected in done, f"not subscribed; the task ended: {task.done()}"
            assert not task.done()
            assert server.connections == len(BAD_FRAMES) + 1
            assert subscription.connections == 1 and woken == [1]
            task.cancel()
            with pytest.raises(asyncio.CancelledError):  # and nothing else: no stale error at shutdown
                await task
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warnings) == len(BAD_FRAMES)
    assert "JSONDecodeError" in warnings[0]
    assert all("must be a JSON object" in w and "reconnecting" in w for w in warnings[1:])
