"""CSV files of meter intervals, signed by the worker with each meter's device key.

Columns (a header line with exactly these names is optional)::

    meter,window_start,window_end,production_wh,consumption_wh
    SOLAR-001,1767225600,1767226500,812,140

``meter`` is the serial, windows are Unix seconds, energies whole watt-hours. The file is followed like a
log: the byte offset of the last complete line is kept in the queue database, so appended lines are
picked up and a restart does not re-read the file. A file that shrinks below the kept offset (truncated or
replaced by a shorter one, as log rotation does) is read again from its start, with one log line; rows
already queued are recognised and not queued twice. A malformed row is rejected with one log line; a file
that cannot be read (permissions, a directory) is one warning, and is tried again at every poll.
"""

from __future__ import annotations

import logging
import os
from pathlib import Path

from solgrid.oracle.intake import Intake
from solgrid.oracle.queue import NewReading
from solgrid.sdk.readings import Reading

log = logging.getLogger("solgrid.oracle")
CHUNK_BYTES = 256 * 1024
"""Read per file and poll: signing a chunk's rows must not stall the worker's other tasks for long."""
COLUMNS = ("meter", "window_start", "window_end", "production_wh", "consumption_wh")


def parse_row(line: str) -> tuple[str, Reading] | str:
    """``(serial, reading)`` for a data row, or the reason it is malformed."""
    fields = [f.strip() for f in line.split(",")]
    if len(fields) != len(COLUMNS):
        return f"expected {len(COLUMNS)} columns ({','.join(COLUMNS)}), got {len(fields)}"
    serial, *numbers = fields
    if not serial:
        return "empty meter serial"
    values: list[int] = []
    for name, text in zip(COLUMNS[1:], numbers, strict=True):
        if not text.isdigit():
            return f"{name} is not a non-negative integer: {text!r}"
        values.append(int(text))
    return serial, Reading(*values)


class CsvSource:
    def __init__(self, path: Path, intake: Intake, chunk_bytes: int = CHUNK_BYTES) -> None:
        self.path = path
        self.intake = intake
        self.chunk_bytes = chunk_bytes
        self.behind = False
        """The last poll stopped at ``chunk_bytes``: more complete lines may be waiting."""
        self._error: str | None = None

    def _read(self, offset: int) -> tuple[bytes, bool] | None:
        """Up to ``chunk_bytes`` from ``offset`` and whether the file shrank below it (None: no file)."""
        try:
            with self.path.open("rb") as f:
                shrank = f.seek(0, os.SEEK_END) < offset
                f.seek(0 if shrank else offset)
                chunk = f.read(self.chunk_bytes)
        except FileNotFoundError:
            return None
        except OSError as e:
            if str(e) != self._error:  # once, not at every poll
                log.warning("cannot read %s: %s", self.path, e.strerror or e)
                self._error = str(e)
            return None
        self._error = None
        return chunk, shrank

    def poll(self) -> int:
        """Queue the complete lines appended since the last poll (at most ``chunk_bytes`` of them);
        returns how many readings were new."""
        key = str(self.path.resolve())
        offset, line_no = self.intake.queue.csv_offset(key)
        read = self._read(offset)
        self.behind = False
        if read is None:
            return 0
        chunk, shrank = read
        if shrank:
            log.warning(
                "%s shrank below the %d bytes already read: reading it from the start", self.path.name, offset
            )
            offset, line_no = 0, 0
        self.behind = len(chunk) == self.chunk_bytes
        end = chunk.rfind(b"\n") + 1
        if end == 0:
            if not self.behind:
                return 0
            # A full chunk without a newline is no CSV row: skip it (its tail is the next chunk's first line).
            line_no += 1
            self.intake.reject(f"{self.path.name}:{line_no}", f"line longer than {self.chunk_bytes} bytes")
            return self.intake.queue.add_with_csv_offset([], key, offset + len(chunk), line_no - 1)
        readings: list[NewReading] = []
        for raw in chunk[:end].split(b"\n")[:-1]:
            line_no += 1
            origin = f"{self.path.name}:{line_no}"
            try:
                line = raw.decode().strip()
            except UnicodeDecodeError:
                self.intake.reject(origin, "row is not UTF-8")
                continue
            if not line or line.startswith("#") or tuple(f.strip() for f in line.split(",")) == COLUMNS:
                continue
            parsed = parse_row(line)
            if isinstance(parsed, str):
                self.intake.reject(origin, f"malformed row: {parsed}")
                continue
            new = self.intake.sign(origin, parsed[0], parsed[1], "csv")
            if new is not None:
                readings.append(new)
        return self.intake.queue.add_with_csv_offset(readings, key, offset + end, line_no)
