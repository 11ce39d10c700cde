"""Alembic migrations bring an empty SQLite file and an empty Postgres database to head, and the package
ships the same scripts that `alembic -c alembic.ini` uses from the repository root."""

from __future__ import annotations

import json
import tomllib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, inspect, text
from sqlalchemy.ext.asyncio import AsyncEngine

from solgrid.indexer.credits import credit_rows
from solgrid.indexer.db import MIGRATIONS, alembic_config, create_engine, migrate
from solgrid.indexer.models import Base, carbon_credits

REPO = Path(__file__).resolve().parents[2]


def downgrade(connection: Connection, revision: str) -> None:
    config = alembic_config()
    config.attributes["connection"] = connection
    command.downgrade(config, revision)


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
            assert [row[0] for row in version] == list(
                ScriptDirectory.from_config(alembic_config()).get_heads()
            )
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


async def test_0002_fills_the_reading_totals_of_existing_rows_from_their_events(db_url: str) -> None:
    engine = create_engine(db_url)
    try:
        await migrate(engine, "0001")
        data = {"meter": "M1", "window_start": 600, "produced_wh": 2**40, "consumed_wh": 7}
        async with engine.begin() as connection:
            await connection.execute(
                text(
                    "INSERT INTO transactions (signature, slot, succeeded, logs_truncated, event_count) "
                    "VALUES ('S', 5, true, false, 2)"
                )
            )
            for index, (name, payload) in enumerate(
                [("ReadingAccepted", data), ("GridBurned", {"amount": 1})]
            ):
                await connection.execute(
                    text(
                        "INSERT INTO events (signature, instruction_index, event_index, slot, program, "
                        "name, data) VALUES ('S', 0, :i, 5, 'P', :n, :d)"
                    ),
                    {"i": index, "n": name, "d": json.dumps(payload)},
                )
            for start in (0, 600):
                await connection.execute(
                    text(
                        "INSERT INTO meter_readings (meter, window_start, window_end, production_wh, "
                        "consumption_wh, signature, slot) VALUES ('M1', :w, :e, 1, 1, 'S', 5)"
                    ),
                    {"w": start, "e": start + 600},
                )
        await migrate(engine)
        async with engine.connect() as connection:
            rows = await connection.execute(
                text(
                    "SELECT window_start, produced_wh, consumed_wh FROM meter_readings ORDER BY window_start"
                )
            )
            assert [(int(w), p if p is None else int(p), c if c is None else int(c)) for w, p, c in rows] == [
                (0, None, None),  # no event carries its totals (cannot happen; left unknown)
                (600, 2**40, 7),
            ]
    finally:
        await engine.dispose()


def test_the_package_ships_the_repository_migrations() -> None:
    """solgrid/migrations is the repository's migrations/ (one source), and pyproject's package-data
    globs put every file of it into the wheel."""
    assert MIGRATIONS.is_symlink() and MIGRATIONS.resolve() == (REPO / "migrations").resolve()
    package_data = tomllib.loads((REPO / "pyproject.toml").read_text())["tool"]["setuptools"]["package-data"]
    package = MIGRATIONS.parent
    shipped = {
        path.relative_to(package)
        for pattern in package_data["solgrid"]
        if pattern.startswith("migrations/")
        for path in package.glob(pattern)
    }
    files = {
        path.relative_to(package)
        for path in MIGRATIONS.rglob("*")
        if path.is_file() and "__pycache__" not in path.parts
    }
    assert Path("migrations/env.py") in files
    assert files == shipped, "add the missing files' pattern to [tool.setuptools.package-data]"
    from_package = ScriptDirectory.from_config(alembic_config())
    from_ini = ScriptDirectory.from_config(Config(str(REPO / "alembic.ini")))
    assert Path(from_ini.dir).resolve() == Path(from_package.dir).resolve()
    revisions = list(from_package.walk_revisions())
    assert len(revisions) == len(list((MIGRATIONS / "versions").glob("*.py"))) >= 1
    assert from_package.get_heads() == from_ini.get_heads()


