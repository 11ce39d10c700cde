"""What the chain keeps of one transaction's execution: its accounts before it ran (``Execution``, for
balances, rollback and the ledger's meta), what running it recorded (``Executed``), and the meta the
ledger stores for it once committed (``ledger_meta``)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from solders.account import Account
from solders.pubkey import Pubkey
from solders.transaction import VersionedTransaction
from solders.transaction_metadata import TransactionMetadata

from solgrid.localnet import loaded_size, tx_cost, txmeta
from solgrid.localnet.stored_accounts import existing

AccountLookup = Callable[[Pubkey], Account | None]


@dataclass(frozen=True)
class Execution:
    """A transaction's accounts as it loaded them (``prepare``)."""

    keys: txmeta.AccountKeys
    pre: list[Account | None]
    pre_balances: list[int]
    loaded_size: int
    """Loaded account data (SIMD-0186); the limit itself when the transaction exceeds it."""
    exceeds_limit: bool

    def loaded_addresses(self) -> dict[str, list[str]]:
        return {
            "writable": [str(k) for k in self.keys.loaded_writable],
            "readonly": [str(k) for k in self.keys.loaded_readonly],
        }

    def fee_payer_after_fee(
        self, tx: VersionedTransaction, fee: int, minimum_balance: Callable[[int], int]
    ) -> Account | None:
        """The fee payer once it paid ``fee``; None when it cannot (missing, not a system account, too
        poor, or left below rent exemption) or the transaction uses a durable nonce."""
        payer = self.pre[0]
        if payer is None or payer.owner != txmeta.SYSTEM_PROGRAM_ID or payer.lamports < fee:
            return None
        if txmeta.advance_nonce_account(tx.message) is not None:
            return None
        remaining = payer.lamports - fee
        if remaining and remaining < minimum_balance(len(payer.data)):
            return None
        return Account(remaining, bytes(payer.data), payer.owner, payer.executable, payer.rent_epoch)

    def balances_after_fee(self, fee: int) -> list[int]:
        """The balances of a transaction that failed after paying ``fee`` (only the fee payer's changes)."""
        return [self.pre_balances[0] - fee, *self.pre_balances[1:]]

    def token_balances(
        self, lookup: AccountLookup, post: Sequence[Account | None]
    ) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
        """(preTokenBalances, postTokenBalances) of the transaction's token accounts, ``post`` after it."""
        if not (txmeta.has_token_accounts(self.pre) or txmeta.has_token_accounts(post)):
            return [], []
        keys = self.keys.keys
        return txmeta.token_balances(keys, self.pre, lookup), txmeta.token_balances(keys, post, lookup)


def prepare(
    tx: VersionedTransaction, get_account: AccountLookup, get_balance: Callable[[Pubkey], int]
) -> Execution:
    """The transaction's account keys, pre-state and loaded size, in the engine's current state
    (``get_account``, ``get_balance``)."""
    keys = txmeta.resolve_account_keys(tx.message, get_account)
    if keys is None:
        static = list(tx.message.account_keys)
        keys = txmeta.AccountKeys(static, [False] * len(static), frozenset(), [], [])
    pre: list[Account | None] = []
    balances: list[int] = []
    for index, pubkey in enumerate(keys.keys):
        if index in keys.program_indexes:
            pre.append(None)
            balances.append(get_balance(pubkey))
        else:
            account = get_account(pubkey)
            pre.append(account)
            balances.append(0 if account is None else account.lamports)
    size = loaded_size.loaded_accounts_data_size(
        keys.keys,
        loaded_size.lookup_table_count(tx.message),
        lambda k: existing(get_account(k)),
    )
    limit = loaded_size.data_size_limit(tx.message)
    exceeds = limit is not None and size > limit
    return Execution(keys, pre, balances, limit if exceeds and limit is not None else size, exceeds)


@dataclass(frozen=True)
class Executed:
    """What the execution of a committed transaction recorded (nothing when it paid only its fee)."""

    logs: list[str] | None
    inner: list[dict[str, Any]] | None
    units: int
    return_data: dict[str, Any] | None

    @classmethod
    def of(cls, meta: TransactionMetadata) -> Executed:
        return cls(
            list(meta.logs()),
            txmeta.inner_instructions_json(meta.inner_instructions()),
            meta.compute_units_consumed(),
            txmeta.return_data_json(meta),
        )


FEE_ONLY = Executed(None, None, 0, None)


def ledger_meta(
    tx: VersionedTransaction,
    execution: Execution,
    executed: Executed,
    err: Any,
    fee: int,
    after: tuple[list[Account | None], list[int]],
    lookup: AccountLookup,
) -> dict[str, Any]:
    """The meta the ledger stores for a committed transaction (getTransaction's, before its encoding);
    ``after`` is the accounts and balances once it ran, ``lookup`` reads the mints of token accounts."""
    post, post_balances = after
    keys = execution.keys
    record: dict[str, Any] = {
        "err": err,
        "status": {"Ok": None} if err is None else {"Err": err},
        "fee": fee,
        "preBalances": execution.pre_balances,
        "postBalances": post_balances,
        "innerInstructions": executed.inner,
        "logMessages": executed.logs,
        "preTokenBalances": [],
        "postTokenBalances": [],
        "rewards": [],
        "loadedAddresses": execution.loaded_addresses(),
        "computeUnitsConsumed": executed.units,
        "costUnits": tx_cost.executed_cost(
            tx.message, sum(keys.writable), executed.units, execution.loaded_size
        ),
    }
    if executed.return_data is not None:
        record["returnData"] = executed.return_data
    if txmeta.has_token_accounts(execution.pre) or txmeta.has_token_accounts(post):
        record["preTokenBalances"] = txmeta.token_balances(keys.keys, execution.pre, lookup, stored=True)
        record["postTokenBalances"] = txmeta.token_balances(keys.keys, post, lookup, stored=True)
    return record
