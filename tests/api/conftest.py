"""Fixtures of the API suite: the app over a migrated indexer database (both backends), driven in process
through httpx's ASGI transport with the app's lifespan run (so start-up checks run as in a server)."""

from __future__ import annotations

import sys
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from solgrid.api.app import create_app
from solgrid.api.settings import ApiSettings

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "indexer"))  # synthetic events, support


@pytest.fixture
async def api(db: async_sessionmaker[AsyncSession], db_url: str) -> AsyncIterator[httpx.AsyncClient]:
    """A client of the API over ``db`` (migrated, empty; the test fills it through the indexer's Store)."""
    async with client_of(ApiSettings(db_url=db_url, static_dir=None)) as client:
        yield client


class client_of:
    """The app for ``settings`` with its lifespan running, and an httpx client of it."""

    def __init__(self, settings: ApiSettings) -> None:
        self.app = create_app(settings)
        self._lifespan = self.app.router.lifespan_context(self.app)
        self._client = httpx.AsyncClient(transport=httpx.ASGITransport(app=self.app), base_url="http://api")

    async def __aenter__(self) -> httpx.AsyncClient:
        await self._lifespan.__aenter__()
        return self._client

    async def __aexit__(self, *exc: object) -> None:
        await self._client.aclose()
        await self._lifespan.__aexit__(None, None, None)
