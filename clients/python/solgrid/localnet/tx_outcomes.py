"""What a transaction sent to the local node comes to, and what the chain tells its listeners.

``Chain.submit`` answers one of ``SubmitOutcome``: ``Committed`` (in the ledger, successful or failed
after paying its fee), ``PreflightFailed`` (nothing committed) or ``Dropped`` (accepted, never landed); a
malformed transaction raises ``InvalidTransaction``. A ``ChainListener`` (the websocket subscriptions, the
server) hears of every committed transaction, account write, new slot and root.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from solders.account import Account
from solders.pubkey import Pubkey
from solders.signature import Signature


class InvalidTransaction(Exception):
    """The transaction is malformed (does not sanitize); answered as invalid params."""


@dataclass(frozen=True)
class CommittedTransaction:
    """A transaction that is now part of the ledger (successful, or failed after paying its fee)."""

    signature: Signature
    slot: int
    err: Any
    logs: list[str]
    account_keys: list[Pubkey]
    written: list[tuple[Pubkey, Account]]


@dataclass(frozen=True)
class Committed:
    signature: Signature
    err: Any


@dataclass(frozen=True)
class PreflightFailed:
    """Nothing was committed; ``simulation`` is the RpcSimulateTransactionResult JSON."""

    signature: Signature
    err: Any
    simulation: dict[str, Any]


@dataclass(frozen=True)
class Dropped:
    """Accepted and never landed, as a validator does (e.g. a duplicate sent without preflight)."""

    signature: Signature
    reason: Any


SubmitOutcome = Committed | PreflightFailed | Dropped


class ChainListener(Protocol):
    def on_transaction(self, tx: CommittedTransaction) -> None: ...

    def on_accounts(self, slot: int, accounts: Sequence[tuple[Pubkey, Account]]) -> None: ...

    def on_slot(self, slot: int, parent: int) -> None: ...

    def on_root(self, root: int, rooted: Sequence[tuple[Pubkey, Account]]) -> None:
        """The root moved to ``root``; ``rooted`` are the accounts written in the slots that just became
        rooted, in their state at the root (closed ones with 0 lamports)."""
        ...
