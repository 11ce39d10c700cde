"""The checks a validator's RPC makes before it simulates or forwards a transaction.

agave 4.2's sendTransaction and simulateTransaction build a sanitized runtime transaction in the bank
they read (``RuntimeTransaction::try_create``), even with ``skipPreflight``; a failure is answered
``-32602 invalid transaction: <error>`` and nothing is simulated or sent. In this order:

1. at most 64 instructions, none with more than 255 accounts (``SanitizeFailure``);
2. the transaction sanitizes: signature count, account indexes and header (``SanitizeFailure``);
3. its ComputeBudget instructions decode, each kind at most once: ``DuplicateInstruction(i)``, or
   ``InstructionError(i, InvalidInstructionData)`` for one that does not decode (its values, such as a
   heap size that is not a multiple of 1024, are checked only when the transaction executes);
4. its address-table lookups resolve in that bank: the table exists, is owned by the lookup-table
   program, has a table's data, is active (not deactivated past SlotHashes), and every index is
   among its active addresses (``AddressLookupTableNotFound``, ``InvalidAddressLookupTableOwner``,
   ``InvalidAddressLookupTableData``, ``InvalidAddressLookupTableIndex``).

Signature verification comes after (preflight, or ``sigVerify``) and precompiles are verified when
their instructions execute, so neither is checked here.
"""

from __future__ import annotations

from collections.abc import Callable, Collection
from typing import Any

from solders.account import Account
from solders.address_lookup_table_account import AddressLookupTable
from solders.message import Message, MessageV0
from solders.pubkey import Pubkey
from solders.transaction import VersionedTransaction

from solgrid.localnet.txmeta import ADDRESS_LOOKUP_TABLE_PROGRAM_ID, COMPUTE_BUDGET_PROGRAM_ID

MAX_INSTRUCTIONS = 64
"""agave's MAX_INSTRUCTION_TRACE_LENGTH: more top-level instructions do not sanitize."""
MAX_ACCOUNTS_PER_INSTRUCTION = 255
SANITIZE_FAILURE: Any = "SanitizeFailure"
_COMPUTE_BUDGET_DATA_SIZES = {1: 4, 2: 4, 3: 8, 4: 4}
"""ComputeBudget instruction tag -> size of its borsh argument (heap frame, unit limit, unit price,
loaded accounts data size limit); tag 0 is the retired ``RequestUnits`` and does not decode."""
_DEACTIVATION_NONE = 2**64 - 1

AccountLookup = Callable[[Pubkey], Account | None]


def structural_error(tx: VersionedTransaction) -> Any:
    """The first of checks 1-3 that ``tx`` fails, as the JSON transaction error; None if it passes."""
    message = tx.message
    instructions = list(message.instructions)
    if len(instructions) > MAX_INSTRUCTIONS:
        return SANITIZE_FAILURE
    if any(len(bytes(ix.accounts)) > MAX_ACCOUNTS_PER_INSTRUCTION for ix in instructions):
        return SANITIZE_FAILURE
    try:
        tx.sanitize()
    except Exception:
        return SANITIZE_FAILURE
    if len(tx.signatures) != message.header.num_required_signatures:
        return SANITIZE_FAILURE
    return compute_budget_error(message)


def compute_budget_error(message: Message | MessageV0) -> Any:
    """``DuplicateInstruction`` or ``InvalidInstructionData`` for the first ComputeBudget instruction
    that repeats a kind or does not decode (borsh, trailing bytes ignored); None if all are fine."""
    keys = list(message.account_keys)
    seen: set[int] = set()
    for index, ix in enumerate(message.instructions):
        if ix.program_id_index >= len(keys) or keys[ix.program_id_index] != COMPUTE_BUDGET_PROGRAM_ID:
            continue
        data = bytes(ix.data)
        size = _COMPUTE_BUDGET_DATA_SIZES.get(data[0]) if data else None
        if size is None or len(data) < 1 + size:
            return {"InstructionError": [index, "InvalidInstructionData"]}
        if data[0] in seen:
            return {"DuplicateInstruction": index}
        seen.add(data[0])
    return None


def active_addresses_len(table: AddressLookupTable, slot: int, slot_hashes: Collection[int]) -> int | None:
    """How many of the table's addresses a transaction in ``slot`` may use; None when the table is
    deactivated (its deactivation slot is neither ``slot`` nor in SlotHashes): it no longer exists for
    lookups. Addresses appended in ``slot`` itself are not usable before the next slot."""
    meta = table.meta
    deactivation = meta.deactivation_slot
    if deactivation != _DEACTIVATION_NONE and deactivation != slot and deactivation not in slot_hashes:
        return None
    if slot > meta.last_extended_slot:
        return len(table.addresses)
    return int(meta.last_extended_slot_start_index)


def lookup_error(
    message: Message | MessageV0, lookup: AccountLookup, slot: int, slot_hashes: Collection[int]
) -> Any:
    """Check 4 in the bank of ``slot`` (``lookup`` reads its accounts, ``slot_hashes`` its SlotHashes
    slots): the JSON transaction error of the first lookup that fails, None if all resolve."""
    if not isinstance(message, MessageV0):
        return None
    for table_lookup in message.address_table_lookups:
        account = lookup(table_lookup.account_key)
        if account is None:
            return "AddressLookupTableNotFound"
        if account.owner != ADDRESS_LOOKUP_TABLE_PROGRAM_ID:
            return "InvalidAddressLookupTableOwner"
        try:
            table = AddressLookupTable.deserialize(bytes(account.data))
        except Exception:
            return "InvalidAddressLookupTableData"
        active = active_addresses_len(table, slot, slot_hashes)
        if active is None:
            return "AddressLookupTableNotFound"
        indexes = bytes(table_lookup.writable_indexes) + bytes(table_lookup.readonly_indexes)
        if any(i >= active for i in indexes):
            return "InvalidAddressLookupTableIndex"
    return None
