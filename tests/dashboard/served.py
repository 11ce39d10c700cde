"""The world served as in production: an indexer database written by the indexer's Store, the indexer's
websocket feed (:class:`EventFeed`) publishing what is committed, and a real ``solgrid api run``
process over both.

:class:`LiveIndex` runs the Store and the feed on an event loop of its own (a thread), so the tests,
which drive the browser synchronously, index a transaction with one call: it is stored and committed,
then its events are published, as ``solgrid.indexer.service`` does after each catch-up commit.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import socket
import subprocess
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Coroutine, Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from solgrid.indexer.db import create_engine, migrate, sessions
from solgrid.indexer.decode import EventDecoder
from solgrid.indexer.feed import EventFeed
from solgrid.indexer.service import default_coders
from solgrid.indexer.store import FetchedTransaction, Store, StoredEvent

if TYPE_CHECKING:
    from world import DemoWorld

REPO = Path(__file__).resolve().parents[2]
SOLGRID = REPO / ".venv" / "bin" / "solgrid"
START_TIMEOUT = 60.0
PAGE = 50
"""Transactions per database transaction while the world is first indexed (as catch-up pages it)."""
T = TypeVar("T")


class LiveIndex:
    """The indexer's write path and its feed, on a loop in a thread of their own."""

    def __init__(self, db_url: str) -> None:
        self.db_url = db_url
        coders = default_coders()
        self.programs = {c.idl.name: str(c.program_id) for c in coders}
        self.store = Store(EventDecoder(coders))
        self.feed = EventFeed(
            self.programs, [name for c in coders for name in c.coder.events.discriminators.values()]
        )
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, name="live-index", daemon=True)
        self.thread.start()
        self.engine = create_engine(db_url)
        self.sessions = sessions(self.engine)
        self.events = 0
        """Events stored so far."""
        self.run(self._start())

    def run(self, coroutine: Coroutine[Any, Any, T]) -> T:
        return asyncio.run_coroutine_threadsafe(coroutine, self.loop).result(START_TIMEOUT)

    async def _start(self) -> None:
        await migrate(self.engine)
        await self.feed.start("127.0.0.1", 0)

    @property
    def feed_url(self) -> str:
        return f"ws://127.0.0.1:{self.feed.port}"

    def load(self, txs: Sequence[FetchedTransaction]) -> int:
        """The world's history, stored as catch-up stores it (pages in chain order), each program's
        checkpoint at its last transaction; nothing published (no client listens yet). Returns the
        number of events stored."""
        return self.run(self._load(txs))

    async def _load(self, txs: Sequence[FetchedTransaction]) -> int:
        events = 0
        for start in range(0, len(txs), PAGE):
            async with self.sessions() as s, s.begin():
                events += len(await self.store.store(s, list(txs[start : start + PAGE])))
        last = txs[-1]
        async with self.sessions() as s, s.begin():
            for program in self.programs.values():
                await self.store.store(s, [], checkpoint=(program, last.signature, last.slot))
                await self.store.cover(s, program, last.slot)
        return events

    def index(self, *txs: FetchedTransaction) -> list[StoredEvent]:
        """``txs`` stored and committed, then their events published on the feed (what
        ``solgrid.indexer.service`` does after each commit), each program's checkpoint moved."""
        return self.run(self._index(txs))

    async def _index(self, txs: Sequence[FetchedTransaction]) -> list[StoredEvent]:
        last = txs[-1]
        async with self.sessions() as s, s.begin():
            events = await self.store.store(s, list(txs))
            self.events += len(events)
            for program in self.programs.values():
                await self.store.store(s, [], checkpoint=(program, last.signature, last.slot))
                await self.store.cover(s, program, last.slot)
        await self.feed.publish(events)
        return events

    def subscriptions(self) -> int:
        """Subscriptions the feed's clients hold now (read on the feed's loop)."""

        async def count() -> int:
            return sum(len(client.subscriptions) for client in self.feed._clients.values())

        return self.run(count())

    def close(self) -> None:
        async def stop() -> None:
            await self.feed.stop()
            await self.engine.dispose()

        self.run(stop())
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(START_TIMEOUT)
        self.loop.close()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


class ApiProcess:
    """``solgrid api run`` over ``db_url`` relaying ``feed_url``, on a free port, output in ``log``."""

    def __init__(self, db_url: str, feed_url: str, log: Path) -> None:
        self.port = free_port()
        self.origin = f"http://127.0.0.1:{self.port}"
        self.log = log
        command = [str(SOLGRID), "api", "run", "--db", db_url, "--feed-url", feed_url]
        command += ["--port", str(self.port)]
        with log.open("wb") as out:
            self.process = subprocess.Popen(
                command, stdout=out, stderr=subprocess.STDOUT, env={**os.environ, "NO_COLOR": "1"}
            )
        try:
            self._wait_until_serving()
        except BaseException:
            self.stop()
            raise

    def _wait_until_serving(self) -> None:
        """Polls /openapi.json until it answers (the process is up), the process exits or a minute
        passes."""
        deadline = time.monotonic() + START_TIMEOUT
        while True:
            if self.process.poll() is not None:
                raise AssertionError(f"solgrid api run exited ({self.process.returncode}): {self.output()}")
            with (
                contextlib.suppress(urllib.error.URLError, ConnectionError),
                urllib.request.urlopen(f"{self.origin}/openapi.json", timeout=5) as response,
            ):
                if response.status == 200:
                    return
            if time.monotonic() > deadline:
                raise AssertionError(f"solgrid api run did not answer in a minute: {self.output()}")
            time.sleep(0.1)

    def output(self) -> str:
        """The end of the process's output."""
        return self.log.read_text(errors="replace")[-4000:]

    def get(self, path: str) -> Any:
        """The JSON of ``path`` (a 2xx answer)."""
        with urllib.request.urlopen(f"{self.origin}{path}", timeout=30) as response:
            return json.loads(response.read())

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(START_TIMEOUT)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


Site = tuple["DemoWorld", LiveIndex, ApiProcess]
"""A test module's world, its index and feed, and the API process serving them."""


@contextlib.contextmanager
def served(
    db_url: str, txs: Sequence[FetchedTransaction], log: Path
) -> Iterator[tuple[LiveIndex, ApiProcess]]:
    """``txs`` indexed into ``db_url``, the feed up, the API process serving both; afterwards, the API
    process must have logged no exception (a request the pages made that failed inside the server)."""
    index = LiveIndex(db_url)
    try:
        index.events = index.load(txs)
        api = ApiProcess(db_url, index.feed_url, log)
        try:
            yield index, api
        finally:
            api.stop()
        logged = api.log.read_text(errors="replace")
        assert "Traceback" not in logged, f"solgrid api run logged an exception: {logged[-4000:]}"
    finally:
        index.close()
