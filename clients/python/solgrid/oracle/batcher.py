"""Grouping meters into lanes and readings into transactions.

Readings of one meter must land in window order (the registry refuses a window that starts before the
meter's last one). Each meter therefore belongs to exactly one *lane*; a lane sends its transactions one
after another while lanes run concurrently, which keeps per-meter order without any cross-lane locking.
Each lane has one address lookup table with its meters' accounts, created once and reused.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence

from solders.address_lookup_table_account import AddressLookupTableAccount
from solders.hash import Hash
from solders.instruction import Instruction
from solders.keypair import Keypair
from solders.pubkey import Pubkey

from solgrid.oracle.config import MeterConfig
from solgrid.oracle.queue import QueuedReading
from solgrid.sdk.lookup_tables import MAX_TRANSACTION_SIZE
from solgrid.sdk.readings import SignedReading, reading_message
from solgrid.sdk.registry import MeterAccounts, RegistryClient
from solgrid.sdk.transactions import build_transaction


def lanes_of(serials: Sequence[str], lanes: int) -> list[list[str]]:
    """``serials`` dealt round-robin into at most ``lanes`` non-empty lanes (stable for a given config)."""
    ordered = sorted(serials)
    count = max(1, min(lanes, len(ordered)))
    return [ordered[i::count] for i in range(count)]


def table_digest(addresses: Sequence[Pubkey]) -> str:
    """Names a lookup table by its content, so a restarted worker finds the table of the same meters."""
    return hashlib.sha256(b"".join(bytes(a) for a in addresses)).hexdigest()


class Batcher:
    def __init__(self, registry: RegistryClient, meters: dict[str, MeterConfig]) -> None:
        self.registry = registry
        self.meters = meters

    def accounts(self, serial: str) -> MeterAccounts:
        m = self.meters[serial]
        return self.registry.meter_accounts(serial, m.owner, m.zone)

    def lookup_addresses(self, serials: Sequence[str]) -> list[Pubkey]:
        return self.registry.lookup_addresses([self.accounts(s) for s in serials])

    def instructions(self, rows: Sequence[QueuedReading]) -> list[Instruction]:
        """The Ed25519 instruction and ``submit_readings`` for ``rows`` (signed as queued)."""
        entries = []
        for row in rows:
            accounts = self.accounts(row.serial)
            message = reading_message(self.registry.program_id, accounts.meter, row.reading)
            signed = SignedReading(accounts.meter, row.reading, row.public_key, row.signature, message)
            entries.append((accounts, signed))
        return self.registry.reading_batch(entries)

    def fit(self, rows: Sequence[QueuedReading], payer: Keypair, table: AddressLookupTableAccount) -> int:
        """How many of ``rows`` (from the front) fit one transaction of at most 1232 bytes."""
        for count in range(len(rows), 0, -1):
            tx = build_transaction(self.instructions(rows[:count]), payer, [], Hash.default(), [table])
            if len(bytes(tx)) <= MAX_TRANSACTION_SIZE:
                return count
        raise ValueError("a single reading does not fit a transaction")
