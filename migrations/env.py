"""Alembic environment for the SolGrid indexer (SQLite and Postgres, async drivers).

Called two ways: from ``solgrid.indexer.db.migrate`` with a live connection in
``config.attributes["connection"]`` (the normal path), or from the ``alembic`` command line with
``-x db=URL``, in which case it opens its own async engine.
"""

from __future__ import annotations

import asyncio
from logging.config import fileConfig

from alembic import context
from sqlalchemy import Connection

from solgrid.indexer.models import Base

target_metadata = Base.metadata


def run_with(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=connection.dialect.name == "sqlite",
    )
    with context.begin_transaction():
        context.run_migrations()


async def run_standalone(url: str) -> None:
    from solgrid.indexer.db import create_engine

    engine = create_engine(url)
    async with engine.begin() as connection:
        await connection.run_sync(run_with)
    await engine.dispose()


def main() -> None:
    connection = context.config.attributes.get("connection")
    if connection is not None:
        run_with(connection)
        return
    from solgrid.indexer.db import DEFAULT_DB

    if context.config.config_file_name is not None:  # alembic.ini's logging sections
        fileConfig(context.config.config_file_name, disable_existing_loggers=False)
    url = context.get_x_argument(as_dictionary=True).get("db", DEFAULT_DB)
    if context.is_offline_mode():
        context.configure(url=url, target_metadata=target_metadata, literal_binds=True)
        with context.begin_transaction():
            context.run_migrations()
        return
    asyncio.run(run_standalone(url))


main()
