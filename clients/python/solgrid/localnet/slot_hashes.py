"""The node's SlotHashes sysvar: the most recent 512 slots with their hashes, newest first.

Programs read it to decide what a "recent slot" is. The AddressLookupTable program is the one that
matters here: ``CreateLookupTable`` only accepts a ``recent_slot`` listed in SlotHashes (the table
address is derived from it, so a table cannot be re-created at an old address), and a deactivated table
can be closed only once its deactivation slot has left the list.

How this list differs from a validator's, and why:

* A validator's bank for slot N lists its ancestors N-1 ... N-512, not N itself. This node commits every
  transaction at once and reports the same slot at every commitment level, so the slot a client gets
  from ``getSlot`` is the current one; listing N too is what keeps the usual "create a table from
  ``getSlot``" code working here (on a cluster that code reads a confirmed or finalized slot, which is
  always an ancestor). The window therefore ends one slot earlier: N ... N-511.
* A warp to slot M is a run of empty blocks (``Timeline``), so every slot it passes over is listed, up to
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

    def add_block(self, slot: int, blockhash: Hash) -> None:
        """Record the block of ``slot``; the slots since the newest entry are filled as empty blocks."""
        if self._entries:
            newest = self._entries[0][0]
            if slot <= newest:
                raise ValueError(f"slot {slot} is not after the newest SlotHashes entry {newest}")
            for skipped in range(max(newest + 1, slot - MAX_ENTRIES + 1), slot):
                self._entries.appendleft((skipped, empty_slot_hash(skipped)))
        self._entries.appendleft((slot, blockhash))

    def entries(self) -> list[tuple[int, Hash]]:
        return list(self._entries)

    def to_json(self) -> list[list[Any]]:
        return [[slot, str(h)] for slot, h in self._entries]

    @classmethod
    def from_json(cls, value: list[list[Any]]) -> SlotHashes:
        return cls((int(slot), Hash.from_string(str(h))) for slot, h in value)
