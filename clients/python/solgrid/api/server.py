"""Running the API: the app on uvicorn (uvloop and httptools), until SIGINT / SIGTERM."""

from __future__ import annotations

import asyncio

import uvicorn

from solgrid.api.app import create_app
from solgrid.api.database import open_database
from solgrid.api.settings import ApiSettings


def check_database(url: str) -> None:
    """Refuse, in one line (a DatabaseError), a database the API cannot read, before serving anything."""

    async def probe() -> None:
        engine = await open_database(url)
        await engine.dispose()

    asyncio.run(probe())


def serve(settings: ApiSettings, host: str, port: int, *, log_level: str = "info") -> None:
    check_database(settings.db_url)
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
    uvicorn.Server(config).run()
