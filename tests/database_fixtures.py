"""Database fixtures for every suite that needs the indexer's database (a pytest plugin of
tests/conftest.py): a real PostgreSQL server for the session (tests/pg_server.py), a fresh database on it
per test, an SQLite file per test, and ``db_url`` running a test on both."""

from __future__ import annotations

import itertools
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import asyncpg
import pytest
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from pg_server import postgres_server
from solgrid.indexer.db import create_engine, migrate, sessions

_names = itertools.count()


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    with postgres_server() as url:
        yield url


@pytest.fixture
async def pg_db(postgres_url: str) -> AsyncIterator[str]:
    """A new, empty database on the session's server (dropped afterwards)."""
    name = f"solgrid_test_{next(_names)}"
    url = make_url(postgres_url)
    admin = await asyncpg.connect(host=url.host, port=url.port, user=url.username, database="postgres")
    try:
        await admin.execute(f'CREATE DATABASE "{name}"')
        yield url.set(database=name).render_as_string(hide_password=False)
        await admin.execute(f'DROP DATABASE "{name}" WITH (FORCE)')
    finally:
        await admin.close()


@pytest.fixture
def sqlite_db(tmp_path: Path) -> str:
    return f"sqlite+aiosqlite:///{tmp_path / 'indexer.db'}"


@pytest.fixture(params=["sqlite", "postgres"])
def db_url(request: pytest.FixtureRequest) -> str:
    """Both backends, each a fresh database."""
    fixture = "sqlite_db" if request.param == "sqlite" else "pg_db"
    url: str = request.getfixturevalue(fixture)
    return url


@pytest.fixture
async def db(db_url: str) -> AsyncIterator[async_sessionmaker[AsyncSession]]:
    """Sessions on a migrated, empty database (both backends)."""
    engine = create_engine(db_url)
    await migrate(engine)
    yield sessions(engine)
    await engine.dispose()
