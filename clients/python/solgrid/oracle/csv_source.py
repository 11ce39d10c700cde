"""CSV files of meter intervals, signed by the worker with each meter's device key.

Columns (a header line with exactly these names is optional)::

    meter,window_start,window_end,production_wh,consumption_wh
    SOLAR-001,1767225600,1767226500,812,140

``meter`` is the serial, windows are Unix seconds, energies whole watt-hours. The file is followed like a
log: the byte offset of the last complete line is kept in the queue database, so appended lines are
picked up and a restart does not re-read the file. A malformed row is rejected with one log line.
"""

from __future__ import annotations

from pathlib import Path

from solgrid.oracle.intake import Intake
from solgrid.oracle.queue import NewReading
from solgrid.sdk.readings import Reading

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
    def __init__(self, path: Path, intake: Intake) -> None:
        self.path = path
        self.intake = intake

    def poll(self) -> int:
        """Queue the complete lines appended since the last poll; returns how many readings were new."""
        key = str(self.path.resolve())
        offset, line_no = self.intake.queue.csv_offset(key)
        try:
            with self.path.open("rb") as f:
                f.seek(offset)
                chunk = f.read()
        except FileNotFoundError:
            return 0
        end = chunk.rfind(b"\n") + 1
        if end == 0:
            return 0
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
