"""The API process's application: the JSON endpoints under ``/api/v1``, ``/openapi.json`` and ``/docs``,
and the dashboard's static files at ``/`` (when built)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles

from solgrid import __version__
from solgrid.api import feed_relay
from solgrid.api.database import open_database
from solgrid.api.docs_page import add_docs_page
from solgrid.api.errors import install_error_handlers
from solgrid.api.response_cache import ResponseCache
from solgrid.api.routes import ROUTERS
from solgrid.api.settings import ApiSettings
from solgrid.indexer.db import sessions

PREFIX = "/api/v1"
DESCRIPTION = """Market data of SolGrid's energy markets as the indexer has them: zones, order books and
trades, price history, call-auction epochs, meters and their readings, GRID settlements, mints and burns,
certificates and carbon credits, governance proposals and pauses, and the audit log of events.

Lists are paginated by cursor (`limit`, `cursor` -> `next_cursor`); times are unix seconds of the
on-chain clock; amounts are integers (u64) in their base units. Bad parameters are a 400 with
`{"error": "<one line>"}`, unknown resources a 404.

Live: the websocket at `/feed` relays the indexer's feed (its protocol: docs/indexer.md). Subscribe
first, then read the state here: every frame pushed after your subscription is also in what you read
after it, so nothing falls between the two (see docs/api.md)."""


def create_app(settings: ApiSettings) -> FastAPI:
    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        engine = await open_database(settings.db_url)
        app.state.engine = engine
        app.state.sessions = sessions(engine)
        app.state.dialect = engine.dialect.name
        try:
            yield
        finally:
            await engine.dispose()

    app = FastAPI(
        title="SolGrid market data API",
        version=__version__,
        description=DESCRIPTION,
        docs_url=None,
        redoc_url=None,
        lifespan=lifespan,
    )
    app.state.settings = settings
    app.state.response_cache = ResponseCache(max_age=settings.cache_secs)
    install_error_handlers(app)
    for router in ROUTERS:
        app.include_router(router, prefix=PREFIX)
    app.include_router(feed_relay.router)
    add_docs_page(app, settings.static_dir)
    static = settings.static_dir
    if static is not None and (static / "index.html").is_file():
        app.mount("/", StaticFiles(directory=static, html=True), name="dashboard")
    return app
