"""The feed's JSON protocol over a real websocket: subscribe, filter, unsubscribe, errors."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from typing import Any

import pytest
from synthetic import REGISTRY, TOKEN
from websockets.asyncio.client import ClientConnection, connect

from solgrid.indexer.feed import EventFeed
from solgrid.indexer.store import StoredEvent

REG, TOK = str(REGISTRY.program_id), str(TOKEN.program_id)
EVENTS = [name for c in (REGISTRY, TOKEN) for name in c.coder.events.discriminators.values()]


def event(
    program: str,
    name: str,
    *,
    users: frozenset[str] = frozenset(),
    meter: str | None = None,
    zone: int | None = None,
    n: int = 0,
) -> StoredEvent:
    return StoredEvent(f"sig{n}", 5, None, program, name, 0, n, {"n": n}, frozenset(users), meter, zone)


@pytest.fixture
async def feed() -> AsyncIterator[EventFeed]:
    server = EventFeed({"registry": REG, "energy_token": TOK}, EVENTS)
    await server.start("127.0.0.1", 0)
    yield server
    await server.stop()


async def ask(socket: ClientConnection, request: Any) -> dict[str, Any]:
    await socket.send(request if isinstance(request, str) else json.dumps(request))
    reply: dict[str, Any] = json.loads(await socket.recv())
    return reply


async def pending(socket: ClientConnection) -> list[dict[str, Any]]:
    got = []
    while True:
        try:
            got.append(json.loads(await asyncio.wait_for(socket.recv(), 0.3)))
        except TimeoutError:
            return got


async def test_filters_and_unsubscribe(feed: EventFeed) -> None:
    async with connect(f"ws://127.0.0.1:{feed.port}") as socket:
        assert await ask(socket, {"op": "subscribe", "id": "all"}) == {"type": "subscribed", "id": "all"}
        assert (
            await ask(
                socket,
                {"op": "subscribe", "id": 7, "filter": {"program": TOK, "user": ["w1", "w2"]}},
            )
        )["type"] == "subscribed"
        assert (
            await ask(
                socket, {"op": "subscribe", "id": "z", "filter": {"zone": [3], "event": "ReadingAccepted"}}
            )
        )["type"] == "subscribed"
        await feed.publish(
            [
                event(REG, "ReadingAccepted", meter="m1", zone=3, n=0),
                event(REG, "ReadingAccepted", meter="m2", zone=4, n=1),
                event(TOK, "GridMinted", users=frozenset({"w2", "x"}), meter="m1", zone=3, n=2),
                event(TOK, "GridBurned", users=frozenset({"w9"}), n=3),
            ]
        )
        got = await pending(socket)
        assert [(m["event"]["event_index"], m["subscriptions"]) for m in got] == [
            (0, ["all", "z"]),
            (1, ["all"]),
            (2, ["all", "7"]),
            (3, ["all"]),
        ]
        assert got[2]["event"] == {
            "signature": "sig2",
            "slot": 5,
            "block_time": None,
            "program": TOK,
            "name": "GridMinted",
            "instruction_index": 0,
            "event_index": 2,
            "data": {"n": 2},
            "recovered": False,
        }
        assert await ask(socket, {"op": "unsubscribe", "id": "all"}) == {"type": "unsubscribed", "id": "all"}
        await feed.publish([event(REG, "ReadingAccepted", meter="m2", zone=4, n=4)])
        assert await pending(socket) == []


@pytest.mark.parametrize(
    ("request_", "message"),
    [
        ("{not json", "not JSON"),
        ([1, 2], "a request is a JSON object"),
        ({"op": "subscribe"}, "id must be"),
        ({"op": "subscribe", "id": "a", "filter": {"colour": "red"}}, "unknown filter topic"),
        ({"op": "subscribe", "id": "a", "filter": {"zone": "north"}}, "zone must be an integer"),
        ({"op": "subscribe", "id": "a", "filter": {"meter": 5}}, "meter must be a string"),
        ({"op": "subscribe", "id": "a", "filter": {"program": "regsitry"}}, "unknown program 'regsitry'"),
        (
            {"op": "subscribe", "id": "a", "filter": {"program": ["registry", "Tokenkeg"]}},
            "unknown program 'Tokenkeg'",
        ),
        (
            {"op": "subscribe", "id": "a", "filter": {"event": "ReadingAcepted"}},
            "unknown event 'ReadingAcepted'",
        ),
        (
            {"op": "subscribe", "id": "a", "filter": {"event": ["GridMinted", "Transfer"]}},
            "unknown event 'Transfer'",
        ),
        ({"op": "unsubscribe", "id": "nope"}, "no subscription"),
        ({"op": "dance", "id": "a"}, "unknown op"),
    ],
)
async def test_bad_requests_get_an_error_and_the_connection_stays_usable(
    feed: EventFeed, request_: Any, message: str
) -> None:
    async with connect(f"ws://127.0.0.1:{feed.port}") as socket:
        reply = await ask(socket, request_)
        assert reply["type"] == "error" and message in reply["message"]
        valid_id = isinstance(request_, dict) and "id" in request_
        assert reply.get("id") == (request_["id"] if valid_id else None)
        assert (await ask(socket, {"op": "subscribe", "id": "ok"}))["type"] == "subscribed"
