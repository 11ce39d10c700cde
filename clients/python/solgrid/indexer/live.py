"""The live side: ``logsSubscribe`` (mentions) for every indexed program, with reconnects.

A notification is used as a *signal* that a program has new history, not as data: the service then
runs catch-up (:mod:`backfill`), which fetches the full transaction (slot, block time, logs) and
stores it in order behind the checkpoint. That keeps one write path, so a notification lost while
the socket was down costs nothing: every (re)connect signals once after subscribing, and catch-up
fills whatever happened in between before anything newer is indexed.

The subscription never ends on its own: a lost connection, a refused subscription, a frame that is
not a JSON object, or any other error is logged as a warning and followed by a reconnect (with
backoff), so the indexer does not silently fall back to polling. Only cancellation stops it.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Callable, Sequence

from websockets.asyncio.client import connect
from websockets.exceptions import WebSocketException

from solgrid.indexer.chain import Commitment

log = logging.getLogger(__name__)

RECONNECT_MIN = 0.2
RECONNECT_MAX = 5.0


class LiveSubscription:
    """Keeps ``logsSubscribe`` subscriptions open on ``ws_url``; calls ``on_activity`` after every
    (re)subscribe and for every notification. ``connected`` is set while subscribed."""

    def __init__(
        self,
        ws_url: str,
        programs: Sequence[str],
        on_activity: Callable[[], None],
        commitment: Commitment = "confirmed",
    ) -> None:
        self.ws_url = ws_url
        self.programs = list(programs)
        self.on_activity = on_activity
        self.commitment = commitment
        self.connected = asyncio.Event()
        self.connections = 0

    async def run(self) -> None:
        delay = RECONNECT_MIN
        while True:
            try:
                await self._session()
                delay = RECONNECT_MIN
            except (OSError, WebSocketException, TimeoutError) as e:
                log.warning("live subscription to %s lost (%s); reconnecting in %.1fs", self.ws_url, e, delay)
            except Exception as e:  # a frame it cannot read, or anything else: never end silently
                log.warning(
                    "live subscription to %s failed (%s: %s); reconnecting in %.1fs",
                    self.ws_url,
                    type(e).__name__,
                    e,
                    delay,
                )
            finally:
                self.connected.clear()
            await asyncio.sleep(delay)
            delay = min(delay * 2, RECONNECT_MAX)

    async def _session(self) -> None:
        async with connect(self.ws_url, open_timeout=10, max_size=None) as socket:
            for number, program in enumerate(self.programs, start=1):
                request = {
                    "jsonrpc": "2.0",
                    "id": number,
                    "method": "logsSubscribe",
                    "params": [{"mentions": [program]}, {"commitment": self.commitment}],
                }
                await socket.send(json.dumps(request))
            confirmed = 0
            async for raw in socket:
                message = json.loads(raw)
                if not isinstance(message, dict):
                    raise ValueError(f"a PubSub message must be a JSON object, got {str(raw)[:80]!r}")
                if message.get("method") == "logsNotification":
                    self.on_activity()
                elif "result" in message and message.get("id") is not None:
                    confirmed += 1
                    if confirmed == len(self.programs):
                        self.connections += 1
                        self.connected.set()
                        log.info("live: subscribed to %d program(s) on %s", confirmed, self.ws_url)
                        self.on_activity()
                elif "error" in message:
                    raise WebSocketException(f"logsSubscribe rejected: {message['error']}")
