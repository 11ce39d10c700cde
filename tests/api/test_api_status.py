"""The status endpoint on both backends: the chain's slot from the node (cached, null when it fails), the
indexer's checkpoints with their lag, the indexed events, and the feed (its status op, null when it is
unreachable)."""

from __future__ import annotations

import httpx
import pytest
from api_server import client_of, indexer_feed, slot_node
from indexer_support import store
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from synthetic import REGISTRY, registration_logs, tx
from trading_events import PROGRAM as TRADING

from pg_server import free_port
from solgrid.api import status
from solgrid.api.settings import ApiSettings
from solgrid.indexer.decode import EventDecoder
from solgrid.indexer.models import Checkpoint
from solgrid.indexer.service import default_coders
from solgrid.indexer.store import Store

DB = async_sessionmaker[AsyncSession]


async def test_status_without_node_or_feed(api: httpx.AsyncClient, db_url: str) -> None:
    answer = await api.get("/api/v1/status")
    assert answer.status_code == 200
    body = answer.json()
    assert isinstance(body.pop("server_time"), int)
    assert body == {
        "chain_slot": None,
        "checkpoints": [],
        "events": 0,
        "last_event": None,
        "feed": {
            "url": None,
            "connected": False,
            "clients": None,
            "subscriptions": None,
            "events_pushed": None,
            "relay_clients": 0,
        },
        "database": "sqlite" if db_url.startswith("sqlite") else "postgresql",
    }


async def test_status_with_the_chain_the_checkpoints_the_events_and_the_feed(
    db: DB, db_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(status, "CACHE_SECS", 60.0)  # the second request is within the cache's life
    indexer = Store(EventDecoder(default_coders()))
    await store(db, indexer, tx(registration_logs(), slot=5), tx(registration_logs(), slot=9))
    async with db() as s, s.begin():
        s.add(Checkpoint(program=str(REGISTRY.program_id), signature="sig", slot=9, covered_slot=12))
        s.add(Checkpoint(program=TRADING, signature=None, slot=None, covered_slot=3))
    async with slot_node(40) as node, indexer_feed() as feed:
        feed_url = f"ws://127.0.0.1:{feed.port}"
        settings = ApiSettings(db_url=db_url, rpc_url=node.url, feed_url=feed_url)
        async with client_of(settings) as api:
            body = (await api.get("/api/v1/status")).json()
            again = (await api.get("/api/v1/status")).json()
    assert node.requests == 1  # cached: the second status did not ask the node again
    assert again["chain_slot"] == body["chain_slot"] == 40
    assert sorted(body["checkpoints"], key=lambda c: c["name"]) == [
        {
            "program": str(REGISTRY.program_id),
            "name": "registry",
            "slot": 9,
            "covered_slot": 12,
            "lag_slots": 28,
        },
        {"program": TRADING, "name": "trading", "slot": None, "covered_slot": 3, "lag_slots": 37},
    ]
    # each registration: ZoneCreated, UserRegistered, MeterRegistered
    assert (body["events"], body["last_event"]) == (6, {"slot": 9, "block_time": 1_700_000_000})
    assert body["feed"] == {
        "url": feed_url,
        "connected": True,
        "clients": 1,  # the status request's own connection
        "subscriptions": 0,
        "events_pushed": 0,
        "relay_clients": 0,
    }


async def test_an_unreachable_node_and_feed_are_null(db: DB, db_url: str) -> None:
    closed = free_port()
    settings = ApiSettings(
        db_url=db_url, rpc_url=f"http://127.0.0.1:{closed}", feed_url=f"ws://127.0.0.1:{closed}"
    )
    async with client_of(settings) as api:
        body = (await api.get("/api/v1/status")).json()
    assert body["chain_slot"] is None
    assert body["feed"] == {
        "url": f"ws://127.0.0.1:{closed}",
        "connected": False,
        "clients": None,
        "subscriptions": None,
        "events_pushed": None,
        "relay_clients": 0,
    }


async def test_the_node_is_asked_again_once_the_cache_expired(
    db: DB, db_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(status, "CACHE_SECS", 0.0)
    async with slot_node(7) as node, client_of(ApiSettings(db_url=db_url, rpc_url=node.url)) as api:
        first = (await api.get("/api/v1/status")).json()["chain_slot"]
        node.slot = 8
        second = (await api.get("/api/v1/status")).json()["chain_slot"]
    assert (first, second, node.requests) == (7, 8, 2)
