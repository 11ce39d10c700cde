"""Slots, block height, recent blockhashes and wall-clock time of the local node.

A validator produces one block per slot, each with a new blockhash, and accepts a transaction while its
blockhash is at most ``MAX_PROCESSING_AGE`` (150) blocks old. LiteSVM only knows its latest blockhash, so
the node keeps this queue itself and runs LiteSVM with its blockhash check off.

Every slot produces a block here (no skipped slots), so the block height equals the slot. A warp
fast-forwards as if every slot in between had produced an empty block: blockhashes older than 150 slots
expire, exactly what a test of expiry wants, and the blocks passed over get stand-in blockhashes (the
finalized commitment reads the blockhash of a slot 31 behind the tip, see ``finality``).

Time: the Clock's ``unix_timestamp`` is wall-clock time plus an offset that tests can move
(``advance_time``/``set_unix_timestamp``); it never goes backwards.
"""

from __future__ import annotations

import time
from collections import OrderedDict
from collections.abc import Callable, Iterable

from solders.epoch_schedule import EpochSchedule
from solders.hash import Hash

MAX_PROCESSING_AGE = 150
"""Blocks a blockhash stays valid for (the validator's MAX_PROCESSING_AGE)."""
MAX_RECENT_BLOCKHASHES = 300
"""Entries kept: twice the age, so lastValidBlockHeight of a just-expired hash is still answerable."""


class Timeline:
    """The node's notion of "now": slot, block height, recent blockhashes, epoch and unix time."""

    def __init__(
        self,
        *,
        slot: int = 0,
        epoch_schedule: EpochSchedule | None = None,
        time_offset: float = 0.0,
        wall_clock: Callable[[], float] = time.time,
    ) -> None:
        self.slot = slot
        self.epoch_schedule = epoch_schedule or EpochSchedule.without_warmup()
        self.time_offset = time_offset
        self._wall_clock = wall_clock
        self._blockhashes: OrderedDict[Hash, int] = OrderedDict()
        self._latest_timestamp = 0

    # -- blocks ------------------------------------------------------------------------------------------

    @property
    def block_height(self) -> int:
        return self.slot

    def register_blockhash(self, blockhash: Hash, slot: int) -> None:
        self._blockhashes[blockhash] = slot
        self._blockhashes.move_to_end(blockhash)
        while len(self._blockhashes) > MAX_RECENT_BLOCKHASHES:
            self._blockhashes.popitem(last=False)

    def restore_blockhashes(self, entries: Iterable[tuple[Hash, int]]) -> None:
        for blockhash, slot in entries:
            self.register_blockhash(blockhash, slot)

    def recent_blockhashes(self) -> list[tuple[Hash, int]]:
        return list(self._blockhashes.items())

    def latest_blockhash(self, at_slot: int | None = None) -> Hash:
        """The blockhash of the newest block, or of the newest up to ``at_slot`` (an older bank)."""
        if at_slot is not None:
            for blockhash, slot in reversed(self._blockhashes.items()):
                if slot <= at_slot:
                    return blockhash
        return next(reversed(self._blockhashes))

    def last_valid_block_height(self, blockhash: Hash) -> int | None:
        slot = self._blockhashes.get(blockhash)
        return None if slot is None else slot + MAX_PROCESSING_AGE

    def is_blockhash_valid(self, blockhash: Hash, at_slot: int | None = None) -> bool:
        """Whether a transaction with this blockhash may run in the bank of ``at_slot`` (default: the tip);
        a bank does not know the blockhashes of newer blocks."""
        slot = self._blockhashes.get(blockhash)
        height = self.block_height if at_slot is None else at_slot
        return slot is not None and slot <= height <= slot + MAX_PROCESSING_AGE

    # -- epochs ------------------------------------------------------------------------------------------

    @property
    def epoch(self) -> int:
        return int(self.epoch_schedule.get_epoch(self.slot))

    def epoch_info(self, slot: int | None = None) -> tuple[int, int, int]:
        """(epoch, slot index in the epoch, slots in the epoch) of ``slot`` (default: the tip)."""
        epoch, index = self.epoch_schedule.get_epoch_and_slot_index(self.slot if slot is None else slot)
        return int(epoch), int(index), int(self.epoch_schedule.get_slots_in_epoch(epoch))

    @property
    def leader_schedule_epoch(self) -> int:
        return int(self.epoch_schedule.get_leader_schedule_epoch(self.slot))

    # -- time --------------------------------------------------------------------------------------------

    def unix_timestamp(self) -> int:
        """Wall-clock seconds plus the offset; monotonic even if the wall clock steps back."""
        now = int(self._wall_clock() + self.time_offset)
        self._latest_timestamp = max(self._latest_timestamp, now)
        return self._latest_timestamp

    def advance_time(self, seconds: float) -> int:
        if seconds < 0:
            raise ValueError("time can only move forward")
        self.time_offset += seconds
        return self.unix_timestamp()

    def set_unix_timestamp(self, timestamp: int) -> int:
        """Make "now" equal ``timestamp`` from here on (it must not be in the past of the node)."""
        current = self.unix_timestamp()
        if timestamp < current:
            raise ValueError(f"unix timestamp {timestamp} is before the node's current time {current}")
        self.time_offset += timestamp - current
        self._latest_timestamp = timestamp
        return timestamp
