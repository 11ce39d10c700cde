"""``solgrid oracle`` through click's runner: config errors surface as the typed one-line error the
``solgrid`` entry point prints, and ``status`` reports the queue."""

from __future__ import annotations

import json
import socket
import sqlite3
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from solders.keypair import Keypair

from solgrid.cli.main import cli
from solgrid.cli.oracle_cmd import oracle
from solgrid.oracle import queue as queue_module
from solgrid.oracle.config import OracleConfigError
from solgrid.oracle.queue import NewReading, ReadingQueue
from solgrid.sdk.keys import write_keypair
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


def queue_with_rejections(tmp_path: Path) -> Path:
    """A config and a queue with readings 1 and 3 rejected, 2 pending."""
    owner = Keypair().pubkey()
    config = tmp_path / "o.toml"
    config.write_text(
        f'cluster = "http://127.0.0.1:1"\npayer = "p.json"\nqueue = "q.sqlite"\n'
        f'[[meters]]\nserial = "M"\nowner = "{owner}"\nzone = 1\ndevice_pubkey = "{owner}"\n'
    )
    queue = ReadingQueue(tmp_path / "q.sqlite")
    queue.add(
        [NewReading("M", Reading(60 * i, 60 * (i + 1), 7, 1), bytes(32), bytes(64), "http") for i in range(3)]
    )
    first, _, third = queue.next_batch(["M"], 3)
    queue.reject(first.id, "registry: UserSuspended (6115): The user is suspended")
    queue.reject(third.id, "meter 'M' is not registered on chain")
    queue.close()
    return config


def test_rejected_lists_reasons_as_text_and_json(tmp_path: Path) -> None:
    config = queue_with_rejections(tmp_path)
    runner = CliRunner()
    listed = runner.invoke(cli, ["oracle", "rejected", "--config", str(config), "--json"])
    assert listed.exit_code == 0, listed.output
    rows = json.loads(listed.stdout)
    assert [{k: v for k, v in r.items() if k != "rejected_at"} for r in rows] == [
        {
            "id": 1,
            "meter": "M",
            "window_start": 0,
            "window_end": 60,
            "production_wh": 7,
            "consumption_wh": 1,
            "source": "http",
            "reason": "registry: UserSuspended (6115): The user is suspended",
        },
        {
            "id": 3,
            "meter": "M",
            "window_start": 120,
            "window_end": 180,
            "production_wh": 7,
            "consumption_wh": 1,
            "source": "http",
            "reason": "meter 'M' is not registered on chain",
        },
    ]
    text = runner.invoke(cli, ["oracle", "rejected", "--config", str(config)])
    first, second = text.stdout.splitlines()
    assert first.startswith("1\tM\t1970-01-01T00:00:00Z +60s\t7/1 Wh\thttp\t")
    assert first.endswith("\tregistry: UserSuspended (6115): The user is suspended")
    assert second.startswith("3\tM\t1970-01-01T00:02:00Z +60s\t")
    none = runner.invoke(cli, ["oracle", "rejected", "--config", str(config), "--meter", "OTHER"])
    assert none.exit_code == 0 and none.stdout == "no rejected readings\n"


def test_requeue_selection_errors_are_one_line(tmp_path: Path) -> None:
    config = str(queue_with_rejections(tmp_path))
    runner = CliRunner()
    for args in ([], ["1", "--all"], ["--meter", "M", "--all"], ["1", "--meter", "M"]):
        result = runner.invoke(cli, ["oracle", "requeue", "--config", config, *args])
        assert result.exit_code == 2
        assert result.stderr == (
            "error: select the readings with IDs, with --meter SERIAL or with --all (one of them)\n"
        )
    # Reading 2 is pending, 9 does not exist: nothing is touched and the chain is not asked.
    unknown = runner.invoke(cli, ["oracle", "requeue", "--config", config, "1", "2", "9"])
    assert unknown.exit_code == 1
    assert unknown.stderr == "error: no rejected reading with id 2, 9 (see `solgrid oracle rejected`)\n"
    # The cluster in the config does not answer: one line, nothing requeued.
    down = runner.invoke(cli, ["oracle", "requeue", "--config", config, "--all"])
    assert down.exit_code == 1
    assert down.stderr.startswith("error: cannot read the chain at http://127.0.0.1:1: ")
    assert len(down.stderr.splitlines()) == 1
    queue = ReadingQueue(tmp_path / "q.sqlite")
    assert queue.totals() == {"pending": 1, "rejected": 2}
    queue.close()
    nothing = runner.invoke(cli, ["oracle", "requeue", "--config", config, "--meter", "OTHER"])
    assert nothing.exit_code == 0 and nothing.stdout == "no rejected readings\n"


def test_rejected_without_a_queue(tmp_path: Path) -> None:
    owner = Keypair().pubkey()
    config = tmp_path / "o.toml"
    config.write_text(
        f'cluster = "http://x"\npayer = "p.json"\n'
        f'[[meters]]\nserial = "M"\nowner = "{owner}"\nzone = 1\ndevice_pubkey = "{owner}"\n'
    )
    result = CliRunner().invoke(cli, ["oracle", "rejected", "--config", str(config)])
    assert result.exit_code == 1
    assert result.stderr.startswith("error: no queue at ") and "the worker has not run" in result.stderr


