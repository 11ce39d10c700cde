"""Alembic migrations bring an empty SQLite file and an empty Postgres database to head."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect

from solgrid.indexer.db import create_engine, migrate
from solgrid.indexer.models import Base

DOMAIN = {"users", "grid_zones", "meters", "meter_readings", "token_mints", "burns", "settlements", "events"}


async def test_upgrade_head_creates_the_models_schema(db_url: str) -> None:
    engine = create_engine(db_url)
    try:
        await migrate(engine)
        await migrate(engine)  # at head: a no-op, not an error
        async with engine.connect() as connection:
            tables = await connection.run_sync(lambda c: set(inspect(c).get_table_names()))
            events_unique = await connection.run_sync(lambda c: inspect(c).get_unique_constraints("events"))
            version = await connection.exec_driver_sql("SELECT version_num FROM alembic_version")
            assert [row[0] for row in version] == ["0001"]
        assert tables >= DOMAIN
        assert set(Base.metadata.tables) | {"alembic_version"} == tables
        assert [u["column_names"] for u in events_unique] == [
            ["signature", "instruction_index", "event_index"]
        ]
    finally:
        await engine.dispose()


async def test_migrations_match_the_models(db_url: str) -> None:
    """No drift: autogenerate against a migrated database finds nothing to change."""
    engine = create_engine(db_url)
    try:
        await migrate(engine)
        async with engine.connect() as connection:
            diff = await connection.run_sync(
                lambda c: compare_metadata(MigrationContext.configure(c), Base.metadata)
            )
        assert diff == []
    finally:
        await engine.dispose()