async def test_0004_keeps_existing_checkpoints_and_alerts_and_adds_history_gaps(db_url: str) -> None:
    """An existing checkpoint covers the slot before its own (a later transaction in its slot may not
    be stored); alerts keep their rows; afterwards a checkpoint and an alert may name no signature."""
    engine = create_engine(db_url)
    try:
        await migrate(engine, "0003")
        async with engine.begin() as connection:
            await connection.execute(
                text("INSERT INTO checkpoints (program, signature, slot) VALUES ('P', 'S', 41)")
            )
            await connection.execute(
                text("INSERT INTO alerts (signature, kind, message) VALUES ('T', 'unfetchable', 'm')")
            )
        await migrate(engine)
        async with engine.begin() as connection:
            rows = await connection.execute(
                text("SELECT program, signature, slot, covered_slot FROM checkpoints")
            )
            assert [tuple(r) for r in rows] == [("P", "S", 41, 40)]
            alerts = await connection.execute(text("SELECT signature, kind, resolved_at FROM alerts"))
            assert [tuple(r) for r in alerts] == [("T", "unfetchable", None)]
            await connection.execute(text("INSERT INTO checkpoints (program, covered_slot) VALUES ('Q', 7)"))
            alert_id: int = (
                await connection.execute(
                    text("INSERT INTO alerts (kind, message) VALUES ('history_gap', 'g') RETURNING id")
                )
            ).scalar_one()
            await connection.execute(
                text(
                    "INSERT INTO history_gaps (program, before_slot, rpc_url, alert_id) "
                    "VALUES ('Q', 9, 'http://node', :a)"
                ),
                {"a": alert_id},
            )
            gaps = await connection.execute(
                text(
                    "SELECT program, after_slot, before_slot, resolved_at, detected_at IS NOT NULL "
                    "FROM history_gaps"
                )
            )
            assert [tuple(r) for r in gaps] == [("Q", None, 9, None, True)]
        async with engine.begin() as connection:  # and back: the rows 0003 can hold survive
            await connection.run_sync(downgrade, "0003")
        async with engine.connect() as connection:
            rows = await connection.execute(text("SELECT program, signature, slot FROM checkpoints"))
            assert [tuple(r) for r in rows] == [("P", "S", 41)]
            alerts = await connection.execute(text("SELECT signature FROM alerts"))
            assert [r[0] for r in alerts] == ["T"]
    finally:
        await engine.dispose()


TRADING = {"markets", "orders", "order_states", "trades", "price_history"}


async def tables(engine: AsyncEngine) -> set[str]:
    async with engine.connect() as connection:
        return await connection.run_sync(lambda c: set(inspect(c).get_table_names()))


async def test_0005_adds_the_trading_tables_and_downgrade_removes_only_them(db_url: str) -> None:
    """Up from 0004 with data in it, a trade row at the u64 limit the backend keeps exactly, down
    again (the older tables and rows stay), and up once more."""
    engine = create_engine(db_url)
    largest = 2**64 - 1 if db_url.startswith("postgresql") else 2**63 - 1
    try:
        await migrate(engine, "0004")
        assert not await tables(engine) & TRADING
        async with engine.begin() as connection:
            await connection.execute(
                text(
                    "INSERT INTO transactions (signature, slot, succeeded, logs_truncated, event_count) "
                    "VALUES ('S', 5, true, false, 0)"
                )
            )
        await migrate(engine, "0005")
        assert await tables(engine) >= TRADING | {"transactions"}
        async with engine.begin() as connection:
            await connection.execute(
                text(
                    "INSERT INTO trades (signature, instruction_index, event_index, step, market, zone_id, "
                    "maker, taker, maker_order_id, taker_order_id, taker_side, price_ticks, price, lots, "
                    "energy_wh, base_amount, quote_amount, maker_fee, taker_fee, slot, timestamp) VALUES "
                    "('S', 0, 0, 0, 'M', 1, 'A', 'B', 0, 1, 'Bid', 1, 1, 1, 1, :big, :big, 0, 0, 5, 900)"
                ),
                {"big": largest},
            )
            duplicate = text(
                "INSERT INTO trades (signature, instruction_index, event_index, step, market, maker, taker, "
                "maker_order_id, taker_order_id, taker_side, price_ticks, price, lots, energy_wh, "
                "base_amount, quote_amount, maker_fee, taker_fee, slot, timestamp) VALUES "
                "('S', 0, 0, 0, 'M', 'A', 'B', 0, 1, 'Bid', 1, 1, 1, 1, 1, 1, 0, 0, 5, 900) "
                "ON CONFLICT DO NOTHING"
            )
            await connection.execute(duplicate)  # the event position is unique
            rows = await connection.execute(text("SELECT base_amount, quote_amount FROM trades"))
            assert [(int(a), int(b)) for a, b in rows] == [(largest, largest)]
        async with engine.begin() as connection:
            await connection.run_sync(downgrade, "0004")
        left = await tables(engine)
        assert not left & TRADING and "transactions" in left
        async with engine.connect() as connection:
            assert (await connection.execute(text("SELECT signature FROM transactions"))).scalar_one() == "S"
        await migrate(engine)
        assert await tables(engine) >= TRADING
    finally:
        await engine.dispose()


