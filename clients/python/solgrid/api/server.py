"""Running the API: the app on uvicorn (uvloop and httptools), until SIGINT / SIGTERM.

One process serves on one core (the app's Python runs in one thread). ``workers`` > 1 runs that many
worker processes on one listening socket (uvicorn's supervisor): each worker builds its own app with
:func:`app_from_env` from the settings the supervisor puts in ``SOLGRID_API_SETTINGS`` (JSON), since a
worker process starts from an import string, not from an object."""

from __future__ import annotations

import asyncio
import json
import os
import signal
from pathlib import Path
from typing import Any

import uvicorn
from fastapi import FastAPI

from solgrid.api.app import create_app
from solgrid.api.database import open_database
from solgrid.api.settings import ApiSettings

STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM)
SETTINGS_ENV = "SOLGRID_API_SETTINGS"
"""The environment variable a worker process reads its :class:`ApiSettings` from (JSON)."""


def check_database(url: str) -> None:
    """Refuse, in one line (a DatabaseError), a database the API cannot read, before serving anything."""

    async def probe() -> None:
        engine = await open_database(url)
        await engine.dispose()

    asyncio.run(probe())


def settings_json(settings: ApiSettings) -> str:
    static = None if settings.static_dir is None else str(settings.static_dir)
    return json.dumps(
        {
            "db_url": settings.db_url,
            "feed_url": settings.feed_url,
            "rpc_url": settings.rpc_url,
            "static_dir": static,
            "cache_secs": settings.cache_secs,
        }
    )


def settings_from_json(text: str) -> ApiSettings:
    d = json.loads(text)
    static = d["static_dir"]
    return ApiSettings(
        db_url=d["db_url"],
        feed_url=d["feed_url"],
        rpc_url=d["rpc_url"],
        static_dir=None if static is None else Path(static),
        cache_secs=float(d["cache_secs"]),
    )


def app_from_env() -> FastAPI:
    """The app of a worker process (uvicorn's factory): its settings from ``SOLGRID_API_SETTINGS``."""
    text = os.environ.get(SETTINGS_ENV)
    if text is None:
        raise RuntimeError(f"{SETTINGS_ENV} is not set: start workers with `solgrid api run --workers N`")
    return create_app(settings_from_json(text))


def serve(
    settings: ApiSettings, host: str, port: int, *, workers: int = 1, log_level: str = "warning"
) -> None:
    """Serve until SIGINT / SIGTERM; one line when listening (uvicorn's own log from ``log_level`` on)."""
    check_database(settings.db_url)
    shown = "[::1]" if host == "::1" else host
    feed = settings.feed_url or "none: no live updates"
    processes = f", {workers} worker processes" if workers > 1 else ""
    print(
        f"solgrid api: http://{shown}:{port}/ (API /api/v1, docs /docs; feed {feed}{processes})", flush=True
    )
    options: dict[str, Any] = {
        "host": host,
        "port": port,
        "loop": "uvloop",
        "http": "httptools",
        "ws": "websockets-sansio",
        "log_level": log_level,
        "access_log": False,
        "lifespan": "on",
    }
    if workers > 1:  # uvicorn's supervisor stops its workers on SIGINT / SIGTERM and exits
        os.environ[SETTINGS_ENV] = settings_json(settings)
        uvicorn.run("solgrid.api.server:app_from_env", factory=True, workers=workers, **options)
        return
    config = uvicorn.Config(create_app(settings), **options)
    # uvicorn shuts down gracefully on SIGINT / SIGTERM, then raises the signal again against the handler
    # it found installed; with these no-op handlers that is a clean exit (status 0), as for the indexer.
    previous = {sig: signal.signal(sig, lambda *_: None) for sig in STOP_SIGNALS}
    try:
        uvicorn.Server(config).run()
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
