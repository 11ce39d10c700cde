"""``solgrid api run`` as a process: it says where it listens, answers, and stops with status 0 on SIGTERM
and SIGINT; a database it cannot read is one line and status 1 before it listens."""

from __future__ import annotations

import asyncio
import signal
import subprocess
import sys
from pathlib import Path
from subprocess import PIPE

import pytest
from api_server import first_answer, migrated_sqlite

from solgrid.localnet.process import free_port_pair

SOLGRID = [sys.executable, "-c", "from solgrid.cli.main import main; main()"]


@pytest.mark.parametrize("stop", [signal.SIGTERM, signal.SIGINT])
async def test_it_serves_until_stopped_and_exits_cleanly(tmp_path: Path, stop: signal.Signals) -> None:
    url, port = await migrated_sqlite(tmp_path), free_port_pair()
    process = await asyncio.create_subprocess_exec(
        *SOLGRID, "api", "run", "--db", url, "--port", str(port), stdout=PIPE, stderr=PIPE
    )
    assert process.stdout is not None and process.stderr is not None
    line = (await asyncio.wait_for(process.stdout.readline(), 60)).decode()
    assert line.startswith(f"solgrid api: http://127.0.0.1:{port}/ ") and "feed none: no live updates" in line
    answer = await first_answer(port, "/api/v1/zones", 100)
    assert answer.status_code == 200 and answer.json() == []
    process.send_signal(stop)
    assert await asyncio.wait_for(process.wait(), 30) == 0
    assert b"Traceback" not in await process.stderr.read()


def test_a_database_it_cannot_read_is_one_line(tmp_path: Path) -> None:
    empty = f"sqlite+aiosqlite:///{tmp_path / 'empty.db'}"
    result = subprocess.run(
        [*SOLGRID, "api", "run", "--db", empty, "--port", "1"], capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 1 and result.stdout == ""
    assert result.stderr.strip().splitlines() == [
        "error: the database has no indexer schema: start `solgrid indexer run` "
        "(or `solgrid indexer migrate`) on it first"
    ]
    bad = subprocess.run(
        [*SOLGRID, "api", "run", "--feed-url", "http://x"], capture_output=True, text=True, timeout=60
    )
    assert bad.returncode == 2 and "'http://x' is not a ws:// or wss:// URL" in bad.stderr