AUCTION = {"epochs", "epoch_levels", "epoch_settlements"}


async def test_0006_adds_the_auction_tables_and_keeps_the_trading_rows(db_url: str) -> None:
    """Up from 0005 with a market and a fill in it: the market is continuous, the fill's maker side is
    the opposite of its taker's; an auction fill (no taker) fits; down again, the auction rows go and
    the continuous ones stay; up once more."""
    engine = create_engine(db_url)
    market = (
        "INSERT INTO markets (address, zone_id, base_mint, quote_mint, base_vault, quote_vault, "
        "fee_recipient, tick_size, lot_size_wh, min_order_lots, taker_fee_bps, maker_fee_bps, "
        "max_orders_per_epoch, status, signature, created_slot, created_at, updated_slot, updated_at) "
        "VALUES ('M', 1, 'B', 'Q', 'BV', 'QV', 'F', 10, 100, 1, 25, 10, 100, 'Active', 'S', 5, 0, 5, 0)"
    )
    fill = (
        "INSERT INTO trades (signature, instruction_index, event_index, step, market, zone_id, maker, taker, "
        "maker_order_id, taker_order_id, taker_side, price_ticks, price, lots, energy_wh, base_amount, "
        "quote_amount, maker_fee, taker_fee, slot, timestamp) VALUES "
        "('S', 0, 0, :step, 'M', 1, 'A', 'B', 0, 1, :side, 1, 1, 1, 1, 1, 1, 0, 0, 5, 900)"
    )
    try:
        await migrate(engine, "0005")
        async with engine.begin() as connection:
            await connection.execute(text(market))
            await connection.execute(text(fill), [{"step": 0, "side": "Bid"}, {"step": 1, "side": "Ask"}])
        await migrate(engine)
        assert await tables(engine) >= AUCTION
        async with engine.begin() as connection:
            rows = await connection.execute(text("SELECT mode, epoch_secs FROM markets"))
            assert [tuple(r) for r in rows] == [("continuous", 0)]
            rows = await connection.execute(
                text("SELECT maker_side, taker_side, epoch FROM trades ORDER BY step")
            )
            assert [tuple(r) for r in rows] == [("Ask", "Bid", None), ("Bid", "Ask", None)]
            await connection.execute(
                text(
                    "INSERT INTO trades (signature, instruction_index, event_index, step, market, maker, "
                    "maker_order_id, maker_side, epoch, price, lots, energy_wh, base_amount, quote_amount, "
                    "maker_fee, taker_fee, slot, timestamp) VALUES "
                    "('T', 0, 0, 0, 'M', 'A', 2, 'Bid', 7, 1, 1, 1, 1, 1, 0, 0, 6, 950)"
                )
            )
        async with engine.begin() as connection:
            await connection.run_sync(downgrade, "0005")
        assert not await tables(engine) & AUCTION
        async with engine.connect() as connection:
            rows = await connection.execute(text("SELECT signature, step FROM trades ORDER BY step"))
            assert [tuple(r) for r in rows] == [("S", 0), ("S", 1)]
        await migrate(engine)
        assert await tables(engine) >= AUCTION
    finally:
        await engine.dispose()


GOVERNANCE = {"certificates", "certificate_events", "retirements", "proposals", "approvals", "pauses"}


async def views(engine: AsyncEngine) -> set[str]:
    async with engine.connect() as connection:
        return await connection.run_sync(lambda c: set(inspect(c).get_view_names()))


