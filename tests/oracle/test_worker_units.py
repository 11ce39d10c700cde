"""Worker behaviour that needs no node: a status file that cannot be written is one warning, not a
crash, and is written again once it can be."""

from __future__ import annotations

import json
import logging
from pathlib import Path

import pytest
from solders.keypair import Keypair

from solgrid.oracle.config import load_config
from solgrid.oracle.worker import Worker


async def test_an_unwritable_status_file_is_one_warning(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    owner = Keypair().pubkey()
    (tmp_path / "o.toml").write_text(
        f'cluster = "http://127.0.0.1:1"\npayer = "p.json"\nstatus_file = "missing/status.json"\n'
        f'[[meters]]\nserial = "M"\nowner = "{owner}"\nzone = 1\ndevice_pubkey = "{owner}"\n'
    )
    worker = Worker(load_config(tmp_path / "o.toml"))
    with caplog.at_level(logging.WARNING, "solgrid.oracle"):
        await worker.report(None)
        await worker.report(None)
    status = tmp_path / "missing" / "status.json"
    assert [r.getMessage() for r in caplog.records] == [
        f"cannot write the status file {status}: No such file or directory"
    ]
    status.parent.mkdir()
    await worker.report(None)
    assert json.loads(status.read_text())["pending"] == 0
    worker.queue.close()
