"""The durable reading queue (SQLite, WAL, synchronous=FULL): every accepted reading is committed before
anything is sent, and the worker only moves its status forward (pending -> applied | rejected). Only the
operator moves a reading back: ``solgrid oracle requeue`` turns a rejected reading pending again.

A reading is identified by ``(serial, window_start)``: a source delivering it again (a restarted
simulator, a re-read CSV file, a meter retrying its push) is ignored.

Every transaction the worker sends is recorded first (:meth:`ReadingQueue.record_attempt`: its signature
on each of its readings, committed before it goes out). The chain is the authority on what was applied:
a pending reading whose window ended at or before the meter's on-chain ``last_window_end`` can no longer
be sent (:meth:`ReadingQueue.covered`); it was applied if one of its recorded transactions landed (a
transaction that landed just before a crash, or whose answer was lost), and it never will be otherwise
(the meter was activated again after its window, or a later window landed first), so it is rejected
(:meth:`ReadingQueue.resolve_covered`).
"""

from __future__ import annotations

import functools
import sqlite3
import threading
import time
from collections.abc import Callable, Collection, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Concatenate, ParamSpec, TypeVar

from solgrid.errors import UserFacingError
from solgrid.sdk.readings import Reading

P = ParamSpec("P")
T = TypeVar("T")
BUSY_TIMEOUT_SECS = 5.0
"""How long an operation waits for another connection's lock before failing with "database is locked"."""

SCHEMA = """
CREATE TABLE IF NOT EXISTS readings (
    id INTEGER PRIMARY KEY,
    serial TEXT NOT NULL,
    window_start INTEGER NOT NULL,
    window_end INTEGER NOT NULL,
    production_wh INTEGER NOT NULL,
    consumption_wh INTEGER NOT NULL,
    public_key BLOB NOT NULL,
    signature BLOB NOT NULL,
    source TEXT NOT NULL,
    status TEXT NOT NULL DEFAULT 'pending',
    enqueued_at REAL NOT NULL,
    done_at REAL,
    tx TEXT,
    note TEXT,
    UNIQUE (serial, window_start)
);
CREATE INDEX IF NOT EXISTS readings_pending ON readings (status, window_start);
CREATE TABLE IF NOT EXISTS attempts (
    reading_id INTEGER NOT NULL REFERENCES readings (id),
    tx TEXT NOT NULL,
    PRIMARY KEY (reading_id, tx)
);
CREATE TABLE IF NOT EXISTS lookup_tables (digest TEXT PRIMARY KEY, address TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS csv_offsets (
    path TEXT PRIMARY KEY, offset INTEGER NOT NULL, line INTEGER NOT NULL, dev INTEGER, ino INTEGER
);
"""
ADDED_COLUMNS = {"csv_offsets": ("dev INTEGER", "ino INTEGER")}
"""Columns added after the first release: a queue file from before gets them when it is opened."""


@dataclass(frozen=True)
class QueuedReading:
    id: int
    serial: str
    reading: Reading
    public_key: bytes
    signature: bytes


@dataclass(frozen=True)
class RejectedReading:
    id: int
    serial: str
    reading: Reading
    public_key: bytes
    signature: bytes
    source: str
    rejected_at: float
    reason: str


@dataclass(frozen=True)
class Waiting:
    pending: int
    due: int
    """Pending readings that could be sent now."""
    due_since: float | None
    """Wall time since which the longest-waiting due reading has been due (None: none is)."""


@dataclass(frozen=True)
class CsvPosition:
    """How far a CSV file has been read: the byte offset and line number after the last complete line,
    and which file that was (``(st_dev, st_ino)``; None before it was recorded)."""

    offset: int
    line: int
    identity: tuple[int, int] | None


@dataclass(frozen=True)
class NewReading:
    serial: str
    reading: Reading
    public_key: bytes
    signature: bytes
    source: str


class QueueError(UserFacingError):
    """The queue file cannot be opened or used (a directory, not SQLite, locked, no permission)."""


