"""What an executed transaction costs in agave 4.2.2's cost model: the ``costUnits`` of getTransaction.

The cost of a (non-vote) transaction that was executed, or that paid its fee without executing, is the
sum of

* 720 per transaction signature, plus per precompile-verified signature 6690 (secp256k1),
  2400 (ed25519, strict verification) or 4800 (secp256r1);
* 300 per requested write lock (every writable account key, before any demotion);
* the instruction data bytes of the top-level instructions, divided by 4 (rounded down);
* the compute units the execution consumed (0 when it did not execute);
* 8 per started 32 KiB page of loaded account data (``loaded_size``).
"""

from __future__ import annotations

from solders.message import Message, MessageV0
from solders.pubkey import Pubkey

from solgrid.localnet import txmeta

SIGNATURE_COST = 720
SECP256K1_VERIFY_COST = 6690
ED25519_VERIFY_STRICT_COST = 2400
SECP256R1_VERIFY_COST = 4800
WRITE_LOCK_UNITS = 300
INSTRUCTION_DATA_BYTES_COST = 4
ACCOUNT_DATA_COST_PAGE_SIZE = 32 * 1024
HEAP_COST = 8
"""Compute units per page of loaded account data (the cost of a 32 KiB heap page)."""

_PRECOMPILE_SIGNATURE_COST: dict[Pubkey, int] = {
    txmeta.SECP256K1_PROGRAM_ID: SECP256K1_VERIFY_COST,
    txmeta.ED25519_PROGRAM_ID: ED25519_VERIFY_STRICT_COST,
    txmeta.SECP256R1_PROGRAM_ID: SECP256R1_VERIFY_COST,
}


def signature_cost(message: Message | MessageV0) -> int:
    """Transaction signatures plus the signatures precompile instructions declare (their first byte)."""
    keys = message.account_keys
    cost = message.header.num_required_signatures * SIGNATURE_COST
    for ix in message.instructions:
        program_id = keys[ix.program_id_index] if ix.program_id_index < len(keys) else None
        per_signature = _PRECOMPILE_SIGNATURE_COST.get(program_id) if program_id is not None else None
        data = bytes(ix.data)
        if per_signature is not None and data:
            cost += data[0] * per_signature
    return cost


def instruction_data_cost(message: Message | MessageV0) -> int:
    return sum(len(bytes(ix.data)) for ix in message.instructions) // INSTRUCTION_DATA_BYTES_COST


def loaded_accounts_data_size_cost(loaded_size: int) -> int:
    return -(-loaded_size // ACCOUNT_DATA_COST_PAGE_SIZE) * HEAP_COST


def executed_cost(
    message: Message | MessageV0, write_locks: int, compute_units: int, loaded_size: int
) -> int:
    """The cost of a transaction with ``write_locks`` writable account keys that consumed
    ``compute_units`` and loaded ``loaded_size`` bytes of account data."""
    return (
        signature_cost(message)
        + write_locks * WRITE_LOCK_UNITS
        + instruction_data_cost(message)
        + compute_units
        + loaded_accounts_data_size_cost(loaded_size)
    )
