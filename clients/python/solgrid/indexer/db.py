"""Database engines and schema migrations for the indexer (SQLite by default, Postgres for scale).

The schema is owned by Alembic. The scripts ship inside the package (``solgrid/migrations``, which in
the source tree is a symlink to ``migrations/`` at the repository root, the one copy that
``alembic -c alembic.ini`` also uses), so an installed wheel migrates without a checkout.
:func:`migrate` runs ``upgrade head`` over the indexer's own async engine, so ``solgrid indexer run``
and ``solgrid indexer migrate`` need no separate alembic invocation.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from sqlalchemy import Connection, Table, event
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, DBAPIError
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker, create_async_engine

from solgrid.errors import UserFacingError

MIGRATIONS = Path(__file__).resolve().parents[1] / "migrations"
"""``solgrid/migrations`` of the installed package (the repository's ``migrations/`` in a checkout)."""
DEFAULT_DB = "sqlite+aiosqlite:///solgrid-indexer.db"
SUPPORTED = ("sqlite+aiosqlite", "postgresql+asyncpg")


class DatabaseError(UserFacingError):
    """The database URL is unusable (wrong driver, unreachable, bad migrations directory)."""


def create_engine(url: str) -> AsyncEngine:
    """An async engine for ``url``; SQLite gets WAL + synchronous=NORMAL (durable across a process
    crash, which is what kill -9 tests) and a busy timeout so a reader never fails a writer."""
    try:
        parsed = make_url(url)
    except ArgumentError as e:
        raise DatabaseError(f"invalid database URL {url!r}: {e}") from None
    if parsed.drivername not in SUPPORTED:
        raise DatabaseError(
            f"unsupported database URL {parsed.drivername}://...; use one of "
            + ", ".join(f"{d}://" for d in SUPPORTED)
        )
    if parsed.drivername.startswith("sqlite"):
        if parsed.database and parsed.database != ":memory:":
            folder = Path(parsed.database).expanduser().resolve().parent
            if not folder.is_dir():
                raise DatabaseError(f"cannot open the database: directory {folder} does not exist")
        engine = create_async_engine(url, connect_args={"timeout": 30})

        @event.listens_for(engine.sync_engine, "connect")
        def _pragmas(dbapi_connection: Any, _record: Any) -> None:
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA synchronous=NORMAL")
            cursor.close()

        return engine
    return create_async_engine(url, pool_pre_ping=True)


def sessions(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    return async_sessionmaker(engine, expire_on_commit=False)


def alembic_config() -> Config:
    if not (MIGRATIONS / "env.py").is_file():
        raise DatabaseError(f"no Alembic migrations in {MIGRATIONS}: the solgrid installation is incomplete")
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    return config


async def migrate(engine: AsyncEngine, revision: str = "head") -> None:
    """``alembic upgrade <revision>`` on ``engine`` (idempotent: at head it does nothing)."""
    config = alembic_config()

    def upgrade(connection: Connection) -> None:
        config.attributes["connection"] = connection
        command.upgrade(config, revision)

    try:
        async with engine.begin() as connection:
            try:
                await connection.run_sync(upgrade)
            except DBAPIError as e:  # connected, but e.g. not allowed to create tables
                raise DatabaseError(f"cannot migrate the database: {reason(e)}") from None
    except (OSError, DBAPIError) as e:  # unreachable, no such database, bad credentials
        raise DatabaseError(f"cannot open the database: {reason(e)}") from None


def reason(error: Exception) -> str:
    """The first line of what the database driver said (without SQLAlchemy's wrapping)."""
    cause = error.orig if isinstance(error, DBAPIError) and error.orig is not None else error
    text = str(cause).strip()
    return text.splitlines()[0] if text else type(cause).__name__


def dialect_insert(session: AsyncSession, table: Table) -> Any:
    """The dialect's INSERT (both SQLite and Postgres have ON CONFLICT)."""
    dialect = session.get_bind().dialect.name
    if dialect == "postgresql":
        return postgresql.insert(table)
    if dialect == "sqlite":
        return sqlite.insert(table)
    raise ValueError(f"unsupported database dialect {dialect!r} (use sqlite+aiosqlite or postgresql+asyncpg)")