@contextmanager
def queue_errors(path: Path, doing: str = "use") -> Iterator[None]:
    """SQLite and file-system errors inside the block become one :class:`QueueError` line."""
    try:
        yield
    except sqlite3.Error as e:
        raise QueueError(f"cannot {doing} the oracle queue {path}: {e}") from None
    except OSError as e:
        raise QueueError(f"cannot {doing} the oracle queue {path}: {e.strerror or e}") from None


def _not_a_directory(path: Path) -> None:
    if path.is_dir():
        raise QueueError(f"cannot open the oracle queue {path}: it is a directory")


def queue_counts(path: Path) -> dict[str, int]:
    """Readings per status in the queue at ``path``, opened read-only (a running worker may hold it)."""
    _not_a_directory(path)
    with queue_errors(path, "open"):
        db = sqlite3.connect(path.resolve().as_uri() + "?mode=ro", uri=True, timeout=BUSY_TIMEOUT_SECS)
        try:
            rows = db.execute("SELECT status, COUNT(*) FROM readings GROUP BY status").fetchall()
        finally:
            db.close()
    return {str(status): int(n) for status, n in rows}


def _locked(method: Callable[Concatenate[ReadingQueue, P], T]) -> Callable[Concatenate[ReadingQueue, P], T]:
    """``method`` holding the queue's lock."""

    def locked(queue: ReadingQueue, /, *args: P.args, **kwargs: P.kwargs) -> T:
        with queue.lock:
            return method(queue, *args, **kwargs)

    return functools.update_wrapper(locked, method)


