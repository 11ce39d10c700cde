"""Fixtures of the indexer suite: a real PostgreSQL server for the session, fresh databases per test."""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path

import asyncpg
import pytest
from market import Market, MarketNode, node_config
from pg_server import postgres_server
from solders.keypair import Keypair
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from solgrid.indexer.db import create_engine, migrate, sessions
from solgrid.localnet.background import BackgroundNode
from solgrid.localnet.genesis import GenesisProgram
from solgrid.sdk.energy_token import EnergyTokenClient
from solgrid.sdk.registry import RegistryClient
from solgrid.sdk.trading import TradingClient

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


async def _setup(rpc_url: str, authority: Keypair) -> None:
    market = Market(rpc_url, authority)
    try:
        await market.setup()
    finally:
        await market.close()


@pytest.fixture(scope="session")
def market_node(elf_of: Callable[[str], bytes]) -> Iterator[MarketNode]:
    authority = Keypair()
    with BackgroundNode(node_config(elf_of, authority)) as node:
        asyncio.run(_setup(node.rpc_url, authority))
        yield MarketNode(node, authority)


@pytest.fixture
def trading_node(elf_of: Callable[[str], bytes]) -> Iterator[tuple[BackgroundNode, Keypair]]:
    """A node of the test's own with the three workspace programs at genesis (nothing initialised),
    and their upgrade authority."""
    authority = Keypair()
    programs = [
        GenesisProgram(name, program_id, elf_of(name), authority.pubkey())
        for name, program_id in (
            ("registry", RegistryClient().program_id),
            ("energy_token", EnergyTokenClient().program_id),
            ("trading", TradingClient().program_id),
        )
    ]
    with BackgroundNode(node_config(elf_of, authority, programs=programs)) as background:
        yield background, authority


@pytest.fixture
async def db(db_url: str) -> AsyncIterator[async_sessionmaker[AsyncSession]]:
    """Sessions on a migrated, empty database (both backends)."""
    engine = create_engine(db_url)
    await migrate(engine)
    yield sessions(engine)
    await engine.dispose()
