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


async def test_trades_and_book_topics_push_a_zones_fills_and_book_changes(feed: EventFeed) -> None:
    """``trades`` / ``book`` subscriptions get one frame per fill / per book change of their zones'
    markets (the rows the store derived from the event), and no event frames; event subscriptions get
    the event once, not its rows."""
    trade = {
        "market": "M7",
        "zone_id": 7,
        "maker_order_id": 0,
        "taker_order_id": 1,
        "lots": 4,
        "price": 10**6,
    }
    changes = [
        {"market": "M7", "zone_id": 7, "order_id": 1, "change": "placed", "remaining_lots": 2},
        {"market": "M7", "zone_id": 7, "order_id": 0, "change": "filled", "remaining_lots": 6},
    ]
    placed = StoredEvent(
        "sig",
        5,
        None,
        "T",
        "OrderPlaced",
        0,
        0,
        {},
        frozenset(),
        None,
        7,
        trades=(trade,),
        book=tuple(changes),
    )
    elsewhere = StoredEvent(
        "sig", 5, None, "T", "OrderPlaced", 1, 0, {}, frozenset(), None, 8,
        trades=({**trade, "market": "M8", "zone_id": 8},),
    )  # fmt: skip
    async with connect(f"ws://127.0.0.1:{feed.port}") as socket:
        for sid, topics in [
            ("t", {"trades": 7}),
            ("b", {"book": [7, 9]}),
            ("e", {"zone": 7}),
            ("tb8", {"trades": 8, "book": 8}),
        ]:
            assert (await ask(socket, {"op": "subscribe", "id": sid, "filter": topics}))[
                "type"
            ] == "subscribed"
        await feed.publish([placed, elsewhere])
        got = await pending(socket)
    assert [(m["type"], m["subscriptions"]) for m in got] == [
        ("event", ["e"]),
        ("trade", ["t"]),
        ("book", ["b"]),
        ("book", ["b"]),
        ("trade", ["tb8"]),
    ]
    assert got[1]["trade"] == trade
    assert [m["book"] for m in got[2:4]] == changes
    assert got[4]["trade"]["market"] == "M8"


async def test_auctions_topic_pushes_a_zones_clearings_and_settlement_summaries(feed: EventFeed) -> None:
    """``auctions`` subscriptions get one frame per summary of their zones' epochs (the summaries the
    store derived from EpochCleared / EpochSettled), and neither their events nor their fills."""
    cleared = {"kind": "cleared", "market": "M7", "zone_id": 7, "epoch": 40, "price": 120, "volume_lots": 9}
    settled = {
        "kind": "settled",
        "market": "M7",
        "zone_id": 7,
        "epoch": 40,
        "from_index": 0,
        "to_index": 2,
        "done": True,
    }
    events = [
        StoredEvent("s1", 5, None, "T", "EpochCleared", 0, 0, {}, frozenset(), None, 7, auctions=(cleared,)),
        StoredEvent(
            "s2", 6, None, "T", "EpochSettled", 0, 0, {}, frozenset(), None, 7,
            trades=({"market": "M7", "zone_id": 7, "lots": 9},), auctions=(settled,),
        ),
        StoredEvent(
            "s3", 7, None, "T", "EpochCleared", 0, 0, {}, frozenset(), None, 8,
            auctions=({**cleared, "market": "M8", "zone_id": 8},),
        ),
    ]  # fmt: skip
    async with connect(f"ws://127.0.0.1:{feed.port}") as socket:
        for sid, topics in [("a", {"auctions": 7}), ("a9", {"auctions": [8, 9], "trades": 7})]:
            assert (await ask(socket, {"op": "subscribe", "id": sid, "filter": topics}))[
                "type"
            ] == "subscribed"
        await feed.publish(events)
        got = await pending(socket)
    assert [(m["type"], m["subscriptions"]) for m in got] == [
        ("auction", ["a"]),
        ("trade", ["a9"]),
        ("auction", ["a"]),
        ("auction", ["a9"]),
    ]
    assert [got[0]["auction"], got[2]["auction"]] == [cleared, settled]
    assert got[3]["auction"]["market"] == "M8"


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
        ({"op": "subscribe", "id": "a", "filter": {"trades": "north"}}, "trades must be an integer zone id"),
        ({"op": "subscribe", "id": "a", "filter": {"book": [1, True]}}, "book must be an integer zone id"),
        (
            {"op": "subscribe", "id": "a", "filter": {"trades": 1, "event": "GridMinted", "zone": 1}},
            "trades, book, auctions, certificates, proposals and pauses cannot be combined with event topics "
            "(event, zone)",
        ),
        (
            {"op": "subscribe", "id": "a", "filter": {"auctions": 1, "meter": "m"}},
            "trades, book, auctions, certificates, proposals and pauses cannot be combined with event topics "
            "(meter)",
        ),
        ({"op": "subscribe", "id": "a", "filter": {"auctions": "1"}}, "auctions must be an integer zone id"),
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


async def test_status_counts_clients_subscriptions_and_what_was_pushed(feed: EventFeed) -> None:
    async with (
        connect(f"ws://127.0.0.1:{feed.port}") as watcher,
        connect(f"ws://127.0.0.1:{feed.port}") as socket,
    ):
        assert await ask(watcher, {"op": "status"}) == {
            "type": "status",
            "clients": 2,
            "subscriptions": 0,
            "events_pushed": 0,
            "frames_sent": 0,
        }
        assert (await ask(socket, {"op": "subscribe", "id": "r", "filter": {"event": "ReadingAccepted"}}))[
            "type"
        ] == "subscribed"
        assert (await ask(socket, {"op": "subscribe", "id": "all"}))["type"] == "subscribed"
        await feed.publish(
            [event(REG, "ReadingAccepted", n=0), event(TOK, "GridMinted", n=1), event(TOK, "GridBurned", n=2)]
        )
        assert len(await pending(socket)) == 3  # one frame per event, naming both subscriptions for the first
        assert await ask(watcher, {"op": "status", "id": 4}) == {
            "type": "status",
            "id": 4,
            "clients": 2,
            "subscriptions": 2,
            "events_pushed": 3,
            "frames_sent": 3,
        }
    async with connect(f"ws://127.0.0.1:{feed.port}") as socket:
        assert (await ask(socket, {"op": "status", "id": True}))[
            "message"
        ] == "id must be a string or an integer"
        assert (await ask(socket, {"op": "status", "id": "s"}))["id"] == "s"
