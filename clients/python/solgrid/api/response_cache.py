"""Answers kept until the database changes: the hot read paths (a zone's or a market's book and last
trades) serve the same bytes to every client until something new is indexed.

Each request still asks the database one cheap question, its newest audit-log id (``max(events.id)``,
read from the primary key's index): an answer is reused only while that id is the one it was built at,
and for at most ``MAX_AGE`` seconds (which bounds what the id cannot see: a book leaves out orders
expired by the clock, and with several indexers writing, a transaction may commit an older id after a
newer one). The indexer pushes a feed frame only after its commit, so a client that re-reads on a frame
always gets an answer built after that commit. On a miss the answer is validated against its response
model once and kept serialized, so a hit costs no validation or JSON encoding.
"""

from __future__ import annotations

import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from fastapi import Request, Response
from pydantic import BaseModel
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from solgrid.indexer.models import Event

MAX_AGE = 1.0
"""Seconds an answer is reused at most, whatever the database's newest id (``--cache-secs``)."""
MAX_BYTES = 64 * 1024 * 1024
"""What the kept answers may take together; the least recently used go first. An answer larger than a
sixteenth of it is not kept."""
JSON = "application/json"


@dataclass(frozen=True)
class Entry:
    version: int
    built_at: float
    body: bytes


class ResponseCache:
    def __init__(self, max_age: float = MAX_AGE, max_bytes: int = MAX_BYTES) -> None:
        self.max_age = max_age
        self.max_bytes = max_bytes
        self.entries: OrderedDict[str, Entry] = OrderedDict()
        self.bytes = 0
        self.hits = 0
        self.misses = 0

    async def answer(
        self,
        key: str,
        session: AsyncSession,
        model: type[BaseModel],
        build: Callable[[], Awaitable[dict[str, Any]]],
    ) -> Response:
        """The answer for ``key`` (the endpoint and its checked parameters, never the raw query: unknown
        parameters must not make new entries): the kept one if still current, else ``build()``'s
        (validated by ``model``), kept for the next request. Errors (a 404) are raised by ``build`` and
        never kept."""
        if self.max_age <= 0:
            self.misses += 1
            return Response(model.model_validate(await build()).model_dump_json().encode(), media_type=JSON)
        version = int(await session.scalar(select(func.max(Event.id))) or 0)
        now = time.monotonic()
        entry = self.entries.get(key)
        if entry is not None and entry.version == version and now - entry.built_at < self.max_age:
            self.hits += 1
            self.entries.move_to_end(key)
            return Response(entry.body, media_type=JSON)
        self.misses += 1
        body = model.model_validate(await build()).model_dump_json().encode()
        self.keep(key, Entry(version, now, body))
        return Response(body, media_type=JSON)

    def keep(self, key: str, entry: Entry) -> None:
        old = self.entries.pop(key, None)
        if old is not None:
            self.bytes -= len(old.body)
        if len(entry.body) > self.max_bytes // 16:
            return
        self.entries[key] = entry
        self.bytes += len(entry.body)
        while self.bytes > self.max_bytes:
            _, dropped = self.entries.popitem(last=False)
            self.bytes -= len(dropped.body)


def response_cache(request: Request) -> ResponseCache:
    cache: ResponseCache = request.app.state.response_cache
    return cache
