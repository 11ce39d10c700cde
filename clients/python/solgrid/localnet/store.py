"""SQLite storage of the node: transaction history always, accounts and node state with ``--ledger``.

Without a ledger directory the database lives in memory (history is still needed for getTransaction,
getSignatureStatuses and getSignaturesForAddress). With one, ``ledger.sqlite3`` keeps:

* ``transactions``: every committed transaction (raw wire bytes, slot, block time, meta as the RPC's
  JSON, error) in commit order (``seq``);
* ``address_signatures``: (address, seq) for every account key of every transaction, the index behind
  getSignaturesForAddress (newest first = descending seq);
* ``accounts``: the latest state of every account the node wrote (LiteSVM 0.26 cannot list its accounts,
  so the node records every key it touches and stores their post-state);
* ``node_state``: slot, blockhash queue, time offset, keypairs of the faucet and identity, counters;
* ``pruned_statuses``: (signature, slot, error) of pruned transactions still inside the status-cache
  window, see :meth:`LedgerStore.prune_history`;
* ``blocks``: every block the node produced (slot, parent slot, blockhash, previous blockhash, block
  time), for getBlock, getBlocks and getBlockTime; the slots a warp passed over have no row (``blocks``
  answers them as the empty blocks they stand for).

History is kept forever unless the node runs with a history limit (``--limit-ledger-slots``): then
:meth:`LedgerStore.prune_history` deletes the transactions of the slots that fell out of it, as a
validator's ledger cleanup purges old slots. A pruned transaction is gone from getTransaction and
getSignaturesForAddress, but its status stays for the status-cache window (300 slots, as a bank's), so
a replay with a still-valid blockhash is still refused as a duplicate.

Writes are grouped into one SQLite transaction per slot (``commit``), and the node commits on shutdown:
a clean stop loses nothing, a crash loses at most the current slot.
"""

from __future__ import annotations

import fcntl
import json
import sqlite3
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TextIO

from solders.account import Account
from solders.pubkey import Pubkey

from solgrid.errors import UserFacingError

DB_FILE = "ledger.sqlite3"
LOCK_FILE = "ledger.lock"
SCHEMA_VERSION = 1
PRUNED_THROUGH_SEQ = "pruned_through_seq"

_SCHEMA = """
CREATE TABLE IF NOT EXISTS node_state (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS transactions (
    seq INTEGER PRIMARY KEY,
    signature BLOB NOT NULL UNIQUE,
    slot INTEGER NOT NULL,
    block_time INTEGER NOT NULL,
    raw BLOB NOT NULL,
    meta TEXT NOT NULL,
    err TEXT
);
CREATE INDEX IF NOT EXISTS transactions_slot ON transactions (slot);
CREATE TABLE IF NOT EXISTS pruned_statuses (
    signature BLOB PRIMARY KEY,
    slot INTEGER NOT NULL,
    err TEXT
);
CREATE TABLE IF NOT EXISTS address_signatures (
    address BLOB NOT NULL,
    seq INTEGER NOT NULL,
    PRIMARY KEY (address, seq)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS blocks (
    slot INTEGER PRIMARY KEY,
    parent_slot INTEGER NOT NULL,
    blockhash TEXT NOT NULL,
    previous_blockhash TEXT NOT NULL,
    block_time INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS accounts (
    pubkey BLOB PRIMARY KEY,
    lamports INTEGER NOT NULL,
    owner BLOB NOT NULL,
    executable INTEGER NOT NULL,
    rent_epoch INTEGER NOT NULL,
    data BLOB NOT NULL
);
"""


class LedgerInUse(UserFacingError):
    """Another node is running on the same ledger directory."""


def _lock_ledger(ledger_dir: Path) -> TextIO:
    """An exclusive lock on the ledger for the life of the node (two writers would corrupt history)."""
    lock = (ledger_dir / LOCK_FILE).open("w")
    try:
        fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        lock.close()
        raise LedgerInUse(f"the ledger {ledger_dir} is in use by another running node") from None
    return lock


@dataclass(frozen=True)
class StoredTransaction:
    seq: int
    signature: bytes
    slot: int
    block_time: int
    raw: bytes
    meta: dict[str, Any]
    err: Any


@dataclass(frozen=True)
class StoredBlock:
    """A block the node produced; ``parent_slot`` is the block it was built on (older than ``slot - 1``
    after a warp)."""

    slot: int
    parent_slot: int
    blockhash: str
    previous_blockhash: str
    block_time: int


@dataclass(frozen=True)
class SignatureStatus:
    slot: int
    err: Any