async def test_0007_adds_the_governance_tables_and_the_carbon_credits_view(db_url: str) -> None:
    """Up from 0006 with a zone and a meter: the meter has certified nothing, the zone no emission factor;
    the view sums certificates per owner, meter and zone (held and retired; revoked, expired and pending
    ones not); down again, the governance tables, the view and the new columns go and the older rows
    stay; up once more."""
    engine = create_engine(db_url)
    certificate = (
        "INSERT INTO certificates (address, meter, zone_id, volume_wh, co2_avoided_g, status, owner, "
        "split_count, updated_slot) VALUES (:a, :m, 7, :v, :g, :s, :o, 0, 5)"
    )
    try:
        await migrate(engine, "0006")
        async with engine.begin() as connection:
            await connection.execute(
                text(
                    "INSERT INTO grid_zones (zone_id, address, name, max_capacity_kw, status, created_at) "
                    "VALUES (7, 'Z', 'north', 5, 'Active', 1)"
                )
            )
            await connection.execute(
                text(
                    "INSERT INTO meters (address, serial, owner, zone_id, device_key, source, capacity_w, "
                    "status, produced_wh, consumed_wh, settled_wh, registered_at) "
                    "VALUES ('M', 'S-1', 'O', 7, 'K', 'Solar', 5000, 'Active', 10, 2, 1, 1)"
                )
            )
        await migrate(engine, "0007")
        assert await tables(engine) >= GOVERNANCE and await views(engine) == {"carbon_credits"}
        assert await view_columns(engine) == [c.name for c in carbon_credits.columns][:8]
        async with engine.begin() as connection:
            meter = (
                await connection.execute(text("SELECT certificate_wh, certificate_until FROM meters"))
            ).one()
            assert (int(meter[0]), meter[1]) == (0, None)
            assert (
                await connection.execute(text("SELECT emission_factor FROM grid_zones"))
            ).scalar_one() is None
            await connection.execute(
                text(certificate),
                [
                    {"a": "C1", "m": "M", "v": 1_000, "g": 400, "s": "Valid", "o": "bob"},
                    {"a": "C2", "m": "M", "v": 300, "g": 120, "s": "Valid", "o": "bob"},
                    {"a": "C3", "m": "M", "v": 500, "g": 200, "s": "Retired", "o": "bob"},
                    {"a": "C4", "m": "M", "v": 500, "g": 200, "s": "Retired", "o": "carol"},
                    {"a": "C5", "m": "M", "v": 900, "g": 360, "s": "Revoked", "o": "bob"},
                    {"a": "C6", "m": "M", "v": 900, "g": 360, "s": "Expired", "o": "bob"},
                    {"a": "C7", "m": "M", "v": 900, "g": 0, "s": "Pending", "o": "bob"},
                ],
            )
            rows = await connection.execute(text("SELECT * FROM carbon_credits ORDER BY owner"))
            assert [tuple(int(v) if not isinstance(v, str) else v for v in row) for row in rows] == [
                ("bob", "M", 7, 520, 200, 1_300, 500, 3),
                ("carol", "M", 7, 0, 200, 0, 500, 1),
            ]
        async with engine.begin() as connection:
            await connection.run_sync(downgrade, "0006")
        assert not await tables(engine) & GOVERNANCE and not await views(engine)
        async with engine.connect() as connection:
            meter_columns = await connection.run_sync(
                lambda c: {col["name"] for col in inspect(c).get_columns("meters")}
            )
            assert "certificate_wh" not in meter_columns
            assert (await connection.execute(text("SELECT serial FROM meters"))).scalar_one() == "S-1"
        await migrate(engine, "0007")
        assert await tables(engine) >= GOVERNANCE and await views(engine) == {"carbon_credits"}
    finally:
        await engine.dispose()


async def view_columns(engine: AsyncEngine) -> list[str]:
    async with engine.connect() as connection:
        return await connection.run_sync(
            lambda c: [col["name"] for col in inspect(c).get_columns("carbon_credits")]
        )


DB_NOW = {
    "sqlite": "SELECT CAST(strftime('%s', 'now') AS INTEGER)",
    "postgresql": "SELECT CAST(FLOOR(EXTRACT(EPOCH FROM CURRENT_TIMESTAMP)) AS BIGINT)",
}
"""The database's clock in Unix seconds (PostgreSQL's: the transaction's start)."""
CERTIFICATE = (
    "INSERT INTO certificates (address, meter, zone_id, volume_wh, co2_avoided_g, status, owner, "
    "expires_at, split_count, updated_slot) VALUES (:a, 'M', 7, :v, :g, :s, :o, :x, 0, 5)"
)


