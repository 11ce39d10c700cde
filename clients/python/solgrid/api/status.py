"""What the status endpoint asks: the chain's slot (JSON-RPC ``getSlot`` on the node), the indexer
feed's own status (its ``{"op": "status"}`` over a short-lived websocket) and the indexed events (a
count of the table), each cached about a second so that pages polling the status do not poll the node,
the feed or the database harder. An unreachable node or feed is a null, never an error."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Awaitable, Callable
from typing import Any, Generic, TypeVar

import httpx
from fastapi import FastAPI
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from websockets.asyncio.client import connect
from websockets.exceptions import InvalidURI, WebSocketException

from solgrid.api.idl_names import program_ids
from solgrid.api.settings import ApiSettings
from solgrid.indexer.models import Event, Transaction

T = TypeVar("T")
CACHE_SECS = 1.0
TIMEOUT_SECS = 1.0


def program_names() -> dict[str, str]:
    """Program id -> name, from the IDLs (the addresses the indexer indexes)."""
    return {program: name for name, program in program_ids().items()}


class Cached(Generic[T]):
    """The value of ``fetch``, fetched again when older than ``ttl`` seconds (one fetch at a time: the
    requests arriving meanwhile wait for it)."""

    def __init__(self, fetch: Callable[[], Awaitable[T]], ttl: float = CACHE_SECS) -> None:
        self._fetch = fetch
        self._ttl = ttl
        self._at = -float("inf")
        self._value: T | None = None
        self._lock = asyncio.Lock()

    async def get(self) -> T | None:
        if time.monotonic() - self._at < self._ttl:
            return self._value
        async with self._lock:
            if time.monotonic() - self._at >= self._ttl:
                self._value = await self._fetch()
                self._at = time.monotonic()
            return self._value


async def chain_slot(rpc_url: str | None) -> int | None:
    """The node's current slot (``getSlot``), None without a node or when it does not answer one."""
    if rpc_url is None:
        return None
    request = {"jsonrpc": "2.0", "id": 1, "method": "getSlot"}
    try:
        async with httpx.AsyncClient(timeout=TIMEOUT_SECS) as client:
            answer = (await client.post(rpc_url, json=request)).json()
    except (httpx.HTTPError, ValueError):
        return None
    slot = answer.get("result") if isinstance(answer, dict) else None
    return slot if isinstance(slot, int) and not isinstance(slot, bool) else None


async def feed_status(feed_url: str | None) -> dict[str, Any] | None:
    """The indexer feed's answer to ``{"op": "status"}``, None without a feed or when it does not give
    one in time."""
    if feed_url is None:
        return None
    try:
        async with asyncio.timeout(TIMEOUT_SECS):
            async with connect(feed_url, open_timeout=TIMEOUT_SECS) as socket:
                await socket.send(json.dumps({"op": "status"}))
                async for frame in socket:  # event frames cannot come first (no subscription), but be lenient
                    answer = json.loads(frame)
                    if isinstance(answer, dict) and answer.get("type") == "status":
                        return answer
    except (OSError, TimeoutError, ValueError, InvalidURI, WebSocketException):
        return None
    return None


async def indexed_events(sessions: async_sessionmaker[AsyncSession]) -> tuple[int, dict[str, Any] | None]:
    """The number of indexed events (a count of the whole table: 16 ms for a million on SQLite, hence
    the cache) and the newest one's slot and block time."""
    async with sessions() as session:
        count = int(await session.scalar(select(func.count()).select_from(Event)) or 0)
        newest = (
            await session.execute(
                select(Event.slot, Transaction.block_time)
                .join(Transaction, Transaction.signature == Event.signature)
                .order_by(Event.slot.desc(), Event.id.desc())
                .limit(1)
            )
        ).first()
    return count, None if newest is None else {"slot": newest.slot, "block_time": newest.block_time}


class StatusProbes:
    """An app's cached probes of the node, the feed and the events table, and the count of its relay's
    clients."""

    def __init__(self, settings: ApiSettings, sessions: async_sessionmaker[AsyncSession]) -> None:
        self.settings = settings
        self.slot = Cached(lambda: chain_slot(settings.rpc_url), CACHE_SECS)
        self.feed = Cached(lambda: feed_status(settings.feed_url), CACHE_SECS)
        self.events = Cached(lambda: indexed_events(sessions), CACHE_SECS)
        self.relay_clients = 0


def probes_of(app: FastAPI) -> StatusProbes:
    """The app's :class:`StatusProbes` (made on first use)."""
    probes: StatusProbes | None = getattr(app.state, "status_probes", None)
    if probes is None:
        probes = app.state.status_probes = StatusProbes(app.state.settings, app.state.sessions)
    return probes
