"""Opening the indexer's database for reading: the engine, and a check that the schema is the one this
version's indexer writes (a database the indexer never migrated, or migrated by another version, is
refused in one line at start-up rather than answered with 500s)."""

from __future__ import annotations

from alembic.script import ScriptDirectory
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncEngine

from solgrid.indexer.db import DatabaseError, alembic_config, create_engine, reason


def head_revision() -> str | None:
    return ScriptDirectory.from_config(alembic_config()).get_current_head()


async def open_database(url: str) -> AsyncEngine:
    """An engine on the indexer's database at ``url``, whose schema is at this version's head."""
    engine = create_engine(url)
    try:
        async with engine.connect() as connection:
            try:
                found = (await connection.execute(text("SELECT version_num FROM alembic_version"))).scalar()
            except DBAPIError:
                found = None
    except (OSError, DBAPIError) as e:
        await engine.dispose()
        raise DatabaseError(f"cannot open the database: {reason(e)}") from None
    head = head_revision()
    if found != head:
        await engine.dispose()
        if found is None:
            raise DatabaseError(
                "the database has no indexer schema: start `solgrid indexer run` (or `solgrid indexer "
                "migrate`) on it first"
            )
        raise DatabaseError(
            f"the database's schema is at revision {found}, this version reads {head}: run "
            "`solgrid indexer migrate` with this version"
        )
    return engine
