"""``solgrid indexer``: index the SolGrid programs' events into SQL and push them over a websocket.

    solgrid indexer run --db sqlite+aiosqlite:///indexer.db --url localnet --feed-port 8910
    solgrid indexer migrate --db postgresql+asyncpg://user:pw@127.0.0.1/solgrid

``run`` migrates the schema, catches up every program from its checkpoint, then follows the chain
live until SIGINT/SIGTERM (a clean stop; kill -9 is also safe: a restart resumes from the checkpoint).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal

import click

from solgrid.cli.common import resolve_url
from solgrid.indexer.chain import COMMITMENTS, Commitment
from solgrid.indexer.db import DEFAULT_DB, create_engine, migrate
from solgrid.indexer.service import Indexer, IndexerConfig

DB_HELP = "sqlite+aiosqlite:///PATH or postgresql+asyncpg://USER:PW@HOST/DB (env SOLGRID_INDEXER_DB)."


@click.group("indexer")
def indexer() -> None:
    """Event indexer: SQL tables + websocket feed of the programs' events."""


@indexer.command("migrate")
@click.option(
    "--db", "db_url", default=DEFAULT_DB, show_default=True, envvar="SOLGRID_INDEXER_DB", help=DB_HELP
)
def migrate_cmd(db_url: str) -> None:
    """Bring the database schema to the latest migration (alembic upgrade head)."""

    async def upgrade() -> None:
        engine = create_engine(db_url)
        try:
            await migrate(engine)
        finally:
            await engine.dispose()

    asyncio.run(upgrade())
    click.echo("schema is at head")


@indexer.command("run")
@click.option(
    "--db", "db_url", default=DEFAULT_DB, show_default=True, envvar="SOLGRID_INDEXER_DB", help=DB_HELP
)
@click.option(
    "--url",
    "-u",
    "url",
    default="localnet",
    show_default=True,
    help="JSON-RPC URL or moniker (localnet, devnet, testnet, mainnet-beta).",
)
@click.option("--ws-url", default=None, help="PubSub URL (default: the RPC URL with ws:// and port + 1).")
@click.option("--feed-host", default="127.0.0.1", show_default=True, help="Interface the feed listens on.")
@click.option(
    "--feed-port",
    default=8910,
    show_default=True,
    type=click.IntRange(0, 65535),
    help="Websocket feed port (0: any free port); protocol in docs/indexer.md.",
)
@click.option(
    "--commitment",
    type=click.Choice(COMMITMENTS),
    default="confirmed",
    show_default=True,
    help="Level history is read at; either way the checkpoint only covers finalized slots.",
)
@click.option(
    "--poll-interval",
    default=5.0,
    show_default=True,
    type=click.FloatRange(0.1),
    help="Seconds between catch-ups when no notification arrives.",
)
@click.option("--quiet", "-q", is_flag=True, help="Only warnings on stderr.")
def run_cmd(
    db_url: str,
    url: str,
    ws_url: str | None,
    feed_host: str,
    feed_port: int,
    poll_interval: float,
    commitment: Commitment,
    quiet: bool,
) -> None:
    """Index the registry and energy_token programs until stopped."""
    logging.basicConfig(level=logging.WARNING if quiet else logging.INFO, format="%(asctime)s %(message)s")
    config = IndexerConfig(
        db_url=db_url,
        rpc_url=resolve_url(url),
        ws_url=ws_url,
        feed_host=feed_host,
        feed_port=feed_port,
        poll_interval=poll_interval,
        commitment=commitment,
    )
    asyncio.run(_serve(Indexer(config)))


async def _serve(service: Indexer) -> None:
    loop = asyncio.get_running_loop()
    task = asyncio.create_task(service.run())

    async def announce() -> None:
        await service.ready.wait()
        click.echo(f"indexer ready: feed ws://{service.config.feed_host}:{service.feed.port}", err=True)

    announcer = asyncio.create_task(announce())
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, task.cancel)
    try:
        with contextlib.suppress(asyncio.CancelledError):
            await task
    finally:
        announcer.cancel()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.remove_signal_handler(sig)


if __name__ == "__main__":  # `python -m solgrid.cli.indexer_cmd run ...` (also before `solgrid` lists it)
    indexer()