def around(now: int) -> list[dict[str, Any]]:
    """Certificates expiring around ``now``: on chain one is usable while the clock is before its
    ``expires_at`` and expired from it on."""
    return [
        {"a": "C1", "v": 1_000, "g": 400, "s": "Valid", "o": "bob", "x": now + 1},  # held: one second left
        {"a": "C2", "v": 300, "g": 120, "s": "Valid", "o": "bob", "x": now},  # lapsed: expires now
        {"a": "C3", "v": 200, "g": 80, "s": "Valid", "o": "bob", "x": now - 1},  # lapsed
        {"a": "C4", "v": 50, "g": 20, "s": "Valid", "o": "bob", "x": None},  # expiry not indexed: held
        {"a": "C5", "v": 500, "g": 200, "s": "Retired", "o": "bob", "x": now - 1},  # retired stays
        {"a": "C6", "v": 700, "g": 280, "s": "Valid", "o": "carol", "x": now},  # lapsed only
        {"a": "C7", "v": 900, "g": 360, "s": "Expired", "o": "bob", "x": now - 9},
        {"a": "C8", "v": 900, "g": 360, "s": "Revoked", "o": "bob", "x": now + 9},
        {"a": "C9", "v": 900, "g": 0, "s": "Pending", "o": "bob", "x": None},
    ]


HEAD_COLUMNS = [c.name for c in carbon_credits.columns]
"""The head's view columns (0008's): owner, meter, zone, held g, retired g, held Wh, retired Wh,
certificates, lapsed g, lapsed Wh, void g, void Wh, retired_revoked g, retired_revoked Wh; 0007's are
the first eight."""

AROUND = [  # HEAD_COLUMNS
    ("bob", "M", 7, 420, 200, 1_050, 500, 5, 200, 500, 0, 0, 0, 0),
    ("carol", "M", 7, 0, 0, 0, 0, 1, 280, 700, 0, 0, 0, 0),
]
AROUND_0007 = [  # 0007's view of the same rows: every Valid one is held
    ("bob", "M", 7, 620, 200, 1_550, 500, 5),
    ("carol", "M", 7, 280, 0, 700, 0, 1),
]


def ints(rows: Any) -> list[tuple[Any, ...]]:
    return sorted(tuple(int(v) if not isinstance(v, str) else v for v in row) for row in rows)


@dataclass
class Counted:
    """What :func:`counted_from_0007` read while the database's clock stood at ``now``."""

    now: int
    before: list[tuple[Any, ...]]
    """0007's view of the rows, before the migration."""
    view: list[tuple[Any, ...]]
    """0008's view."""
    query: list[tuple[Any, ...]]
    """:func:`credit_rows` at ``now`` (the clock as a parameter), at 0008."""
    effective: dict[str, str]
    """Each certificate's ``effective_status``, as 0008 filled it."""


async def counted_from_0007(
    engine: AsyncEngine, insert: str, rows: Callable[[int], list[dict[str, Any]]]
) -> Counted:
    """At 0007, ``rows(now)`` inserted (``now``: the database's clock) and the view read, then migrated
    to 0008 and the view read again: repeated from 0007 when a second ticked in between (PostgreSQL's
    clock is the transaction's start; SQLite's is read before and after)."""
    await migrate(engine, "0007")
    for _attempt in range(5):
        async with engine.begin() as connection:
            await connection.execute(text("DELETE FROM certificates"))
            now_sql = text(DB_NOW[connection.dialect.name])
            now: int = (await connection.execute(now_sql)).scalar_one()
            await connection.execute(text(insert), rows(now))
            at_0007 = text("SELECT * FROM carbon_credits ORDER BY owner, meter")  # cached apart
            before = ints(await connection.execute(at_0007))
        await migrate(engine, "0008")
        async with engine.begin() as connection:
            now_sql = text(DB_NOW[connection.dialect.name])
            view = ints(await connection.execute(text("SELECT * FROM carbon_credits")))
            query = ints(await connection.execute(credit_rows(now)))
            ticked: bool = (await connection.execute(now_sql)).scalar_one() != now
            effective: dict[str, str] = dict(
                (await connection.execute(text("SELECT address, effective_status FROM certificates"))).all()
            )
            if ticked:
                await connection.run_sync(downgrade, "0007")
        if not ticked:
            return Counted(now, before, view, query, effective)
    raise AssertionError("the database's clock ticked during every attempt")


async def certificate_columns(engine: AsyncEngine) -> list[str]:
    async with engine.connect() as connection:
        return await connection.run_sync(
            lambda c: [col["name"] for col in inspect(c).get_columns("certificates")]
        )