class ReadingQueue:
    """The queue; its methods may be called from any thread (one at a time: each holds :attr:`lock`, so
    a commit running in a worker thread is never interleaved with another method's statements)."""

    def __init__(self, path: Path) -> None:
        """Open (creating if need be) the queue at ``path``; :class:`QueueError` if it cannot be."""
        self.lock = threading.RLock()
        _not_a_directory(path)
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as e:
            reason = e.strerror or e
            raise QueueError(
                f"cannot open the oracle queue {path}: cannot create the directory {path.parent}: {reason}"
            ) from None
        with queue_errors(path, "open"):
            self.db = sqlite3.connect(
                path, isolation_level=None, timeout=BUSY_TIMEOUT_SECS, check_same_thread=False
            )
            try:
                self.db.execute("PRAGMA journal_mode=WAL")
                self.db.execute("PRAGMA synchronous=FULL")
                self.db.executescript(SCHEMA)
                self._add_columns()
            except sqlite3.Error:
                self.db.close()
                raise

    def _add_columns(self) -> None:
        for table, columns in ADDED_COLUMNS.items():
            have = {row[1] for row in self.db.execute(f"PRAGMA table_info({table})")}
            for column in columns:
                if column.split()[0] not in have:
                    self.db.execute(f"ALTER TABLE {table} ADD COLUMN {column}")

    @_locked
    def close(self) -> None:
        self.db.close()

    @_locked
    def add(self, readings: Iterable[NewReading]) -> int:
        """Commit ``readings`` (one transaction); returns how many were new."""
        now = time.time()
        rows = [
            (
                r.serial,
                r.reading.window_start,
                r.reading.window_end,
                r.reading.production_wh,
                r.reading.consumption_wh,
                r.public_key,
                r.signature,
                r.source,
                now,
            )
            for r in readings
        ]
        before = self.db.total_changes
        with self.db:
            self.db.execute("BEGIN IMMEDIATE")
            self.db.executemany(
                "INSERT OR IGNORE INTO readings (serial, window_start, window_end, production_wh,"
                " consumption_wh, public_key, signature, source, enqueued_at) VALUES (?,?,?,?,?,?,?,?,?)",
                rows,
            )
        return self.db.total_changes - before

    @_locked
    def next_batch(
        self, serials: Sequence[str], limit: int, due_by: int | None = None
    ) -> list[QueuedReading]:
        """The oldest pending readings of ``serials``, in window order (so each meter's stay in order);
        with ``due_by``, only windows ending by then (a later window of a meter ends later still)."""
        marks = ",".join("?" * len(serials))
        rows = self.db.execute(
            "SELECT id, serial, window_start, window_end, production_wh, consumption_wh, public_key,"
            f" signature FROM readings WHERE status = 'pending' AND serial IN ({marks})"
            " AND window_end <= ? ORDER BY window_start, id LIMIT ?",
            (*serials, 2**63 - 1 if due_by is None else due_by, limit),
        ).fetchall()
        return [QueuedReading(r[0], r[1], Reading(r[2], r[3], r[4], r[5]), r[6], r[7]) for r in rows]

    @_locked
    def mark_applied(self, ids: Sequence[int], tx: str) -> None:
        with self.db:
            self.db.execute("BEGIN IMMEDIATE")
            self.db.executemany(
                "UPDATE readings SET status = 'applied', done_at = ?, tx = ?"
                " WHERE id = ? AND status = 'pending'",
                [(time.time(), tx, i) for i in ids],
            )

    @_locked
    def reject(self, reading_id: int, reason: str) -> None:
        with self.db:
            self.db.execute(
                "UPDATE readings SET status = 'rejected', done_at = ?, note = ?"
                " WHERE id = ? AND status = 'pending'",
                (time.time(), reason, reading_id),
            )

    @_locked
    def rejected(self, ids: Sequence[int] = (), serials: Sequence[str] = ()) -> list[RejectedReading]:
        """The rejected readings (only ``ids`` / of ``serials`` when given), oldest window first."""
        query = (
            "SELECT id, serial, window_start, window_end, production_wh, consumption_wh, public_key,"
            " signature, source, done_at, note FROM readings WHERE status = 'rejected'"
        )
        args: list[object] = []
        for column, values in (("id", ids), ("serial", serials)):
            if values:
                query += f" AND {column} IN ({','.join('?' * len(values))})"
                args += values
        rows = self.db.execute(query + " ORDER BY window_start, id", args).fetchall()
        return [
            RejectedReading(
                r[0], r[1], Reading(r[2], r[3], r[4], r[5]), r[6], r[7], r[8], float(r[9] or 0), r[10] or ""
            )
            for r in rows
        ]

    @_locked
    def requeue(self, ids: Sequence[int]) -> int:
        """Rejected readings ``ids`` back to pending (their wait, for the lag, starts now); the old reason
        is kept in the note. Returns how many changed."""
        with self.db:
            self.db.execute("BEGIN IMMEDIATE")
            cursor = self.db.executemany(
                "UPDATE readings SET status = 'pending', enqueued_at = ?, done_at = NULL, tx = NULL,"
                " note = 'requeued; was rejected: ' || COALESCE(note, '')"
                " WHERE id = ? AND status = 'rejected'",
                [(time.time(), i) for i in ids],
            )
        return cursor.rowcount

    @_locked
    def is_pending(self, reading_id: int) -> bool:
        row = self.db.execute("SELECT status FROM readings WHERE id = ?", (reading_id,)).fetchone()
        return row is not None and row[0] == "pending"

    @_locked
    def record_attempt(self, ids: Sequence[int], tx: str) -> None:
        """Record that transaction ``tx`` carries readings ``ids`` (committed before it is sent)."""
        with self.db:
            self.db.execute("BEGIN IMMEDIATE")
            self.db.executemany(
                "INSERT OR IGNORE INTO attempts (reading_id, tx) VALUES (?, ?)", [(i, tx) for i in ids]
            )

    @_locked
    def covered(self, serial: str, last_window_end: int) -> dict[int, list[str]]:
        """``serial``'s pending readings whose window ends by ``last_window_end`` (the chain's record
        of the meter is past them), each with the transactions it was sent in (oldest first)."""
        rows = self.db.execute(
            "SELECT r.id, a.tx FROM readings r LEFT JOIN attempts a ON a.reading_id = r.id"
            " WHERE r.serial = ? AND r.status = 'pending' AND r.window_end <= ? ORDER BY r.id, a.rowid",
            (serial, last_window_end),
        ).fetchall()
        found: dict[int, list[str]] = {}
        for reading_id, tx in rows:
            found.setdefault(reading_id, [])
            if tx is not None:
                found[reading_id].append(tx)
        return found

    @_locked
    def resolve_covered(self, landed: Mapping[int, str | None], reason: str) -> tuple[int, int]:
        """Settle covered readings (from :meth:`covered`): applied by the transaction given for them,
        rejected with ``reason`` where it is None. Returns how many were applied and rejected."""
        now = time.time()
        applied = [(now, tx, i) for i, tx in landed.items() if tx is not None]
        rejected = [(now, reason, i) for i, tx in landed.items() if tx is None]
        with self.db:
            self.db.execute("BEGIN IMMEDIATE")
            done = self.db.executemany(
                "UPDATE readings SET status = 'applied', done_at = ?, tx = ?, note = 'found on chain'"
                " WHERE id = ? AND status = 'pending'",
                applied,
            ).rowcount
            refused = self.db.executemany(
                "UPDATE readings SET status = 'rejected', done_at = ?, note = ?"
                " WHERE id = ? AND status = 'pending'",
                rejected,
            ).rowcount
        return done, refused

    @_locked
    def last_window_end(self, serial: str, source: str | None = None) -> int | None:
        query = "SELECT MAX(window_end) FROM readings WHERE serial = ?"
        args: tuple[object, ...] = (serial,)
        if source is not None:
            query += " AND source = ?"
            args = (serial, source)
        value = self.db.execute(query, args).fetchone()[0]
        return int(value) if value is not None else None

    @_locked
    def count(self, serial: str, source: str) -> int:
        row = self.db.execute(
            "SELECT COUNT(*) FROM readings WHERE serial = ? AND source = ?", (serial, source)
        )
        return int(row.fetchone()[0])

    @_locked
    def pending(self) -> int:
        """How many readings wait."""
        return int(self.db.execute("SELECT COUNT(*) FROM readings WHERE status = 'pending'").fetchone()[0])

    @_locked
    def waiting(self, due_by: int, due_shift: float, skip: Collection[str] = ()) -> Waiting:
        """The pending readings, and those of them that are due: their window ends by ``due_by`` and
        their meter is not in ``skip``. A due reading waits since it was enqueued or, if its window
        ended later, since it became due: the wall time ``window_end - due_shift`` (``due_shift``
        turns the cluster time ``due_by`` into the wall time now)."""
        marks = ",".join("?" * len(skip))
        due = f"window_end <= ? AND serial NOT IN ({marks})"
        count, due_count, since = self.db.execute(
            f"SELECT COUNT(*), COALESCE(SUM({due}), 0),"
            f" MIN(CASE WHEN {due} THEN MAX(enqueued_at, window_end - ?) END)"
            " FROM readings WHERE status = 'pending'",
            (due_by, *skip, due_by, *skip, due_shift),
        ).fetchone()
        return Waiting(int(count), int(due_count), None if since is None else float(since))

    @_locked
    def totals(self) -> dict[str, int]:
        rows = self.db.execute("SELECT status, COUNT(*) FROM readings GROUP BY status").fetchall()
        return {status: int(n) for status, n in rows}

    @_locked
    def lookup_table(self, digest: str) -> str | None:
        row = self.db.execute("SELECT address FROM lookup_tables WHERE digest = ?", (digest,)).fetchone()
        return str(row[0]) if row else None

    @_locked
    def save_lookup_table(self, digest: str, address: str) -> None:
        with self.db:
            self.db.execute("INSERT OR REPLACE INTO lookup_tables VALUES (?, ?)", (digest, address))

    @_locked
    def csv_offset(self, path: str) -> CsvPosition:
        row = self.db.execute(
            "SELECT offset, line, dev, ino FROM csv_offsets WHERE path = ?", (path,)
        ).fetchone()
        if row is None:
            return CsvPosition(0, 0, None)
        identity = (int(row[2]), int(row[3])) if row[2] is not None and row[3] is not None else None
        return CsvPosition(int(row[0]), int(row[1]), identity)

    @_locked
    def add_with_csv_offset(self, readings: Sequence[NewReading], path: str, position: CsvPosition) -> int:
        """Enqueue a CSV chunk's readings, then advance the file's position (a crash in between re-reads
        the chunk, which the queue deduplicates)."""
        count = self.add(readings)
        dev, ino = position.identity if position.identity is not None else (None, None)
        with self.db:
            self.db.execute(
                "INSERT OR REPLACE INTO csv_offsets (path, offset, line, dev, ino) VALUES (?, ?, ?, ?, ?)",
                (path, position.offset, position.line, dev, ino),
            )
        return count
