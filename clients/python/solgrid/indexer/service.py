"""``solgrid indexer run``: migrations, catch-up, live subscription and the websocket feed together.

Start-up order matters for "nothing lost": the schema is migrated, the feed starts listening, the
live subscription connects, and every program is caught up from its checkpoint. After that each
notification (and, as a safety net, every ``poll_interval`` seconds) triggers another catch-up, so the
database converges on the chain even if notifications are dropped.

With ``archive_url``, history gaps (what the RPC node had pruned, see :mod:`solgrid.indexer.gaps`)
are backfilled from that node after each round of catch-ups; a gap the archive cannot fill is
retried every ``ARCHIVE_RETRY`` seconds, with a warning each time.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from urllib.parse import urlsplit, urlunsplit

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from solgrid.indexer.archive import backfill_open_gaps
from solgrid.indexer.backfill import UNFETCHABLE_AFTER, Holes, catch_up
from solgrid.indexer.chain import Commitment, RpcChainReader
from solgrid.indexer.db import create_engine, migrate, sessions
from solgrid.indexer.decode import EventDecoder
from solgrid.indexer.feed import EventFeed
from solgrid.indexer.gaps import describe
from solgrid.indexer.live import LiveSubscription
from solgrid.indexer.store import Store, StoredEvent
from solgrid.sdk.anchor import ProgramCoder
from solgrid.sdk.energy_token import EnergyTokenClient
from solgrid.sdk.governance import GovernanceClient
from solgrid.sdk.registry import RegistryClient
from solgrid.sdk.trading import TradingClient

log = logging.getLogger(__name__)
RETRY_DELAY = 1.0
"""Seconds before retrying a catch-up that failed (the checkpoint is intact; nothing is skipped)."""
ARCHIVE_RETRY = 60.0
"""Seconds before trying again to backfill gaps the archive node could not fill."""


def default_coders() -> list[ProgramCoder]:
    """The workspace programs, at the addresses in their IDLs."""
    return [
        RegistryClient().coder,
        EnergyTokenClient().coder,
        TradingClient().coder,
        GovernanceClient().coder,
    ]


def ws_url_for(rpc_url: str) -> str:
    """The PubSub URL paired with ``rpc_url`` by the Solana convention: ws(s), port + 1."""
    parts = urlsplit(rpc_url)
    scheme = "wss" if parts.scheme == "https" else "ws"
    netloc = parts.netloc
    if parts.port is not None:
        netloc = f"{parts.hostname}:{parts.port + 1}"
    return urlunsplit((scheme, netloc, parts.path, "", ""))


@dataclass
class IndexerConfig:
    db_url: str
    rpc_url: str
    ws_url: str | None = None
    feed_host: str = "127.0.0.1"
    feed_port: int = 8910
    """0 picks a free port."""
    poll_interval: float = 5.0
    commitment: Commitment = "confirmed"
    """History and notifications are read at this level (see :mod:`solgrid.indexer.backfill`)."""
    unfetchable_after: int = UNFETCHABLE_AFTER
    """Catch-ups stopped by one signature before it is reported (WARNING + ``alerts`` row)."""
    archive_url: str | None = None
    """An RPC node with a longer history, to backfill history gaps from (None: gaps stay open)."""
    coders: Sequence[ProgramCoder] = field(default_factory=default_coders)


class Indexer:
    def __init__(self, config: IndexerConfig) -> None:
        self.config = config
        self.decoder = EventDecoder(config.coders)
        self.programs = [str(pid) for pid in self.decoder.program_ids]
        self.feed = EventFeed(
            {c.idl.name: str(c.program_id) for c in config.coders},
            [name for c in config.coders for name in c.coder.events.discriminators.values()],
        )
        self.live = LiveSubscription(
            config.ws_url or ws_url_for(config.rpc_url), self.programs, self._wake, config.commitment
        )
        self.ready = asyncio.Event()
        """Set once the feed serves and the first catch-up of every program finished."""
        self.holes = Holes(config.unfetchable_after)
        self.indexed_transactions = 0
        self.published_events = 0
        self._activity = asyncio.Event()
        self._archive_due = -math.inf

    def _wake(self) -> None:
        self._activity.set()

    async def _publish(self, events: Sequence[StoredEvent]) -> None:
        self.published_events += len(events)
        await self.feed.publish(events)

    async def run(self) -> None:
        engine = create_engine(self.config.db_url)
        try:
            await migrate(engine)
            store = Store(self.decoder)
            factory = sessions(engine)
            await self.feed.start(self.config.feed_host, self.config.feed_port)
            live = asyncio.create_task(self.live.run(), name="solgrid-indexer-live")
            try:
                async with contextlib.AsyncExitStack() as stack:
                    chain = await stack.enter_async_context(
                        RpcChainReader(self.config.rpc_url, self.config.commitment)
                    )
                    archive = None
                    if self.config.archive_url is not None:
                        archive = await stack.enter_async_context(
                            RpcChainReader(self.config.archive_url, "finalized")
                        )
                    while True:
                        self._activity.clear()
                        failed = False
                        for program in self.programs:
                            try:
                                self.indexed_transactions += await catch_up(
                                    chain,
                                    factory,
                                    store,
                                    program,
                                    self._publish,
                                    self.holes,
                                    self.config.rpc_url,
                                )
                            except Exception as e:  # node down/restarting, database busy: retry
                                log.warning("catch-up of %s failed: %s", program, e)
                                failed = True
                        if failed:
                            await asyncio.sleep(RETRY_DELAY)
                            continue
                        self.ready.set()
                        if archive is not None:
                            await self._backfill(archive, factory, store)
                        with contextlib.suppress(TimeoutError):
                            await asyncio.wait_for(self._activity.wait(), self.config.poll_interval)
            finally:
                live.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await live
                await self.feed.stop()
        finally:
            await engine.dispose()

    async def _backfill(
        self, archive: RpcChainReader, factory: async_sessionmaker[AsyncSession], store: Store
    ) -> None:
        """Backfills the open history gaps from the archive node, unless a failed attempt was recent."""
        loop = asyncio.get_running_loop()
        if loop.time() < self._archive_due:
            return
        url = archive.url
        try:
            stored, failed = await backfill_open_gaps(
                archive, factory, store, self.programs, url, self._publish
            )
        except Exception as e:  # the database failed: as for catch-up, try again later
            log.warning("backfilling history gaps from %s failed: %s", url, e)
            failed, stored = [], 0
            self._archive_due = loop.time() + ARCHIVE_RETRY
        self.indexed_transactions += stored
        for gap, reason in failed:
            log.warning(
                "%s could not be backfilled from %s: %s; retrying in %.0f s",
                describe(gap),
                url,
                reason,
                ARCHIVE_RETRY,
            )
        if failed:
            self._archive_due = loop.time() + ARCHIVE_RETRY
