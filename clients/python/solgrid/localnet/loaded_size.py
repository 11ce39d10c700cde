"""How much account data a transaction loads, and the limit on it (SIMD-0186, as agave 4.2.2 counts it).

The loaded accounts are every account key of the transaction (static and loaded from lookup tables) and
the programdata account of every loader-v3 program among them, each counted once, each as 64 bytes plus
its data before execution (an account that does not exist counts 0). Each address lookup table used adds
a flat 8248 bytes. The limit is 64 MiB, or what ``SetLoadedAccountsDataSizeLimit`` asks for; a transaction
over it fails to load (``MaxLoadedAccountsDataSizeExceeded``, fee charged, nothing executed) and its
loaded size is then the limit itself.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from solders.account import Account
from solders.message import Message, MessageV0
from solders.pubkey import Pubkey

from solgrid.localnet import txmeta

TRANSACTION_ACCOUNT_BASE_SIZE = 64
"""Bytes counted for an account's metadata, besides its data."""
ADDRESS_LOOKUP_TABLE_BASE_SIZE = 8248
"""Bytes counted for each lookup table a transaction uses (its largest data, 8192, plus 56)."""
MAX_LOADED_ACCOUNTS_DATA_SIZE_BYTES = 64 * 1024 * 1024
"""The limit when ``SetLoadedAccountsDataSizeLimit`` does not lower it."""
MAX_LOADED_ACCOUNTS_DATA_SIZE_EXCEEDED = "MaxLoadedAccountsDataSizeExceeded"

LOADER_V3 = Pubkey.from_string("BPFLoaderUpgradeab1e11111111111111111111111")
_PROGRAM_STATE = (2).to_bytes(4, "little")

AccountLookup = Callable[[Pubkey], "Account | None"]


def programdata_address(account: Account) -> Pubkey | None:
    """The programdata address of a loader-v3 program account, None for any other account."""
    data = bytes(account.data)
    if account.owner != LOADER_V3 or len(data) < 36 or data[:4] != _PROGRAM_STATE:
        return None
    return Pubkey.from_bytes(data[4:36])


def loaded_accounts_data_size(keys: Sequence[Pubkey], lookup_tables: int, lookup: AccountLookup) -> int:
    """The loaded size of a transaction with these account keys and this many lookup tables;
    ``lookup`` answers None for an account that does not exist."""
    counted: set[Pubkey] = set()
    size = lookup_tables * ADDRESS_LOOKUP_TABLE_BASE_SIZE
    programdata: list[Pubkey] = []
    for pubkey in keys:
        if pubkey in counted:
            continue
        counted.add(pubkey)
        account = lookup(pubkey)
        if account is None:
            continue
        size += TRANSACTION_ACCOUNT_BASE_SIZE + len(account.data)
        address = programdata_address(account)
        if address is not None:
            programdata.append(address)
    for address in programdata:
        if address in counted:
            continue
        counted.add(address)
        account = lookup(address)
        if account is not None:
            size += TRANSACTION_ACCOUNT_BASE_SIZE + len(account.data)
    return size


def lookup_table_count(message: Message | MessageV0) -> int:
    return len(message.address_table_lookups) if isinstance(message, MessageV0) else 0


def data_size_limit(message: Message | MessageV0) -> int | None:
    """The transaction's loaded-data limit; None when its ComputeBudget instructions are invalid."""
    requests = txmeta.compute_budget_requests(message)
    if requests is None:
        return None
    requested = requests.get(txmeta.SET_LOADED_ACCOUNTS_DATA_SIZE_LIMIT)
    if requested is None:
        return MAX_LOADED_ACCOUNTS_DATA_SIZE_BYTES
    return min(requested, MAX_LOADED_ACCOUNTS_DATA_SIZE_BYTES)
