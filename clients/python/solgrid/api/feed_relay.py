"""``/feed``: the indexer's websocket feed, relayed so that a browser needs the API's origin only.

Each client connection gets one upstream connection to the indexer's feed (``--feed-url``); text frames
pass both ways unchanged (the protocol is the feed's: docs/indexer.md) until either side closes, and
then the other is closed too. Without a feed, or when it cannot be reached, the relay accepts the
connection, sends one ``{"type": "error", "message": "..."}`` frame and closes with 1011 (no feed
configured) or 1013 (try again later: the feed is unreachable, or the process already relays
``MAX_RELAY_CLIENTS`` connections: each holds a socket here and one at the indexer). Messages name the
feed without the user and password its URL may hold.
"""

from __future__ import annotations

import asyncio
import contextlib
import json

from fastapi import APIRouter, WebSocket
from starlette.websockets import WebSocketDisconnect
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import InvalidURI, WebSocketException

from solgrid.api.settings import shown
from solgrid.api.status import TIMEOUT_SECS, probes_of

router = APIRouter()
NO_FEED = 1011
"""Close code without a feed to relay (the server cannot serve this)."""
FEED_DOWN = 1013
"""Close code when the feed cannot be reached (try again later)."""
OPEN_TIMEOUT = 2 * TIMEOUT_SECS
MAX_RELAY_CLIENTS = 256
"""Connections one process relays at once; more are refused with 1013."""


async def refuse(websocket: WebSocket, code: int, message: str) -> None:
    await websocket.send_text(json.dumps({"type": "error", "message": message}))
    await websocket.close(code, message[:120])


async def downstream(websocket: WebSocket, upstream: ClientConnection) -> None:
    """Frames of the feed to the client."""
    async for frame in upstream:
        await websocket.send_text(frame if isinstance(frame, str) else frame.decode())


async def upstream_of(websocket: WebSocket, upstream: ClientConnection) -> None:
    """Frames of the client to the feed (until the client disconnects)."""
    while True:
        message = await websocket.receive()
        if message["type"] == "websocket.disconnect":
            return
        text = message.get("text")
        if text is None and message.get("bytes") is not None:
            text = message["bytes"].decode(errors="replace")
        if text is not None:
            await upstream.send(text)


@router.websocket("/feed")
async def feed(websocket: WebSocket) -> None:
    """Relay of the indexer's feed (see docs/indexer.md for its protocol)."""
    probes = probes_of(websocket.app)
    url = probes.settings.feed_url
    await websocket.accept()
    if url is None:
        await refuse(websocket, NO_FEED, "this API has no feed to relay (start it with --feed-url)")
        return
    if probes.relay_clients >= MAX_RELAY_CLIENTS:
        await refuse(websocket, FEED_DOWN, f"the feed relay is full ({MAX_RELAY_CLIENTS} connections)")
        return
    probes.relay_clients += 1  # counted before the upstream opens: concurrent opens count too
    try:
        upstream = await connect(url, open_timeout=OPEN_TIMEOUT, max_size=None)
    except (OSError, TimeoutError, InvalidURI, WebSocketException) as e:
        probes.relay_clients -= 1
        await refuse(websocket, FEED_DOWN, f"the indexer's feed at {shown(url)} cannot be reached: {e}")
        return
    tasks = [
        asyncio.create_task(downstream(websocket, upstream)),
        asyncio.create_task(upstream_of(websocket, upstream)),
    ]
    try:
        await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
    finally:
        probes.relay_clients -= 1
        for task in tasks:
            task.cancel()
        # a side that closed ends its task with ConnectionClosed / a disconnect: nothing to report
        await asyncio.gather(*tasks, return_exceptions=True)
        await upstream.close()
        with contextlib.suppress(RuntimeError, WebSocketDisconnect):
            await websocket.close()
