"""`solgrid indexer migrate` / `run` / `gaps` / `backfill-gaps` as commands: success, and one-line errors
for bad databases and unreachable archive nodes."""

from __future__ import annotations

import asyncio
import json
import socket
import subprocess
import sys
from pathlib import Path

from click.testing import CliRunner
from sqlalchemy import create_engine, inspect

from solgrid.cli.indexer_cmd import indexer
from solgrid.errors import UserFacingError


def test_migrate_creates_the_schema(tmp_path: Path) -> None:
    path = tmp_path / "cli.db"
    result = CliRunner().invoke(indexer, ["migrate", "--db", f"sqlite+aiosqlite:///{path}"])
    assert result.exit_code == 0, result.output
    assert "schema is at head" in result.output
    tables = inspect(create_engine(f"sqlite:///{path}")).get_table_names()
    assert {"events", "meter_readings", "checkpoints"} <= set(tables)


def test_bad_database_urls_are_user_errors(tmp_path: Path) -> None:
    for url, message in [
        ("mysql+aiomysql://x@127.0.0.1/db", "unsupported database URL"),
        ("not a url", "invalid database URL"),
        (f"sqlite+aiosqlite:///{tmp_path}/missing/dir/x.db", "cannot open the database"),
    ]:
        result = CliRunner().invoke(indexer, ["migrate", "--db", url])
        assert isinstance(result.exception, UserFacingError), (url, result.exception)
        assert message in str(result.exception)
        assert "\n" not in str(result.exception)


def test_the_solgrid_command_reports_an_unreachable_postgres_in_one_line() -> None:
    from pg_server import free_port

    url = f"postgresql+asyncpg://nobody@127.0.0.1:{free_port()}/none"
    solgrid = Path(sys.executable).parent / "solgrid"
    done = subprocess.run(
        [str(solgrid), "indexer", "migrate", "--db", url], capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 1, done.stderr
    assert done.stderr.startswith("error: cannot open the database")
    assert len(done.stderr.strip().splitlines()) == 1


def test_the_pubsub_url_defaults_to_the_next_port() -> None:
    from solgrid.indexer.service import ws_url_for

    assert ws_url_for("http://127.0.0.1:8899") == "ws://127.0.0.1:8900"
    assert ws_url_for("https://api.devnet.solana.com") == "wss://api.devnet.solana.com"


def test_a_taken_feed_port_is_a_one_line_error(tmp_path: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        args = ["run", "--db", f"sqlite+aiosqlite:///{tmp_path / 'x.db'}", "--feed-port", str(port), "-q"]
        result = CliRunner().invoke(indexer, args)
    assert isinstance(result.exception, UserFacingError), result.exception
    assert str(result.exception).startswith(f"cannot serve the websocket feed on 127.0.0.1:{port}")
    assert "\n" not in str(result.exception)


def test_a_missing_postgres_database_is_a_one_line_error(postgres_url: str) -> None:
    url = postgres_url.rsplit("/", 1)[0] + "/no_such_database"
    result = CliRunner().invoke(indexer, ["migrate", "--db", url])
    assert isinstance(result.exception, UserFacingError), result.exception
    assert str(result.exception) == 'cannot open the database: database "no_such_database" does not exist'


def test_gaps_lists_recorded_gaps_and_backfill_gaps_fails_in_one_line_when_the_archive_is_down(
    tmp_path: Path,
) -> None:
    from pg_server import free_port
    from solgrid.indexer.db import create_engine as create_async_engine
    from solgrid.indexer.db import migrate, sessions
    from solgrid.indexer.decode import EventDecoder
    from solgrid.indexer.gaps import FoundGap, record_gap
    from solgrid.indexer.service import default_coders
    from solgrid.indexer.store import Store

    db_url = f"sqlite+aiosqlite:///{tmp_path / 'gaps.db'}"
    program = str(default_coders()[0].program_id)

    async def record() -> None:
        engine = create_async_engine(db_url)
        await migrate(engine)
        async with sessions(engine)() as session, session.begin():
            gap = FoundGap(program, 10, "CHECKPOINT", 500, None, "http://pruning.example")
            await record_gap(session, Store(EventDecoder(default_coders())), gap)
        await engine.dispose()

    asyncio.run(record())
    listed = CliRunner().invoke(indexer, ["gaps", "--db", db_url])
    assert listed.exit_code == 0, listed.output
    assert listed.output == (
        f"gap 1 of {program}: after slot 10, before slot 500; not served by http://pruning.example; open\n"
    )
    as_json = json.loads(CliRunner().invoke(indexer, ["gaps", "--db", db_url, "--json"]).output)
    assert [(g["after_slot"], g["before_slot"], g["resolved_at"]) for g in as_json] == [(10, 500, None)]

    down = f"http://127.0.0.1:{free_port()}"
    result = CliRunner().invoke(indexer, ["backfill-gaps", "--db", db_url, "--archive-url", down, "-q"])
    assert isinstance(result.exception, UserFacingError), result.output
    assert str(result.exception) == f"1 history gap(s) could not be backfilled from {down}"
    assert f"gap 1 of {program}: after slot 10, before slot 500: " in result.output
    assert CliRunner().invoke(indexer, ["gaps", "--db", db_url]).output.endswith("; open\n")

    bad = CliRunner().invoke(indexer, ["backfill-gaps", "--db", db_url, "--archive-url", "nowhere"])
    assert bad.exit_code == 2 and "Invalid value for --archive-url" in bad.output
