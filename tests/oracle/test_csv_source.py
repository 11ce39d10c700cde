"""CSV rows: parsed, signed with the device key, malformed ones rejected with one log line each, appended
lines picked up later, nothing re-read after a restart."""

from __future__ import annotations

import logging
import sqlite3
from pathlib import Path

import pytest
from solders.keypair import Keypair
from solders.pubkey import Pubkey

from solgrid.oracle.config import MeterConfig
from solgrid.oracle.csv_source import CsvSource, parse_row
from solgrid.oracle.intake import Intake
from solgrid.oracle.queue import ReadingQueue
from solgrid.sdk.readings import DeviceSigner, Reading, SignedReading, reading_message, verify
from solgrid.sdk.registry import RegistryClient

REGISTRY = RegistryClient()


def intake(tmp_path: Path) -> tuple[Intake, DeviceSigner]:
    device = DeviceSigner.generate()
    meters = {"M-1": MeterConfig("M-1", Keypair().pubkey(), 1, device, device.public_key)}
    return Intake(REGISTRY.program_id, meters, ReadingQueue(tmp_path / "q.sqlite")), device


def test_parse_row() -> None:
    assert parse_row("M-1, 100, 160, 5, 7") == ("M-1", Reading(100, 160, 5, 7))
    assert "expected 5 columns" in str(parse_row("M-1,100,160,5"))
    assert "production_wh is not a non-negative integer: '-5'" in str(parse_row("M-1,100,160,-5,7"))
    assert "window_end is not a non-negative integer: 'x'" in str(parse_row("M-1,100,x,5,7"))
    assert parse_row(",100,160,5,7") == "empty meter serial"


