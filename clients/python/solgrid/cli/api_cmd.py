"""``solgrid api``: the market data API and the dashboard over the indexer's database.

    solgrid api run --db sqlite+aiosqlite:///indexer.db --feed-url ws://127.0.0.1:8910 --port 8080

A separate process from ``solgrid indexer run`` (it reads the database the indexer writes, SQLite or
Postgres, and relays the indexer's feed), so that API processes can be added or restarted without
touching the indexer. See docs/api.md and docs/dashboard.md.
"""

from __future__ import annotations

import click

from solgrid.api.server import serve
from solgrid.api.settings import ApiSettings
from solgrid.cli.common import resolve_url
from solgrid.indexer.db import DEFAULT_DB

DB_HELP = "The indexer's database: sqlite+aiosqlite:///PATH or postgresql+asyncpg://USER:PW@HOST/DB."


def _rpc_url(_ctx: click.Context, _param: click.Parameter, value: str | None) -> str | None:
    if value is None:
        return None
    try:
        return resolve_url(value)
    except click.BadParameter as e:
        e.param_hint = "--rpc-url"
        raise


def _feed_url(_ctx: click.Context, _param: click.Parameter, value: str | None) -> str | None:
    if value is not None and not value.startswith(("ws://", "wss://")):
        raise click.BadParameter(f"{value!r} is not a ws:// or wss:// URL")
    return value


@click.group("api")
def api() -> None:
    """Market data API (HTTP JSON, OpenAPI) and live dashboard over the indexer's database."""


@api.command("run")
@click.option(
    "--db", "db_url", default=DEFAULT_DB, show_default=True, envvar="SOLGRID_INDEXER_DB", help=DB_HELP
)
@click.option(
    "--feed-url",
    callback=_feed_url,
    envvar="SOLGRID_FEED_URL",
    help="The indexer's websocket feed (ws://HOST:PORT), relayed at /feed for live updates.",
)
@click.option(
    "--rpc-url",
    callback=_rpc_url,
    help="A node's JSON-RPC (URL or moniker), for the chain slot on the status page.",
)
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", default=8080, show_default=True, type=click.IntRange(0, 65535), help="Port.")
@click.option(
    "--workers",
    default=1,
    show_default=True,
    type=click.IntRange(1, 64),
    help="Worker processes sharing the port (one process uses one core).",
)
@click.option(
    "--cache-secs",
    default=1.0,
    show_default=True,
    type=click.FloatRange(0, 60),
    help="How long the book endpoints reuse an answer while nothing new is indexed (0: never).",
)
def run_cmd(
    db_url: str,
    feed_url: str | None,
    rpc_url: str | None,
    host: str,
    port: int,
    workers: int,
    cache_secs: float,
) -> None:
    """Serve the API (/api/v1, /openapi.json, /docs), the feed relay (/feed) and the dashboard (/)."""
    settings = ApiSettings(db_url=db_url, feed_url=feed_url, rpc_url=rpc_url, cache_secs=cache_secs)
    serve(settings, host, port, workers=workers)
