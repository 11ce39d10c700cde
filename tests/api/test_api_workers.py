"""``solgrid api run --workers N``: each worker process builds its app from the settings the supervisor
passes in ``SOLGRID_API_SETTINGS``; the workers answer on the one port and stop with the supervisor."""

from __future__ import annotations

import asyncio
import signal
import sys
from asyncio.subprocess import PIPE
from pathlib import Path

import pytest
from api_server import first_answer, migrated_sqlite

from solgrid.api import server
from solgrid.api.settings import ApiSettings
from solgrid.localnet.process import free_port_pair

SOLGRID = [sys.executable, "-c", "from solgrid.cli.main import main; main()"]


@pytest.mark.parametrize("static_dir", [None, Path("/srv/dashboard")])
def test_a_worker_gets_the_settings_of_the_command(
    static_dir: Path | None, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings = ApiSettings(
        db_url="sqlite+aiosqlite:////tmp/indexer.db",
        feed_url="ws://127.0.0.1:8910",
        rpc_url=None,
        static_dir=static_dir,
    )
    assert server.settings_from_json(server.settings_json(settings)) == settings
    monkeypatch.setenv(server.SETTINGS_ENV, server.settings_json(settings))
    assert server.app_from_env().state.settings == settings


def test_a_worker_without_settings_is_refused_in_one_line(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(server.SETTINGS_ENV, raising=False)
    with pytest.raises(RuntimeError, match="SOLGRID_API_SETTINGS is not set"):
        server.app_from_env()


@pytest.mark.parametrize("stop", [signal.SIGTERM, signal.SIGINT])
async def test_two_workers_serve_until_stopped(tmp_path: Path, stop: signal.Signals) -> None:
    url, port = await migrated_sqlite(tmp_path), free_port_pair()
    process = await asyncio.create_subprocess_exec(
        *SOLGRID, "api", "run", "--db", url, "--port", str(port), "--workers", "2", stdout=PIPE, stderr=PIPE
    )
    assert process.stdout is not None and process.stderr is not None
    line = (await asyncio.wait_for(process.stdout.readline(), 60)).decode()
    assert line.startswith(f"solgrid api: http://127.0.0.1:{port}/ ") and "2 worker processes" in line
    answer = await first_answer(port, "/api/v1/zones", 300)
    assert answer.status_code == 200 and answer.json() == []
    process.send_signal(stop)
    assert await asyncio.wait_for(process.wait(), 30) == 0
    assert b"Traceback" not in await process.stderr.read()
