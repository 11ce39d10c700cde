"""The node's SlotHashes sysvar: the most recent 512 slots with their hashes, newest first.

Programs read it to decide what a "recent slot" is. The AddressLookupTable program is the one that
matters here: ``CreateLookupTable`` only accepts a ``recent_slot`` listed in SlotHashes (the table
address is derived from it, so a table cannot be re-created at an old address), and a deactivated table
can be closed only once its deactivation slot has left the list.

As on a validator, the bank of slot N lists the slots before it, N-1 ... N-512, never N itself: a
transaction cannot name the slot it runs in, and the slot ``getSlot`` answers at ``processed`` or
``confirmed`` commitment is the one being produced, so it is not recent yet. Clients create tables from
the ``finalized`` slot, which every newer bank lists (``solgrid.sdk.lookup_tables``).

A warp to slot M is a run of empty blocks (``Timeline``), so every slot it passes over is listed, up to
the 512 most recent. Their hashes are stand-ins (``empty_slot_hash``): no block was produced for them,
and no program can tell a stand-in from a bank hash.
"""

from __future__ import annotations

import collections
from collections.abc import Iterable
from typing import Any

from solders.hash import Hash

MAX_ENTRIES = 512
"""Entries the sysvar holds (solana's ``slot_hashes::MAX_ENTRIES``)."""
_EMPTY_SLOT_DOMAIN = b"solgrid-localnet empty slot"


def empty_slot_hash(slot: int) -> Hash:
    """The stand-in hash of a slot that a warp passed over."""
    return Hash.hash(_EMPTY_SLOT_DOMAIN + slot.to_bytes(8, "little"))


class SlotHashes:
    """The (slot, hash) entries of the sysvar, newest first, at most ``MAX_ENTRIES``."""

    def __init__(self, entries: Iterable[tuple[int, Hash]] = ()) -> None:
        self._entries: collections.deque[tuple[int, Hash]] = collections.deque(entries, maxlen=MAX_ENTRIES)

    def new_bank(self, slot: int, parent: int, parent_hash: Hash) -> None:
        """The bank of ``slot`` starts after the block of ``parent``: the parent enters the list, and so
        do the slots between them (passed over by a warp) as empty blocks."""
        if slot <= parent:
            raise ValueError(f"slot {slot} is not after its parent {parent}")
        if self._entries and parent <= self._entries[0][0]:
            raise ValueError(f"slot {parent} is not after the newest SlotHashes entry {self._entries[0][0]}")
        self._entries.appendleft((parent, parent_hash))
        for skipped in range(max(parent + 1, slot - MAX_ENTRIES), slot):
            self._entries.appendleft((skipped, empty_slot_hash(skipped)))

    def entries(self) -> list[tuple[int, Hash]]:
        return list(self._entries)

    def to_json(self) -> list[list[Any]]:
        return [[slot, str(h)] for slot, h in self._entries]

    @classmethod
    def from_json(cls, value: list[list[Any]]) -> SlotHashes:
        return cls((int(slot), Hash.from_string(str(h))) for slot, h in value)
