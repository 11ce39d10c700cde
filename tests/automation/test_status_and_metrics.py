"""The status file (atomic JSON, one warning while it cannot be written, read back with one-line errors)
and the rate figures, on a clock the test moves."""

from __future__ import annotations

import json
import logging
from pathlib import Path

import pytest

from solgrid.automation import metrics as metrics_module
from solgrid.automation.metrics import Rate, run_figures
from solgrid.automation.status import StatusFileError, StatusWriter, read_status, write_status

LOG = logging.getLogger("test.service")


def test_the_status_file_is_replaced_whole(tmp_path: Path) -> None:
    path = tmp_path / "status.json"
    write_status(path, {"b": 1, "a": [1, 2]})
    write_status(path, {"b": 2})
    assert json.loads(path.read_text()) == {"b": 2}
    assert sorted(p.name for p in tmp_path.iterdir()) == ["status.json"]  # no temporary file left
    assert read_status(path, "keeper") == {"b": 2}


def test_a_bad_status_file_is_one_line(tmp_path: Path) -> None:
    path = tmp_path / "status.json"
    with pytest.raises(StatusFileError) as missing:
        read_status(path, "keeper")
    assert str(missing.value) == f"cannot read the keeper status file {path}: No such file or directory"
    path.write_text('{"a": ')
    with pytest.raises(StatusFileError) as broken:
        read_status(path, "keeper")
    assert str(broken.value).startswith(f"the keeper status file {path} is not JSON: ")


def test_an_unwritable_status_file_warns_once_until_it_works(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    path = tmp_path / "missing" / "status.json"
    writer = StatusWriter(path, LOG)
    with caplog.at_level(logging.WARNING, "test.service"):
        writer.write({"a": 1})
        writer.write({"a": 2})
        path.parent.mkdir()
        writer.write({"a": 3})
        path.parent.joinpath("status.json").unlink()
        path.parent.rmdir()
        writer.write({"a": 4})
    message = f"cannot write the status file {path}: No such file or directory"
    assert [r.getMessage() for r in caplog.records] == [message, message]
    StatusWriter(None, LOG).write({"a": 5})  # no status file configured: nothing to do


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def monotonic(self) -> float:
        return self.now


def test_rates_per_interval_and_over_the_run(monkeypatch: pytest.MonkeyPatch) -> None:
    clock = Clock()
    monkeypatch.setattr(metrics_module, "time", clock)
    rate = Rate()
    rate.add(10)
    clock.now += 5
    rate.tick()
    assert rate.per_sec == 2.0
    rate.add(3)
    clock.now += 1.5
    rate.tick()
    assert rate.per_sec == 2.0 and rate.count == 13
    assert rate.overall() == 13 / 6.5
    assert run_figures(rate, retries=4) == {"retries": 4, "uptime_secs": 6.5}