async def test_0008_a_valid_certificate_from_its_expiry_on_is_lapsed_not_held(db_url: str) -> None:
    """Up from 0007 with certificates expiring one second after the database's clock, at it, one second
    before it and never indexed: the view counts the first and the last as held, the two others as
    lapsed, whatever their owners; the same rows as ``credit_rows``; ``effective_status`` is each one's
    status (none has an original). Down to 0007: every Valid one is held again; up again."""
    engine = create_engine(db_url)
    try:
        counted = await counted_from_0007(engine, CERTIFICATE, around)
        assert await view_columns(engine) == HEAD_COLUMNS
        assert counted.before == AROUND_0007
        assert counted.view == counted.query == AROUND
        assert counted.effective == {row["a"]: row["s"] for row in around(counted.now)}

        async with engine.begin() as connection:
            await connection.run_sync(downgrade, "0007")
            old_view = text("SELECT * FROM carbon_credits ORDER BY owner")  # not a statement cached above
            assert ints(await connection.execute(old_view)) == AROUND_0007
        assert await view_columns(engine) == HEAD_COLUMNS[:8]
        await migrate(engine, "0008")
        assert await view_columns(engine) == HEAD_COLUMNS
    finally:
        await engine.dispose()


SPLIT_PART = (
    "INSERT INTO certificates (address, original, meter, zone_id, volume_wh, co2_avoided_g, status, owner, "
    "expires_at, split_count, updated_slot) VALUES (:a, :r, 'M', 7, :v, :g, :s, :o, :x, 0, 5)"
)


def lineage(now: int) -> list[dict[str, Any]]:
    """Originals (their own ``original``) and certificates split off them: R1 was revoked, R2 was not,
    X is not indexed."""
    later, past = now + 9, now - 1
    return [
        {"a": "R1", "r": "R1", "v": 100, "g": 40, "s": "Revoked", "o": "bob", "x": later},
        {"a": "K1", "r": "R1", "v": 1_000, "g": 400, "s": "Valid", "o": "bob", "x": later},  # void
        {"a": "K2", "r": "R1", "v": 300, "g": 120, "s": "Valid", "o": "carol", "x": past},  # void, not lapsed
        {"a": "K3", "r": "R1", "v": 500, "g": 200, "s": "Retired", "o": "bob", "x": later},  # retired before
        {"a": "K4", "r": "R1", "v": 900, "g": 360, "s": "Expired", "o": "bob", "x": past},  # counts nothing
        {"a": "R2", "r": "R2", "v": 200, "g": 80, "s": "Valid", "o": "bob", "x": later},  # held
        {"a": "K5", "r": "R2", "v": 50, "g": 20, "s": "Valid", "o": "carol", "x": past},  # lapsed
        {"a": "K6", "r": "X", "v": 70, "g": 28, "s": "Valid", "o": "carol", "x": later},  # held
        {"a": "K7", "r": None, "v": 10, "g": 4, "s": "Valid", "o": "carol", "x": later},  # held
    ]


LINEAGE = [  # HEAD_COLUMNS
    ("bob", "M", 7, 80, 0, 200, 0, 3, 0, 0, 400, 1_000, 200, 500),  # K3 retired_revoked: R1 is Revoked
    ("carol", "M", 7, 32, 0, 80, 0, 4, 20, 50, 120, 300, 0, 0),
]
LINEAGE_0007 = [  # 0007's view of the same rows: every Valid one is held, every Retired one retired
    ("bob", "M", 7, 80 + 400, 200, 200 + 1_000, 500, 3),
    ("carol", "M", 7, 32 + 20 + 120, 0, 80 + 50 + 300, 0, 4),
]
EFFECTIVE = {"R1": "Revoked", "K1": "Revoked", "K2": "Revoked", "K3": "Retired", "K4": "Expired"} | {
    "R2": "Valid",
    "K5": "Valid",
    "K6": "Valid",
    "K7": "Valid",
}


