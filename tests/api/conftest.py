"""Fixtures of the API suite: the app over a migrated indexer database (both backends), driven in process
through httpx's ASGI transport with the app's lifespan run (so start-up checks run as in a server).
``client_of`` lives in api_server (test modules import it from there: ``conftest`` may name another
directory's conftest when several suites run together)."""

from __future__ import annotations

import sys
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
from api_server import client_of
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from solgrid.api.settings import ApiSettings

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "indexer"))  # synthetic events, support


@pytest.fixture
async def api(db: async_sessionmaker[AsyncSession], db_url: str) -> AsyncIterator[httpx.AsyncClient]:
    """A client of the API over ``db`` (migrated, empty; the test fills it through the indexer's Store)."""
    async with client_of(ApiSettings(db_url=db_url, static_dir=None)) as client:
        yield client
