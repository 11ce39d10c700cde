"""``solgrid oracle`` through click's runner: config errors surface as the typed one-line error the
``solgrid`` entry point prints, and ``status`` reports the queue."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner
from solders.keypair import Keypair

from solgrid.cli.oracle_cmd import oracle
from solgrid.oracle.config import OracleConfigError
from solgrid.oracle.queue import NewReading, ReadingQueue
from solgrid.sdk.readings import Reading


def test_run_with_a_broken_config_raises_the_user_error(tmp_path: Path) -> None:
    (tmp_path / "o.toml").write_text('cluster = "http://127.0.0.1:1"\n')
    result = CliRunner().invoke(oracle, ["run", "--config", str(tmp_path / "o.toml")])
    assert isinstance(result.exception, OracleConfigError)
    assert str(result.exception) == "config lists no [[meters]]"


def test_status_counts_the_queue(tmp_path: Path) -> None:
    owner = Keypair().pubkey()
    config = tmp_path / "o.toml"
    config.write_text(
        f'cluster = "http://127.0.0.1:1"\npayer = "p.json"\nqueue = "q.sqlite"\nstatus_file = "s.json"\n'
        f'[[meters]]\nserial = "M"\nowner = "{owner}"\nzone = 1\ndevice_pubkey = "{owner}"\n'
    )
    runner = CliRunner()
    missing = runner.invoke(oracle, ["status", "--config", str(config)])
    assert isinstance(missing.exception, OracleConfigError)
    queue = ReadingQueue(tmp_path / "q.sqlite")
    queue.add(
        [NewReading("M", Reading(60 * i, 60 * (i + 1), 1, 1), bytes(32), bytes(64), "http") for i in range(3)]
    )
    first = queue.next_batch(["M"], 1)[0]
    queue.mark_applied([first.id], "sig")
    queue.close()
    (tmp_path / "s.json").write_text(json.dumps({"readings_per_sec": 12.5}))
    result = runner.invoke(oracle, ["status", "--config", str(config)])
    assert result.exit_code == 0, result.output
    assert json.loads(result.output) == {
        "queue": {"applied": 1, "pending": 2},
        "worker": {"readings_per_sec": 12.5},
    }
