"""Support of the API suite for what needs real sockets: the app on a real uvicorn server (as
``solgrid api run`` serves it), the indexer's real feed, and a minimal JSON-RPC node answering getSlot."""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import uvicorn

from pg_server import free_port
from solgrid.api.app import create_app
from solgrid.api.settings import ApiSettings
from solgrid.indexer.db import create_engine, migrate
from solgrid.indexer.feed import EventFeed

WAIT = 30.0


@contextlib.asynccontextmanager
async def served(settings: ApiSettings) -> AsyncIterator[str]:
    """The app for ``settings`` on uvicorn (uvloop aside: the test's loop) at a free port; its base URL
    (http://127.0.0.1:PORT)."""
    port = free_port()
    config = uvicorn.Config(
        create_app(settings),
        host="127.0.0.1",
        port=port,
        http="httptools",
        ws="websockets-sansio",
        log_level="warning",
        lifespan="on",
    )
    server = uvicorn.Server(config)
    task = asyncio.create_task(server.serve())
    try:
        async with asyncio.timeout(WAIT):
            while not server.started:
                if task.done():
                    task.result()
                    raise AssertionError("uvicorn stopped before it started")
                await asyncio.sleep(0.02)
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        await task


@contextlib.asynccontextmanager
async def indexer_feed() -> AsyncIterator[EventFeed]:
    """The indexer's feed on a free port (programs and events of the registry only: what these tests push)."""
    from synthetic import REGISTRY

    feed = EventFeed({"registry": str(REGISTRY.program_id)}, REGISTRY.coder.events.discriminators.values())
    await feed.start("127.0.0.1", 0)
    try:
        yield feed
    finally:
        await feed.stop()


@dataclass
class SlotNode:
    """A JSON-RPC endpoint that answers every request with ``{"result": slot}`` and counts requests."""

    slot: int
    requests: int = 0
    url: str = ""

    async def _answer(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        head = await reader.readuntil(b"\r\n\r\n")
        length = next(
            int(line.split(b":", 1)[1])
            for line in head.split(b"\r\n")
            if line.lower().startswith(b"content-length:")
        )
        request = json.loads(await reader.readexactly(length))
        assert request["method"] == "getSlot"
        self.requests += 1
        body = json.dumps({"jsonrpc": "2.0", "id": request["id"], "result": self.slot}).encode()
        writer.write(
            b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nConnection: close\r\n"
            + f"Content-Length: {len(body)}\r\n\r\n".encode()
            + body
        )
        await writer.drain()
        writer.close()


@contextlib.asynccontextmanager
async def slot_node(slot: int) -> AsyncIterator[SlotNode]:
    node = SlotNode(slot)
    server = await asyncio.start_server(node._answer, "127.0.0.1", 0)
    node.url = f"http://127.0.0.1:{server.sockets[0].getsockname()[1]}"
    try:
        yield node
    finally:
        server.close()
        await server.wait_closed()


class client_of:
    """The app for ``settings`` with its lifespan running, and an httpx client of it."""

    def __init__(self, settings: ApiSettings) -> None:
        self.app = create_app(settings)
        self._lifespan = self.app.router.lifespan_context(self.app)
        self._client = httpx.AsyncClient(transport=httpx.ASGITransport(app=self.app), base_url="http://api")

    async def __aenter__(self) -> httpx.AsyncClient:
        await self._lifespan.__aenter__()
        return self._client

    async def __aexit__(self, *exc: object) -> None:
        await self._client.aclose()
        await self._lifespan.__aexit__(None, None, None)


async def migrated_sqlite(folder: Path) -> str:
    """The URL of a new SQLite database in ``folder`` at the indexer's schema."""
    url = f"sqlite+aiosqlite:///{folder / 'indexer.db'}"
    engine = create_engine(url)
    await migrate(engine)
    await engine.dispose()
    return url


async def first_answer(port: int, path: str, tries: int) -> httpx.Response:
    """GET ``path`` on 127.0.0.1:``port`` once the server accepts connections (``tries`` x 0.1 s)."""
    async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}") as client:
        for _ in range(tries - 1):
            try:
                return await client.get(path)
            except httpx.TransportError:
                await asyncio.sleep(0.1)
        return await client.get(path)
