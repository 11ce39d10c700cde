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
"""Seconds an answer is reused at most, whatever the database's newest id."""
MAX_ENTRIES = 512
JSON = "application/json"


@dataclass(frozen=True)
class Entry:
    version: int
    built_at: float
    body: bytes


class ResponseCache:
    def __init__(self, max_entries: int = MAX_ENTRIES, max_age: float = MAX_AGE) -> None:
        self.max_entries = max_entries
        self.max_age = max_age
        self.entries: OrderedDict[str, Entry] = OrderedDict()
        self.hits = 0
        self.misses = 0

    async def answer(
        self,
        request: Request,
        session: AsyncSession,
        model: type[BaseModel],
        build: Callable[[], Awaitable[dict[str, Any]]],
    ) -> Response:
        """The answer to ``request``: the kept one if still current, else ``build()``'s (validated by
        ``model``) kept for the next request. Errors (a 404) are raised by ``build`` and never kept."""
        key = f"{request.url.path}?{sorted(request.query_params.multi_items())}"
        version = int(await session.scalar(select(func.max(Event.id))) or 0)
        now = time.monotonic()
        entry = self.entries.get(key)
        if entry is not None and entry.version == version and now - entry.built_at < self.max_age:
            self.hits += 1
            self.entries.move_to_end(key)
            return Response(entry.body, media_type=JSON)
        self.misses += 1
        body = model.model_validate(await build()).model_dump_json().encode()
        self.entries[key] = Entry(version, now, body)
        self.entries.move_to_end(key)
        while len(self.entries) > self.max_entries:
            self.entries.popitem(last=False)
        return Response(body, media_type=JSON)


def response_cache(request: Request) -> ResponseCache:
    cache: ResponseCache = request.app.state.response_cache
    return cache