class LedgerStore:
    """The SQLite database; ``persistent`` is False for the in-memory one."""

    def __init__(self, ledger_dir: Path | None) -> None:
        self.persistent = ledger_dir is not None
        self._lock: TextIO | None = None
        if ledger_dir is not None:
            ledger_dir.mkdir(parents=True, exist_ok=True)
            self._lock = _lock_ledger(ledger_dir)
            target = str(ledger_dir / DB_FILE)
        else:
            target = ":memory:"
        self._db = sqlite3.connect(target, isolation_level=None, check_same_thread=False)
        if self.persistent:
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("PRAGMA synchronous=NORMAL")
        self._db.executescript(_SCHEMA)
        self._db.execute("BEGIN")
        self._next_seq = self._max_seq() + 1

    def _max_seq(self) -> int:
        """The newest transaction's seq (kept, or pruned: seqs, and the transaction count, go on)."""
        row = self._db.execute("SELECT COALESCE(MAX(seq), 0) FROM transactions").fetchone()
        return max(int(row[0]), int(self.get_state(PRUNED_THROUGH_SEQ) or 0))

    def commit(self) -> None:
        self._db.execute("COMMIT")
        self._db.execute("BEGIN")

    def close(self) -> None:
        self._db.execute("COMMIT")
        self._db.close()
        if self._lock is not None:
            self._lock.close()  # releases the flock

    # -- node state --------------------------------------------------------------------------------------

    @property
    def is_fresh(self) -> bool:
        """True when no node ever ran on this database (no genesis yet)."""
        return self.get_state("genesis_hash") is None

    def get_state(self, key: str) -> Any:
        row = self._db.execute("SELECT value FROM node_state WHERE key = ?", (key,)).fetchone()
        return None if row is None else json.loads(row[0])

    def put_state(self, values: dict[str, Any]) -> None:
        self._db.executemany(
            "INSERT INTO node_state (key, value) VALUES (?, ?) "
            "ON CONFLICT(key) DO UPDATE SET value = excluded.value",
            [(key, json.dumps(value)) for key, value in values.items()],
        )

    # -- transactions ------------------------------------------------------------------------------------

    def add_transaction(
        self,
        signature: bytes,
        slot: int,
        block_time: int,
        raw: bytes,
        meta: dict[str, Any],
        err: Any,
        addresses: Iterable[bytes],
    ) -> int:
        seq = self._next_seq
        self._next_seq += 1
        self._db.execute(
            "INSERT INTO transactions (seq, signature, slot, block_time, raw, meta, err) "
            "VALUES (?, ?, ?, ?, ?, ?, ?)",
            (
                seq,
                signature,
                slot,
                block_time,
                raw,
                json.dumps(meta),
                None if err is None else json.dumps(err),
            ),
        )
        self._db.executemany(
            "INSERT OR IGNORE INTO address_signatures (address, seq) VALUES (?, ?)",
            [(address, seq) for address in addresses],
        )
        return seq

    @property
    def transaction_count(self) -> int:
        return self._next_seq - 1

    def has_signature(self, signature: bytes) -> bool:
        """The signature was processed: in the history, or pruned but still in the status cache."""
        return self.signature_status(signature) is not None

    def signature_status(self, signature: bytes) -> SignatureStatus | None:
        row = self._db.execute(
            "SELECT slot, err FROM transactions WHERE signature = ? "
            "UNION ALL SELECT slot, err FROM pruned_statuses WHERE signature = ?",
            (signature, signature),
        ).fetchone()
        if row is None:
            return None
        return SignatureStatus(slot=row[0], err=None if row[1] is None else json.loads(row[1]))

    def prune_history(self, first_kept_slot: int, first_status_slot: int) -> int:
        """Deletes the transactions of slots before ``first_kept_slot`` (and their address index rows),
        keeping the statuses of those from ``first_status_slot`` on; forgets older pruned statuses.
        Returns how many transactions were deleted."""
        row = self._db.execute(
            "SELECT MAX(seq) FROM transactions WHERE slot < ?", (first_kept_slot,)
        ).fetchone()
        last_pruned = row[0]
        if last_pruned is not None:
            self._db.execute(
                "INSERT OR IGNORE INTO pruned_statuses (signature, slot, err) "
                "SELECT signature, slot, err FROM transactions WHERE seq <= ? AND slot >= ?",
                (last_pruned, first_status_slot),
            )
            self._db.execute("DELETE FROM address_signatures WHERE seq <= ?", (last_pruned,))
            deleted = self._db.execute("DELETE FROM transactions WHERE seq <= ?", (last_pruned,)).rowcount
            self.put_state({PRUNED_THROUGH_SEQ: int(last_pruned)})
        else:
            deleted = 0
        self._db.execute("DELETE FROM pruned_statuses WHERE slot < ?", (first_status_slot,))
        self._db.execute("DELETE FROM blocks WHERE slot < ?", (first_kept_slot,))
        return int(deleted)

    def get_transaction(self, signature: bytes) -> StoredTransaction | None:
        row = self._db.execute(
            "SELECT seq, signature, slot, block_time, raw, meta, err FROM transactions WHERE signature = ?",
            (signature,),
        ).fetchone()
        return None if row is None else _stored(row)

    def seq_of(self, signature: bytes) -> int | None:
        row = self._db.execute("SELECT seq FROM transactions WHERE signature = ?", (signature,)).fetchone()
        return None if row is None else int(row[0])

    def signatures_for_address(
        self, address: bytes, *, before_seq: int | None, until_seq: int | None, limit: int
    ) -> list[StoredTransaction]:
        """Transactions mentioning ``address``, newest first, strictly between ``until`` and ``before``."""
        rows = self._db.execute(
            "SELECT t.seq, t.signature, t.slot, t.block_time, t.raw, t.meta, t.err "
            "FROM address_signatures a JOIN transactions t ON t.seq = a.seq "
            "WHERE a.address = ? AND a.seq < ? AND a.seq > ? ORDER BY a.seq DESC LIMIT ?",
            (
                address,
                before_seq if before_seq is not None else 2**62,
                until_seq if until_seq is not None else 0,
                limit,
            ),
        ).fetchall()
        return [_stored(row) for row in rows]

    def index_in_block(self, stored: StoredTransaction) -> int:
        """Where ``stored`` is among the transactions of its block (getTransaction's transactionIndex)."""
        row = self._db.execute(
            "SELECT COUNT(*) FROM transactions WHERE slot = ? AND seq < ?", (stored.slot, stored.seq)
        ).fetchone()
        return int(row[0])

    def transactions_in_slot(self, slot: int) -> list[StoredTransaction]:
        """The transactions of one block, in the order they were committed."""
        rows = self._db.execute(
            "SELECT seq, signature, slot, block_time, raw, meta, err FROM transactions "
            "WHERE slot = ? ORDER BY seq",
            (slot,),
        ).fetchall()
        return [_stored(row) for row in rows]

    # -- blocks ------------------------------------------------------------------------------------------

    def put_block(self, block: StoredBlock) -> None:
        self._db.execute(
            "INSERT OR REPLACE INTO blocks (slot, parent_slot, blockhash, previous_blockhash, block_time) "
            "VALUES (?, ?, ?, ?, ?)",
            (block.slot, block.parent_slot, block.blockhash, block.previous_blockhash, block.block_time),
        )

    def set_block_time(self, slot: int, block_time: int) -> None:
        """The block of ``slot`` (being produced) now has this time (the clock moved within the slot)."""
        self._db.execute("UPDATE blocks SET block_time = ? WHERE slot = ?", (block_time, slot))

    def block_at_or_after(self, slot: int) -> StoredBlock | None:
        """The block of ``slot``, or else the first one produced after it (None: none was)."""
        row = self._db.execute(
            "SELECT slot, parent_slot, blockhash, previous_blockhash, block_time FROM blocks "
            "WHERE slot >= ? ORDER BY slot LIMIT 1",
            (slot,),
        ).fetchone()
        return None if row is None else StoredBlock(*row)

    def lowest_block_slot(self) -> int | None:
        """The oldest block kept (None for a ledger written before blocks were recorded)."""
        row = self._db.execute("SELECT MIN(slot) FROM blocks").fetchone()
        return None if row[0] is None else int(row[0])

    # -- accounts ----------------------------------------------------------------------------------------

    def put_accounts(self, accounts: Iterable[tuple[Pubkey, Account | None]]) -> None:
        """Upsert accounts; None (or zero lamports) deletes."""
        upserts: list[tuple[Any, ...]] = []
        deletes: list[tuple[bytes]] = []
        for pubkey, account in accounts:
            if account is None or account.lamports == 0:
                deletes.append((bytes(pubkey),))
            else:
                upserts.append(
                    (
                        bytes(pubkey),
                        account.lamports,
                        bytes(account.owner),
                        int(account.executable),
                        _signed64(account.rent_epoch),
                        bytes(account.data),
                    )
                )
        if upserts:
            self._db.executemany(
                "INSERT INTO accounts (pubkey, lamports, owner, executable, rent_epoch, data) "
                "VALUES (?,?,?,?,?,?) ON CONFLICT(pubkey) DO UPDATE SET lamports = excluded.lamports, "
                "owner = excluded.owner, executable = excluded.executable, "
                "rent_epoch = excluded.rent_epoch, data = excluded.data",
                upserts,
            )
        if deletes:
            self._db.executemany("DELETE FROM accounts WHERE pubkey = ?", deletes)

    def iter_accounts(self) -> Iterator[tuple[Pubkey, Account]]:
        """Every stored account; executable ones last (a program needs its programdata loaded first)."""
        rows = self._db.execute(
            "SELECT pubkey, lamports, owner, executable, rent_epoch, data FROM accounts ORDER BY executable"
        )
        for pubkey, lamports, owner, executable, rent_epoch, data in rows:
            yield (
                Pubkey.from_bytes(pubkey),
                Account(lamports, data, Pubkey.from_bytes(owner), bool(executable), rent_epoch % 2**64),
            )


def _signed64(value: int) -> int:
    """A u64 as SQLite's signed 64-bit INTEGER holds it (``rent_epoch`` u64::MAX becomes -1)."""
    return value - 2**64 if value >= 2**63 else value


def _stored(row: tuple[Any, ...]) -> StoredTransaction:
    seq, signature, slot, block_time, raw, meta, err = row
    return StoredTransaction(
        seq=seq,
        signature=signature,
        slot=slot,
        block_time=block_time,
        raw=raw,
        meta=json.loads(meta),
        err=None if err is None else json.loads(err),
    )