async def test_0008_a_valid_certificate_split_off_a_revoked_original_is_void_not_held(db_url: str) -> None:
    """Up from 0007 with certificates split off a revoked original, a valid one, one not indexed: the new
    ``effective_status`` is Revoked for the Valid ones of the revoked original (only), and the view
    counts them as void whatever their expiry (the Retired one is retired_revoked: below); the same rows
    as ``credit_rows``. Down to 0007: its view, where they are held, and no ``effective_status``; up
    again: filled again."""
    engine = create_engine(db_url)
    try:
        counted = await counted_from_0007(engine, SPLIT_PART, lineage)
        assert await view_columns(engine) == HEAD_COLUMNS
        assert counted.before == LINEAGE_0007
        assert counted.view == counted.query == LINEAGE
        assert counted.effective == EFFECTIVE

        async with engine.begin() as connection:
            await connection.run_sync(downgrade, "0007")
            old_view = text("SELECT * FROM carbon_credits ORDER BY owner")  # not a statement cached above
            assert ints(await connection.execute(old_view)) == LINEAGE_0007
        assert await view_columns(engine) == HEAD_COLUMNS[:8]
        assert "effective_status" not in await certificate_columns(engine)
        await migrate(engine, "0008")
        assert await view_columns(engine) == HEAD_COLUMNS
        async with engine.connect() as connection:
            again = await connection.execute(text("SELECT address, effective_status FROM certificates"))
            assert dict(again.all()) == EFFECTIVE
            up_again = text("SELECT * FROM carbon_credits WHERE owner IS NOT NULL")  # cached apart
            assert ints(await connection.execute(up_again)) == LINEAGE
    finally:
        await engine.dispose()


REVOKED_LINEAGE = (
    "INSERT INTO certificates (address, original, meter, zone_id, volume_wh, co2_avoided_g, status, owner, "
    "expires_at, revoke_reason, split_count, updated_slot) "
    "VALUES (:a, :r, 'M', 7, :v, :g, :s, :o, :x, :w, 0, 5)"
)


def retired_lineages(now: int) -> list[dict[str, Any]]:
    """:func:`lineage` (R1 Revoked: its Retired part K3 retired before) and more: R3, retired, then its
    lineage revoked (it keeps Retired, with the reason), with a Retired part K8 and a Valid one K9; R4
    retired, not revoked; K10 retired, its original not indexed; R5 retired and revoked, its request
    not indexed (no ``original``: its own reason says it)."""
    later = now + 9
    return [{**row, "w": "fraud" if row["a"] == "R1" else None} for row in lineage(now)] + [
        {"a": "R3", "r": "R3", "v": 600, "g": 240, "s": "Retired", "o": "dan", "x": later, "w": "fraud"},
        {"a": "K8", "r": "R3", "v": 400, "g": 160, "s": "Retired", "o": "erin", "x": later, "w": None},
        {"a": "K9", "r": "R3", "v": 100, "g": 40, "s": "Valid", "o": "erin", "x": later, "w": None},  # void
        {"a": "R4", "r": "R4", "v": 250, "g": 100, "s": "Retired", "o": "dan", "x": later, "w": None},
        {"a": "K10", "r": "Y", "v": 20, "g": 8, "s": "Retired", "o": "erin", "x": later, "w": None},
        {"a": "R5", "r": None, "v": 30, "g": 12, "s": "Retired", "o": "dan", "x": later, "w": "fraud"},
    ]


RETIRED_LINEAGES = [  # HEAD_COLUMNS
    ("bob", "M", 7, 80, 0, 200, 0, 3, 0, 0, 400, 1_000, 200, 500),  # K3 is no clean proof
    ("carol", "M", 7, 32, 0, 80, 0, 4, 20, 50, 120, 300, 0, 0),
    ("dan", "M", 7, 0, 100, 0, 250, 3, 0, 0, 0, 0, 240 + 12, 600 + 30),
    ("erin", "M", 7, 0, 8, 0, 20, 3, 0, 0, 40, 100, 160, 400),
]
RETIRED_LINEAGES_0007 = [  # 0007's view of the same rows: every Retired one retired, K9 held
    *LINEAGE_0007,
    ("dan", "M", 7, 0, 100 + 240 + 12, 0, 250 + 600 + 30, 3),
    ("erin", "M", 7, 40, 160 + 8, 100, 400 + 20, 3),
]
RETIRED_EFFECTIVE = EFFECTIVE | {
    "R3": "Retired",
    "K8": "Retired",
    "K9": "Revoked",  # its original is Retired, not Revoked: its revoke_reason says the lineage was revoked
    "R4": "Retired",
    "K10": "Retired",
    "R5": "Retired",
}


