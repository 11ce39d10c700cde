"""Running the API: the app on uvicorn (uvloop and httptools), until SIGINT / SIGTERM."""

from __future__ import annotations

import asyncio
import signal

import uvicorn

from solgrid.api.app import create_app
from solgrid.api.database import open_database
from solgrid.api.settings import ApiSettings

STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM)


def check_database(url: str) -> None:
    """Refuse, in one line (a DatabaseError), a database the API cannot read, before serving anything."""

    async def probe() -> None:
        engine = await open_database(url)
        await engine.dispose()

    asyncio.run(probe())


def serve(settings: ApiSettings, host: str, port: int, *, log_level: str = "warning") -> None:
    """Serve until SIGINT / SIGTERM; one line when listening (uvicorn's own log from ``log_level`` on)."""
    check_database(settings.db_url)
    shown = "[::1]" if host == "::1" else host
    feed = settings.feed_url or "none: no live updates"
    print(f"solgrid api: http://{shown}:{port}/ (API /api/v1, docs /docs; feed {feed})", flush=True)
    config = uvicorn.Config(
        create_app(settings),
        host=host,
        port=port,
        loop="uvloop",
        http="httptools",
        ws="websockets-sansio",
        log_level=log_level,
        access_log=False,
        lifespan="on",
    )
    # uvicorn shuts down gracefully on SIGINT / SIGTERM, then raises the signal again against the handler
    # it found installed; with these no-op handlers that is a clean exit (status 0), as for the indexer.
    previous = {sig: signal.signal(sig, lambda *_: None) for sig in STOP_SIGNALS}
    try:
        uvicorn.Server(config).run()
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
