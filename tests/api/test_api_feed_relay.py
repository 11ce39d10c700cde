"""``/feed`` on a real uvicorn server relaying the indexer's real feed: frames both ways unchanged, one
upstream connection per client closed with it, the relay's clients on the status endpoint, and the one
error frame and close code without a feed."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import httpx
import pytest
from api_server import WAIT, indexer_feed, served
from synthetic import REGISTRY
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed

from pg_server import free_port
from solgrid.api import feed_relay
from solgrid.api.settings import ApiSettings
from solgrid.indexer.feed import EventFeed
from solgrid.indexer.store import StoredEvent

REG = str(REGISTRY.program_id)


def reading(n: int, zone: int) -> StoredEvent:
    data = {"meter": "m", "window_start": n, "production_wh": 900}
    return StoredEvent(
        f"sig{n}", 50 + n, 1_700_000_000, REG, "ReadingAccepted", 0, n, data, frozenset(), "m", zone
    )


async def ask(socket: ClientConnection, request: Any) -> dict[str, Any]:
    await socket.send(json.dumps(request))
    reply: dict[str, Any] = json.loads(await asyncio.wait_for(socket.recv(), WAIT))
    return reply


async def until(check: Any, what: str) -> None:
    async with asyncio.timeout(WAIT):
        while not check():
            await asyncio.sleep(0.02)


@pytest.fixture
async def feed() -> Any:
    async with indexer_feed() as f:
        yield f


async def test_the_relay_passes_frames_both_ways_and_closes_with_its_client(
    feed: EventFeed, db_url: str, db: Any
) -> None:
    settings = ApiSettings(db_url=db_url, feed_url=f"ws://127.0.0.1:{feed.port}", static_dir=None)
    async with served(settings) as base:
        relay = base.replace("http://", "ws://") + "/feed"
        async with connect(relay) as socket, connect(f"ws://127.0.0.1:{feed.port}") as direct:
            subscribe = {"op": "subscribe", "id": "z3", "filter": {"event": "ReadingAccepted", "zone": 3}}
            assert await ask(socket, subscribe) == {"type": "subscribed", "id": "z3"}
            assert await ask(direct, subscribe) == {"type": "subscribed", "id": "z3"}
            assert await ask(socket, {"op": "dance", "id": 1}) == {
                "type": "error",
                "id": 1,
                "message": "unknown op 'dance' (subscribe, unsubscribe, status)",
            }
            await feed.publish([reading(1, 4), reading(2, 3)])
            relayed = await asyncio.wait_for(socket.recv(), WAIT)
            assert relayed == await asyncio.wait_for(direct.recv(), WAIT)  # the same frame, unchanged
            assert json.loads(relayed)["event"]["event_index"] == 2
            async with httpx.AsyncClient(base_url=base) as http:
                status = (await http.get("/api/v1/status")).json()["feed"]
            # the relay's upstream, the direct client, the status request's own connection
            assert (status["connected"], status["clients"], status["relay_clients"]) == (True, 3, 1)
            assert status["events_pushed"] == 2
        # the client left: the relay closed its upstream connection
        await until(lambda: feed.status()["clients"] == 0, "the relay to close its upstream connection")

        async with connect(relay) as socket:
            assert (await ask(socket, {"op": "status", "id": "s"}))["clients"] == 1
            await feed.stop()  # the feed goes away: the relay closes its client
            with pytest.raises(ConnectionClosed):
                await asyncio.wait_for(socket.recv(), WAIT)


@pytest.mark.parametrize(
    ("feed_url", "code", "message"),
    [
        (None, 1011, "this API has no feed to relay (start it with --feed-url)"),
        ("ws://127.0.0.1:{closed}", 1013, "the indexer's feed at ws://127.0.0.1:{closed} cannot be reached"),
        (
            "ws://ops:s3cret@127.0.0.1:{closed}",
            1013,
            "the indexer's feed at ws://127.0.0.1:{closed} cannot be reached",  # no user or password shown
        ),
    ],
)
async def test_without_a_feed_one_error_frame_then_close(
    db_url: str, db: Any, feed_url: str | None, code: int, message: str
) -> None:
    closed = free_port()
    url = None if feed_url is None else feed_url.format(closed=closed)
    async with served(ApiSettings(db_url=db_url, feed_url=url, static_dir=None)) as base:
        async with connect(base.replace("http://", "ws://") + "/feed") as socket:
            frame = json.loads(await asyncio.wait_for(socket.recv(), WAIT))
            assert frame["type"] == "error" and frame["message"].startswith(message.format(closed=closed))
            with pytest.raises(ConnectionClosed):
                await asyncio.wait_for(socket.recv(), WAIT)
            assert socket.close_code == code
        async with httpx.AsyncClient(base_url=base) as http:
            assert (await http.get("/api/v1/status")).json()["feed"]["relay_clients"] == 0


async def test_a_full_relay_refuses_the_next_client(
    feed: EventFeed, db_url: str, db: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(feed_relay, "MAX_RELAY_CLIENTS", 1)
    settings = ApiSettings(db_url=db_url, feed_url=f"ws://ops:s3cret@127.0.0.1:{feed.port}", static_dir=None)
    async with served(settings) as base:
        relay = base.replace("http://", "ws://") + "/feed"
        async with connect(relay) as first:
            assert (await ask(first, {"op": "status", "id": "s"}))["type"] == "status"
            async with connect(relay) as second:
                frame = json.loads(await asyncio.wait_for(second.recv(), WAIT))
                assert frame == {"type": "error", "message": "the feed relay is full (1 connections)"}
                with pytest.raises(ConnectionClosed):
                    await asyncio.wait_for(second.recv(), WAIT)
                assert second.close_code == 1013
            async with httpx.AsyncClient(base_url=base) as http:
                status = (await http.get("/api/v1/status")).json()["feed"]
            assert status["relay_clients"] == 1 and status["url"] == f"ws://127.0.0.1:{feed.port}"