async def test_0008_a_retirement_from_a_revoked_lineage_is_counted_apart(db_url: str) -> None:
    """Up from 0007 with retired certificates of revoked lineages (a part of a Revoked original; a Retired
    original revoked afterwards, its Retired part; one whose request is not indexed), of lineages not
    revoked, of an original not indexed: 0007 counts them all as retired and the Valid part of the
    Retired, revoked original as held; 0008 counts the first ones as retired_revoked and fills that
    part's ``effective_status`` Revoked from its original's ``revoke_reason`` (void); the same rows as
    ``credit_rows``. Down to 0007: its view again, without ``effective_status``; up to head: filled
    again, the same view."""
    engine = create_engine(db_url)
    try:
        counted = await counted_from_0007(engine, REVOKED_LINEAGE, retired_lineages)
        assert await view_columns(engine) == HEAD_COLUMNS
        assert counted.before == RETIRED_LINEAGES_0007
        assert counted.view == counted.query == RETIRED_LINEAGES
        assert counted.effective == RETIRED_EFFECTIVE

        async with engine.begin() as connection:
            await connection.run_sync(downgrade, "0007")
            old_view = text("SELECT * FROM carbon_credits ORDER BY owner")  # not a statement cached above
            assert (
                await connection.run_sync(
                    lambda c: [col["name"] for col in inspect(c).get_columns("carbon_credits")]
                )
                == HEAD_COLUMNS[:8]
            )
            assert ints(await connection.execute(old_view)) == RETIRED_LINEAGES_0007
        assert "effective_status" not in await certificate_columns(engine)
        await migrate(engine)
        assert await view_columns(engine) == HEAD_COLUMNS
        async with engine.connect() as connection:
            up_again = text("SELECT * FROM carbon_credits WHERE owner IS NOT NULL")  # cached apart
            assert ints(await connection.execute(up_again)) == RETIRED_LINEAGES
            again = await connection.execute(text("SELECT address, effective_status FROM certificates"))
            assert dict(again.all()) == RETIRED_EFFECTIVE
    finally:
        await engine.dispose()


RETIREMENT = (
    "INSERT INTO retirements (signature, instruction_index, event_index, certificate, owner, beneficiary, "
    "beneficiary_name, purpose, consumption_start, consumption_end, retired_at, volume_wh, co2_avoided_g, "
    "slot) VALUES (:s, 0, 0, 'C', 'O', 'B', 'home', 'lights', 1, 2, :t, 500, 200, 5)"
)


async def test_0009_keeps_a_retirement_whose_time_is_unknown(db_url: str) -> None:
    """Up from 0008 (a retirement kept), a retirement without a time is stored; down to 0008 is refused
    while one is (no time is made up), and done once none is."""
    engine = create_engine(db_url)
    try:
        await migrate(engine, "0008")
        async with engine.begin() as connection:
            await connection.execute(text(RETIREMENT), {"s": "S1", "t": 1_700})
        await migrate(engine)
        async with engine.begin() as connection:
            await connection.execute(text(RETIREMENT), {"s": "S2", "t": None})
            rows = await connection.execute(text("SELECT signature, retired_at FROM retirements"))
            assert sorted(tuple(r) for r in rows) == [("S1", 1_700), ("S2", None)]
        with pytest.raises(RuntimeError, match="1 retirement"):
            async with engine.begin() as connection:
                await connection.run_sync(downgrade, "0008")
        async with engine.begin() as connection:
            await connection.execute(text("DELETE FROM retirements WHERE retired_at IS NULL"))
            await connection.run_sync(downgrade, "0008")
            assert (
                await connection.execute(text("SELECT retired_at FROM retirements"))
            ).scalar_one() == 1_700
        await migrate(engine)
    finally:
        await engine.dispose()


async def test_0009_refusing_its_downgrade_leaves_0008_in_place(db_url: str) -> None:
    """Down from head to 0007 while a retirement's time is unknown: 0009, the later step, refuses before
    0008's downgrade runs, so the database stays at head with 0008's view and ``effective_status``.
    (SQLite's driver starts the transaction only at the first row written, so DDL before it is not
    rolled back: had 0008's downgrade run first, the refusal would have left the version at head with
    0007's view and no ``effective_status``.)"""
    engine = create_engine(db_url)
    try:
        await migrate(engine)
        async with engine.begin() as connection:
            await connection.execute(text(RETIREMENT), {"s": "S1", "t": None})
        with pytest.raises(RuntimeError, match="1 retirement"):
            async with engine.begin() as connection:
                await connection.run_sync(downgrade, "0007")
        assert await view_columns(engine) == HEAD_COLUMNS
        assert "effective_status" in await certificate_columns(engine)
        async with engine.connect() as connection:
            version = await connection.execute(text("SELECT version_num FROM alembic_version"))
            assert version.scalar_one() == ScriptDirectory.from_config(alembic_config()).get_current_head()
    finally:
        await engine.dispose()
