"""Commitment levels: the finalized (rooted) slot trails the tip, as on a single-node validator.

A ``solana-test-validator`` 4.2 confirms a block as soon as it is produced (its own vote is a
supermajority) and roots it once 31 newer blocks are voted on: measured there, ``getSlot`` answers
``processed == confirmed == finalized + 31`` at every moment, statuses read ``confirmed`` with
``confirmations`` 1, 2, ... 31 and then ``finalized``, and everything read at ``finalized`` commitment
(accounts, sysvars, blockhashes, history, preflight and simulation, which default to ``finalized``) is
the state of that older bank. This node does the same:

* ``processed`` and ``confirmed`` see the tip (the bank being produced);
* ``finalized`` sees the root, ``ROOT_DISTANCE`` slots behind the tip (slot 0 until the tip passes 31).

To answer for the root, the chain records the state every account had before its first write in each
slot newer than the root (``record_write``); reading an account at the root takes its oldest recorded
pre-state newer than the root, or the current state when it has not been written since. Records of
slots that become rooted are dropped, so this holds at most ``ROOT_DISTANCE`` slots of writes.

A restarted node roots everything it restored (``floor``): a validator restarting from its ledger
also resumes from a rooted bank.
"""

from __future__ import annotations

from collections.abc import Callable
from enum import Enum

from solders.account import Account
from solders.pubkey import Pubkey

ROOT_DISTANCE = 31
"""Slots between the tip and the root (``getSlot`` processed minus finalized on solana-test-validator)."""


class Commitment(Enum):
    PROCESSED = "processed"
    CONFIRMED = "confirmed"
    FINALIZED = "finalized"


_ALIASES = {
    "processed": Commitment.PROCESSED,
    "recent": Commitment.PROCESSED,
    "confirmed": Commitment.CONFIRMED,
    "single": Commitment.CONFIRMED,
    "singleGossip": Commitment.CONFIRMED,
    "finalized": Commitment.FINALIZED,
    "root": Commitment.FINALIZED,
    "max": Commitment.FINALIZED,
}


def commitment_of(value: object) -> Commitment:
    """The level a (validated) ``commitment`` param names; absent means ``finalized``, the RPC default."""
    if value is None:
        return Commitment.FINALIZED
    return _ALIASES[str(value)]


class Finality:
    """The root slot and the account pre-states needed to read the chain at the root."""

    def __init__(self) -> None:
        self.floor = 0
        """The root never goes below this (a restarted node's restored slot)."""
        self._pre_states: dict[int, dict[Pubkey, Account | None]] = {}
        """slot -> the state each account had before its first write in that slot (slots above the root,
        ascending)."""
        self._first_seq: dict[int, int] = {}
        """slot -> history sequence number of its first transaction (slots above the root, ascending)."""

    def root(self, tip: int) -> int:
        return max(self.floor, tip - ROOT_DISTANCE)

    def record_write(self, slot: int, pubkey: Pubkey, before: Account | None) -> None:
        """``pubkey`` is about to be written in ``slot``; ``before`` is its state until now."""
        self._pre_states.setdefault(slot, {}).setdefault(pubkey, before)

    def record_transaction(self, slot: int, seq: int) -> None:
        self._first_seq.setdefault(slot, seq)

    def advance(self, root: int) -> set[Pubkey]:
        """The root is now ``root``: forget what slots up to it recorded; returns the accounts written in
        the slots that just became rooted."""
        rooted: set[Pubkey] = set()
        for slot in [s for s in self._pre_states if s <= root]:
            rooted.update(self._pre_states.pop(slot))
        for slot in [s for s in self._first_seq if s <= root]:
            del self._first_seq[slot]
        return rooted

    def root_everything(self, tip: int) -> None:
        """Everything up to ``tip`` is final (a restart)."""
        self.floor = tip
        self.advance(tip)

    def account_at_root(
        self, pubkey: Pubkey, root: int, current: Callable[[Pubkey], Account | None]
    ) -> Account | None:
        for slot, states in self._pre_states.items():
            if slot > root and pubkey in states:
                return states[pubkey]
        return current(pubkey)

    def written_since(self, root: int) -> set[Pubkey]:
        """Accounts whose state at the tip may differ from their state at ``root``."""
        return {pubkey for slot, states in self._pre_states.items() if slot > root for pubkey in states}

    def first_seq_after(self, root: int) -> int | None:
        """The history sequence number of the first transaction newer than ``root`` (None: none is)."""
        return next((seq for slot, seq in self._first_seq.items() if slot > root), None)
