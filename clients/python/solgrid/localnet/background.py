"""A local node on a thread of its own, for code that has no event loop to share (synchronous tests,
session-wide pytest fixtures used by tests that each run in their own loop, scripts).

    with BackgroundNode(NodeConfig(rpc_port=0, ws_port=0)) as node:
        requests.post(node.rpc_url, json=...)
        node.call(lambda chain: chain.warp_to_slot(1000))

The node's event loop owns LiteSVM (which is not thread-safe); ``call`` runs a function on that loop
and returns its result, so the Python API stays usable from the caller's thread.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import threading
from collections.abc import Callable
from types import TracebackType
from typing import TypeVar

from solgrid.localnet.chain import Chain
from solgrid.localnet.server import LocalNode, NodeConfig

T = TypeVar("T")

START_TIMEOUT = 60.0


class BackgroundNode:
    def __init__(self, config: NodeConfig | None = None) -> None:
        self.node = LocalNode(config)
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._stop: asyncio.Event | None = None

    @property
    def rpc_url(self) -> str:
        return self.node.rpc_url

    @property
    def ws_url(self) -> str:
        return self.node.ws_url

    def start(self) -> None:
        """Start the node; returns once it serves (re-raises its start-up error)."""
        started: concurrent.futures.Future[None] = concurrent.futures.Future()
        self._thread = threading.Thread(
            target=self._run, args=(started,), name="solgrid-localnet", daemon=True
        )
        self._thread.start()
        started.result(timeout=START_TIMEOUT)

    def _run(self, started: concurrent.futures.Future[None]) -> None:
        async def serve() -> None:
            self._loop = asyncio.get_running_loop()
            self._stop = asyncio.Event()
            try:
                await self.node.start()
            except BaseException as e:
                started.set_exception(e)
                return
            started.set_result(None)
            try:
                await self._stop.wait()
            finally:
                await self.node.stop()

        asyncio.run(serve())

    def call(self, function: Callable[[Chain], T]) -> T:
        """Run ``function(chain)`` on the node's loop and return its result."""
        if self._loop is None:
            raise RuntimeError("the node is not running")

        async def run() -> T:
            return function(self.node.chain)

        return asyncio.run_coroutine_threadsafe(run(), self._loop).result()

    def stop(self) -> None:
        if self._loop is not None and self._stop is not None and self._thread is not None:
            self._loop.call_soon_threadsafe(self._stop.set)
            self._thread.join()
        self._loop = None
        self._thread = None

    def __enter__(self) -> BackgroundNode:
        self.start()
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()
