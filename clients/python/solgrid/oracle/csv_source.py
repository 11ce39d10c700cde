"""CSV files of meter intervals, signed by the worker with each meter's device key.

Columns (a header line with exactly these names is optional)::

    meter,window_start,window_end,production_wh,consumption_wh
    SOLAR-001,1767225600,1767226500,812,140

``meter`` is the serial, windows are Unix seconds, energies whole watt-hours. The file is followed like a
log: the byte offset of the last complete line is kept in the queue database, so appended lines are
picked up and a restart does not re-read the file. The file's identity (device and inode) is kept with
the offset: a file that is not the one read before (rotated by rename, replaced) or that shrank below the
kept offset (truncated, as copy-truncate rotation does) is read again from its start, with one log line;
rows already queued are recognised and not queued twice. A malformed row is rejected with one log line; a file
that cannot be read (permissions, a directory) is one warning, and is tried again at every poll.
"""

from __future__ import annotations

import logging
import os
from pathlib import Path

from solgrid.oracle.intake import Intake
from solgrid.oracle.queue import CsvPosition, NewReading
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

    def _read(self, stored: CsvPosition) -> tuple[bytes, CsvPosition] | None:
        """Up to ``chunk_bytes`` from where the last poll stopped, and the position they start at: the
        start of the file when it shrank below the stored offset or is another file than the one read
        before (one warning). None: no file, or it cannot be read."""
        try:
            with self.path.open("rb") as f:
                info = os.fstat(f.fileno())
                identity = (info.st_dev, info.st_ino)
                start = stored
                if stored.identity is not None and stored.identity != identity:
                    log.warning(
                        "%s is not the file read before (replaced or rotated by rename): reading it from "
                        "the start",
                        self.path.name,
                    )
                    start = CsvPosition(0, 0, identity)
                elif info.st_size < stored.offset:
                    log.warning(
                        "%s shrank below the %d bytes already read: reading it from the start",
                        self.path.name,
                        stored.offset,
                    )
                    start = CsvPosition(0, 0, identity)
                f.seek(start.offset)
                chunk = f.read(self.chunk_bytes)
        except FileNotFoundError:
            return None
        except OSError as e:
            if str(e) != self._error:  # once, not at every poll
                log.warning("cannot read %s: %s", self.path, e.strerror or e)
                self._error = str(e)
            return None
        self._error = None
        return chunk, CsvPosition(start.offset, start.line, identity)

    def poll(self) -> int:
        """Queue the complete lines appended since the last poll (at most ``chunk_bytes`` of them);
        returns how many readings were new."""
        key = str(self.path.resolve())
        read = self._read(self.intake.queue.csv_offset(key))
        self.behind = False
        if read is None:
            return 0
        chunk, start = read
        offset, line_no = start.offset, start.line
        self.behind = len(chunk) == self.chunk_bytes
        end = chunk.rfind(b"\n") + 1
        if end == 0:
            if not self.behind:
                return 0
            # A full chunk without a newline is no CSV row: skip it (its tail is the next chunk's first line).
            line_no += 1
            self.intake.reject(f"{self.path.name}:{line_no}", f"line longer than {self.chunk_bytes} bytes")
            skipped = CsvPosition(offset + len(chunk), line_no - 1, start.identity)
            return self.intake.queue.add_with_csv_offset([], key, skipped)
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
        read_to = CsvPosition(offset + end, line_no, start.identity)
        return self.intake.queue.add_with_csv_offset(readings, key, read_to)