def test_rows_are_signed_and_bad_rows_rejected_one_line_each(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    source_intake, device = intake(tmp_path)
    csv = tmp_path / "readings.csv"
    csv.write_text(
        "meter,window_start,window_end,production_wh,consumption_wh\n"
        "M-1,1000,1900,500,100\n"
        "M-1,1900,2800,oops,100\n"  # malformed
        "NOPE,1900,2800,1,1\n"  # unknown meter
        "M-1,2800,2800,1,1\n"  # empty window
        "M-1,2800,3700,600,90\n"
        "M-1,3700,4600,7"  # incomplete last line: waits for its newline
    )
    source = CsvSource(csv, source_intake)
    with caplog.at_level(logging.WARNING, "solgrid.oracle"):
        assert source.poll() == 2
    lines = [r.getMessage() for r in caplog.records]
    assert lines == [
        "rejected readings.csv:3: malformed row: production_wh is not a non-negative integer: 'oops'",
        "rejected readings.csv:4: unknown meter 'NOPE'",
        "rejected readings.csv:5: window end 2800 is not after start 2800",
    ]
    rows = source_intake.queue.next_batch(["M-1"], 10)
    assert [r.reading for r in rows] == [Reading(1000, 1900, 500, 100), Reading(2800, 3700, 600, 90)]
    meter = REGISTRY.meter_pda("M-1").address
    for row in rows:
        message = reading_message(REGISTRY.program_id, meter, row.reading)
        assert row.public_key == device.public_key
        assert verify(SignedReading(meter, row.reading, row.public_key, row.signature, message))

    # The rest of the last line arrives; only it is read.
    with csv.open("a") as f:
        f.write("0,80\n")
    assert source.poll() == 1
    assert source.poll() == 0
    # A restarted worker (new source, same queue) does not read the file again.
    caplog.clear()
    assert CsvSource(csv, source_intake).poll() == 0
    assert caplog.records == []
    assert source_intake.queue.next_batch(["M-1"], 10)[-1].reading == Reading(3700, 4600, 70, 80)


def test_push_only_meter_cannot_take_csv_rows(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    meters = {"P": MeterConfig("P", Pubkey.default(), 1, None, bytes(range(32)))}
    source_intake = Intake(REGISTRY.program_id, meters, ReadingQueue(tmp_path / "q.sqlite"))
    csv = tmp_path / "p.csv"
    csv.write_text("P,0,60,1,1\n")
    with caplog.at_level(logging.WARNING, "solgrid.oracle"):
        assert CsvSource(csv, source_intake).poll() == 0
    assert [r.getMessage() for r in caplog.records] == [
        "rejected p.csv:1: meter 'P' has no device_key in the config, only pushed readings"
    ]


def test_a_truncated_file_is_read_again_from_the_start(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    source_intake, _ = intake(tmp_path)
    csv = tmp_path / "rotated.csv"
    csv.write_text("M-1,100,1000,5,1\nM-1,1000,1900,500,100\nM-1,1900,2800,400,100\n")
    source = CsvSource(csv, source_intake)
    assert source.poll() == 3
    # Rotated (copy-truncate): the file starts over, shorter, with a row already queued and a new one.
    csv.write_text("M-1,1900,2800,400,100\nM-1,2800,3700,300,100\n")
    with caplog.at_level(logging.WARNING, "solgrid.oracle"):
        assert source.poll() == 1
    assert [r.getMessage() for r in caplog.records] == [
        "rotated.csv shrank below the 61 bytes already read: reading it from the start"
    ]
    readings = [r.reading.window_start for r in source_intake.queue.next_batch(["M-1"], 10)]
    assert readings == [100, 1000, 1900, 2800]


def test_a_file_replaced_by_rename_is_read_from_the_start(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    source_intake, _ = intake(tmp_path)
    csv = tmp_path / "meter.csv"
    csv.write_text("M-1,100,1000,5,1\nM-1,1000,1900,500,100\n")
    assert CsvSource(csv, source_intake).poll() == 2
    # Rotated by rename (logrotate's `create`) while the worker was down: the old file moved away and
    # the new one under the name has already grown past the offset read in the old one.
    csv.rename(tmp_path / "meter.csv.1")
    csv.write_text("M-1,1900,2800,400,100\nM-1,2800,3700,300,100\nM-1,3700,4600,200,100\n")
    restarted = CsvSource(csv, source_intake)
    with caplog.at_level(logging.WARNING, "solgrid.oracle"):
        assert restarted.poll() == 3
    assert [r.getMessage() for r in caplog.records] == [
        "meter.csv is not the file read before (replaced or rotated by rename): reading it from the start"
    ]
    readings = [r.reading.window_start for r in source_intake.queue.next_batch(["M-1"], 10)]
    assert readings == [100, 1000, 1900, 2800, 3700]
    # From then on the new file is followed like any other.
    with csv.open("a") as f:
        f.write("M-1,4600,5500,100,100\n")
    caplog.clear()
    assert restarted.poll() == 1
    assert CsvSource(csv, source_intake).poll() == 0
    assert caplog.records == []


def test_an_offset_kept_before_file_identities_were_is_followed_on(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """A queue file from before identities were kept: its csv_offsets table gains the columns, and the
    offset it holds is taken as the current file's."""
    csv = tmp_path / "old.csv"
    csv.write_text("M-1,100,1000,5,1\nM-1,1000,1900,500,100\n")
    with sqlite3.connect(tmp_path / "q.sqlite") as db:
        db.execute(
            "CREATE TABLE csv_offsets (path TEXT PRIMARY KEY, offset INTEGER NOT NULL, line INTEGER NOT NULL)"
        )
        db.execute("INSERT INTO csv_offsets VALUES (?, 17, 1)", (str(csv.resolve()),))
    source_intake, _ = intake(tmp_path)
    with caplog.at_level(logging.WARNING, "solgrid.oracle"):
        assert CsvSource(csv, source_intake).poll() == 1
    assert caplog.records == []
    assert [r.reading.window_start for r in source_intake.queue.next_batch(["M-1"], 10)] == [1000]
    info = csv.stat()
    kept = source_intake.queue.csv_offset(str(csv.resolve()))
    assert (kept.offset, kept.line, kept.identity) == (39, 2, (info.st_dev, info.st_ino))


def test_a_large_file_is_read_in_chunks_and_an_overlong_line_is_skipped(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    source_intake, _ = intake(tmp_path)
    csv = tmp_path / "big.csv"
    rows = [f"M-1,{1000 + 900 * i},{1900 + 900 * i},{i},1\n" for i in range(20)]
    csv.write_text("".join(rows[:10]) + "M-1," + "9" * 100 + "\n" + "".join(rows[10:]))
    source = CsvSource(csv, source_intake, chunk_bytes=64)
    polls, new = 0, 0
    with caplog.at_level(logging.WARNING, "solgrid.oracle"):
        while True:
            new += source.poll()
            polls += 1
            if not source.behind:
                break
    assert new == 20 and polls >= 8  # about 565 bytes, 64 at a time
    assert [r.getMessage() for r in caplog.records] == [
        "rejected big.csv:11: line longer than 64 bytes",
        "rejected big.csv:11: malformed row: expected 5 columns"
        " (meter,window_start,window_end,production_wh,consumption_wh), got 1",
    ]
    assert [r.reading.production_wh for r in source_intake.queue.next_batch(["M-1"], 30)] == list(range(20))


def test_an_unreadable_path_is_one_warning_and_no_crash(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    source_intake, _ = intake(tmp_path)
    directory = tmp_path / "not-a-file.csv"
    directory.mkdir()
    source = CsvSource(directory, source_intake)
    with caplog.at_level(logging.WARNING, "solgrid.oracle"):
        assert source.poll() == 0 and source.poll() == 0
    assert [r.getMessage() for r in caplog.records] == [f"cannot read {directory}: Is a directory"]
    directory.rmdir()
    directory.write_text("M-1,1000,1900,5,1\n")
    assert source.poll() == 1