def test_run_with_the_http_port_taken_is_a_one_line_error(tmp_path: Path) -> None:
    owner = Keypair().pubkey()
    write_keypair(tmp_path / "p.json", Keypair())
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        (tmp_path / "o.toml").write_text(
            f'cluster = "http://127.0.0.1:1"\npayer = "p.json"\n[http]\nlisten = "127.0.0.1:{port}"\n'
            f'[[meters]]\nserial = "M"\nowner = "{owner}"\nzone = 1\ndevice_pubkey = "{owner}"\n'
        )
        result = CliRunner().invoke(cli, ["oracle", "run", "--config", str(tmp_path / "o.toml")])
    assert result.exit_code == 1
    assert result.stderr.splitlines()[-1] == (
        f"error: http.listen: cannot listen on 127.0.0.1:{port}: Address already in use"
    )


def config_with_queue(tmp_path: Path, queue: str, extra: str = "") -> Path:
    """A config whose queue is ``queue`` (relative to ``tmp_path``) and whose payer exists."""
    owner = Keypair().pubkey()
    write_keypair(tmp_path / "p.json", Keypair())
    config = tmp_path / "o.toml"
    config.write_text(
        f'cluster = "http://127.0.0.1:1"\npayer = "p.json"\nqueue = "{queue}"\n{extra}'
        f'[[meters]]\nserial = "M"\nowner = "{owner}"\nzone = 1\ndevice_pubkey = "{owner}"\n'
    )
    return config


QUEUE_COMMANDS = (["run"], ["status"], ["rejected"], ["requeue", "--all"])


def error_line(result: Result) -> str:
    """The one ``error:`` line a failed command printed (exit code 1, no traceback)."""
    assert result.exit_code == 1, (result.exit_code, result.output)
    assert "Traceback" not in result.stderr
    (line,) = result.stderr.splitlines()
    assert line.startswith("error: "), line
    return line


def test_a_queue_that_cannot_be_created_is_one_line(tmp_path: Path) -> None:
    (tmp_path / "plain-file").write_text("not a directory")
    config = config_with_queue(tmp_path, "plain-file/q.sqlite")
    result = CliRunner().invoke(cli, ["oracle", "run", "--config", str(config)])
    queue = tmp_path / "plain-file" / "q.sqlite"
    assert error_line(result).startswith(
        f"error: cannot open the oracle queue {queue}: cannot create the directory {queue.parent}: "
    )


def test_a_queue_that_is_not_sqlite_is_one_line(tmp_path: Path) -> None:
    (tmp_path / "q.sqlite").write_bytes(b"this is not a SQLite database, just some bytes\n" * 100)
    config = config_with_queue(tmp_path, "q.sqlite")
    for command in QUEUE_COMMANDS:
        result = CliRunner().invoke(cli, ["oracle", *command, "--config", str(config)])
        line = error_line(result)
        assert line.startswith(f"error: cannot open the oracle queue {tmp_path / 'q.sqlite'}: "), line
        assert line.endswith("file is not a database"), line


def test_a_queue_that_is_a_directory_is_one_line(tmp_path: Path) -> None:
    (tmp_path / "q.sqlite").mkdir()
    config = config_with_queue(tmp_path, "q.sqlite")
    for command in QUEUE_COMMANDS:
        result = CliRunner().invoke(cli, ["oracle", *command, "--config", str(config)])
        assert error_line(result) == (
            f"error: cannot open the oracle queue {tmp_path / 'q.sqlite'}: it is a directory"
        )


def test_a_locked_queue_is_one_line(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(queue_module, "BUSY_TIMEOUT_SECS", 0.05)
    config = config_with_queue(tmp_path, "q.sqlite")
    ReadingQueue(tmp_path / "q.sqlite").close()
    holder = sqlite3.connect(tmp_path / "q.sqlite", isolation_level=None)
    try:
        holder.execute("PRAGMA locking_mode=EXCLUSIVE")
        holder.execute("INSERT INTO lookup_tables VALUES ('held', 'by another process')")
        for command in QUEUE_COMMANDS:
            result = CliRunner().invoke(cli, ["oracle", *command, "--config", str(config)])
            line = error_line(result)
            assert line.endswith(": database is locked") and str(tmp_path / "q.sqlite") in line, line
    finally:
        holder.close()


def test_status_opens_a_queue_whose_path_has_uri_characters(tmp_path: Path) -> None:
    odd = tmp_path / "queue #1 ?x=y"
    odd.mkdir()
    config = config_with_queue(tmp_path, "queue #1 ?x=y/q.sqlite")
    queue = ReadingQueue(odd / "q.sqlite")
    queue.add([NewReading("M", Reading(0, 60, 1, 1), bytes(32), bytes(64), "http")])
    queue.close()
    result = CliRunner().invoke(cli, ["oracle", "status", "--config", str(config)])
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout) == {"queue": {"pending": 1}}


def test_a_corrupt_status_file_is_one_line(tmp_path: Path) -> None:
    config = config_with_queue(tmp_path, "q.sqlite", 'status_file = "s.json"\n')
    ReadingQueue(tmp_path / "q.sqlite").close()
    (tmp_path / "s.json").write_text('{"readings_per_sec": 1')
    result = CliRunner().invoke(cli, ["oracle", "status", "--config", str(config)])
    assert error_line(result).startswith(f"error: the worker status file {tmp_path / 's.json'} is not JSON: ")
    (tmp_path / "s.json").unlink()
    (tmp_path / "s.json").mkdir()
    result = CliRunner().invoke(cli, ["oracle", "status", "--config", str(config)])
    assert error_line(result) == (
        f"error: cannot read the worker status file {tmp_path / 's.json'}: Is a directory"
    )
