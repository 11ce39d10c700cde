"""Address lookup tables and v0 transactions over JSON-RPC, against any node (a cluster,
solana-test-validator or ``solgrid localnet``). The SDK depends on no node: the local node's in-process
LiteSVM helpers build on the instruction builders here, never the other way round.

A ``submit_readings`` batch of 6 readings carries ~900 bytes of signatures, keys and messages in its
Ed25519 instruction; with every registry account (config, instructions sysvar, meters, users, zones)
spelled out as a 32-byte key the transaction passes the 1232-byte limit. A v0 message that looks the
accounts up in a table costs one byte per account instead. This module creates and extends such a table
(the AddressLookupTable program's ``CreateLookupTable`` and ``ExtendLookupTable``) and sends v0
transactions that use it.

A table's address derives from its authority and a ``recent_slot`` that must be in the SlotHashes sysvar
of the bank that runs ``CreateLookupTable``. A bank lists the slots before it, never its own, so the slot
``getSlot`` answers at ``processed`` or ``confirmed`` commitment (the bank being produced) is refused
("N is not a recent slot"). :func:`create_lookup_table_rpc` uses the ``finalized`` slot, which every
newer bank lists, and a fresh one if the table from it exists already or it left the 512-slot window.

Addresses appended to a table become usable in the slot after the extension, so the helpers wait for
the next slot before returning the table.
"""

from __future__ import annotations

import asyncio
import struct
from collections.abc import Awaitable, Callable, Sequence

from solana.rpc.async_api import AsyncClient
from solana.rpc.commitment import Commitment, Confirmed, Finalized
from solders.address_lookup_table_account import AddressLookupTableAccount, derive_lookup_table_address
from solders.hash import Hash
from solders.instruction import AccountMeta, Instruction
from solders.keypair import Keypair
from solders.message import MessageV0
from solders.pubkey import Pubkey
from solders.system_program import ID as SYSTEM_PROGRAM_ID
from solders.transaction import VersionedTransaction

from solgrid.sdk.anchor import ProgramCoder
from solgrid.sdk.transactions import Landed, TransactionFailed, send_and_confirm

ADDRESS_LOOKUP_TABLE_PROGRAM_ID = Pubkey.from_string("AddressLookupTab1e1111111111111111111111111")
MAX_TRANSACTION_SIZE = 1232
"""The packet limit a serialized transaction must fit in."""
EXTEND_CHUNK = 20
"""Addresses appended per ExtendLookupTable instruction (keeps each transaction small)."""
POLL_SECS = 0.05
STALL_SECS = 30.0
"""How long a slot may stay the same while waiting for a newer one before giving up."""
NOT_RECENT = "is not a recent slot"
"""What CreateLookupTable logs for a ``recent_slot`` missing from SlotHashes."""
_CREATE = 0
_EXTEND = 2


def create_lookup_table(authority: Pubkey, payer: Pubkey, recent_slot: int) -> tuple[Instruction, Pubkey]:
    """``CreateLookupTable`` for a table owned by ``authority``; returns the instruction and the table.

    ``recent_slot`` must be in the SlotHashes sysvar (a recent slot of the cluster).
    """
    table, bump = derive_lookup_table_address(authority, recent_slot)
    data = struct.pack("<IQB", _CREATE, recent_slot, bump)
    metas = [
        AccountMeta(table, is_signer=False, is_writable=True),
        AccountMeta(authority, is_signer=True, is_writable=False),
        AccountMeta(payer, is_signer=True, is_writable=True),
        AccountMeta(SYSTEM_PROGRAM_ID, is_signer=False, is_writable=False),
    ]
    return Instruction(ADDRESS_LOOKUP_TABLE_PROGRAM_ID, data, metas), table


def extend_lookup_table(
    table: Pubkey, authority: Pubkey, payer: Pubkey, addresses: Sequence[Pubkey]
) -> Instruction:
    """``ExtendLookupTable``: appends ``addresses``; ``payer`` funds the larger account."""
    data = struct.pack("<IQ", _EXTEND, len(addresses)) + b"".join(bytes(a) for a in addresses)
    metas = [
        AccountMeta(table, is_signer=False, is_writable=True),
        AccountMeta(authority, is_signer=True, is_writable=False),
        AccountMeta(payer, is_signer=True, is_writable=True),
        AccountMeta(SYSTEM_PROGRAM_ID, is_signer=False, is_writable=False),
    ]
    return Instruction(ADDRESS_LOOKUP_TABLE_PROGRAM_ID, data, metas)


def unique(addresses: Sequence[Pubkey]) -> list[Pubkey]:
    """``addresses`` without repeats, first occurrence order."""
    return list(dict.fromkeys(addresses))


def v0_transaction(
    instructions: Sequence[Instruction],
    payer: Keypair,
    signers: Sequence[Keypair],
    blockhash: Hash,
    tables: Sequence[AddressLookupTableAccount],
) -> VersionedTransaction:
    """A signed v0 transaction (payer first) resolving non-signer accounts through ``tables`` (none is
    allowed: still a v0 message)."""
    message = MessageV0.try_compile(payer.pubkey(), list(instructions), list(tables), blockhash)
    return VersionedTransaction(message, list({bytes(k.pubkey()): k for k in (payer, *signers)}.values()))


def transaction_size(tx: VersionedTransaction) -> int:
    return len(bytes(tx))


# -- JSON-RPC ---------------------------------------------------------------------------------------------


async def send_v0(
    connection: AsyncClient,
    instructions: Sequence[Instruction],
    payer: Keypair,
    signers: Sequence[Keypair] = (),
    tables: Sequence[AddressLookupTableAccount] = (),
    *,
    commitment: Commitment = Confirmed,
    coders: Sequence[ProgramCoder] = (),
) -> Landed:
    """Send a v0 transaction using ``tables`` (:func:`solgrid.sdk.transactions.send_and_confirm`)."""
    return await send_and_confirm(
        connection, instructions, payer, signers, tables=tables, commitment=commitment, coders=coders
    )


async def _wait_for_slot_after(connection: AsyncClient, slot: int, commitment: Commitment) -> None:
    async def passed(current: int) -> bool:
        return current > slot

    await _poll_slots(connection, commitment, passed, f"slot {slot + 1}")


async def _poll_slots(
    connection: AsyncClient, commitment: Commitment, done: Callable[[int], Awaitable[bool]], what: str
) -> int:
    """Poll ``getSlot(commitment)`` until ``done(slot)``; gives up when the slot stops moving."""
    loop = asyncio.get_running_loop()
    seen, stalled_since = -1, loop.time()
    while True:
        current = (await connection.get_slot(commitment)).value
        if await done(current):
            return current
        if current != seen:
            seen, stalled_since = current, loop.time()
        elif loop.time() - stalled_since > STALL_SECS:
            raise TransactionFailed(
                f"waiting for {what}: the cluster's {commitment} slot stayed at {current} for "
                f"{STALL_SECS:.0f} s"
            )
        await asyncio.sleep(POLL_SECS)


async def recent_slot_for_table(connection: AsyncClient, authority: Pubkey, *, after: int = -1) -> int:
    """A ``recent_slot`` for a new table of ``authority``: the finalized slot (newer than ``after``) from
    which ``authority`` has no table yet (same slot, same address), once the cluster has a confirmed
    block after it (right after genesis the finalized slot is the tip itself)."""
    newest_used = after

    async def unused(finalized: int) -> bool:
        nonlocal newest_used
        if finalized <= newest_used:
            return False
        table, _ = derive_lookup_table_address(authority, finalized)
        if (await connection.get_account_info(table, Confirmed)).value is not None:
            newest_used = finalized
            return False
        return True

    slot = await _poll_slots(connection, Finalized, unused, f"a finalized slot after {newest_used}")
    await _wait_for_slot_after(connection, slot, Confirmed)
    return slot


async def create_lookup_table_rpc(
    connection: AsyncClient,
    payer: Keypair,
    addresses: Sequence[Pubkey],
    *,
    commitment: Commitment = Confirmed,
) -> AddressLookupTableAccount:
    """Create a table owned by ``payer`` holding ``addresses`` (deduplicated) and wait until it is usable.

    The table is created from the finalized slot (:func:`recent_slot_for_table`); if that slot has left
    SlotHashes by the time the transaction runs (finality lagging 512 slots behind), once more from a
    fresh one. At ``finalized`` commitment the transactions are sent and confirmed at ``confirmed`` (a
    finalized bank does not list its own slot, nor hold a table created after it), and the table is
    returned once its last extension is finalized.
    """
    wanted = unique(addresses)
    first, rest = wanted[:EXTEND_CHUNK], wanted[EXTEND_CHUNK:]
    send_commitment = Confirmed if commitment == Finalized else commitment
    recent_slot = await recent_slot_for_table(connection, payer.pubkey())
    for attempt in range(2):
        create, table = create_lookup_table(payer.pubkey(), payer.pubkey(), recent_slot)
        try:
            landed = await send_and_confirm(
                connection,
                [create, extend_lookup_table(table, payer.pubkey(), payer.pubkey(), first)],
                payer,
                commitment=send_commitment,
            )
            break
        except TransactionFailed as e:
            if attempt > 0 or not any(NOT_RECENT in line for line in e.logs):
                raise
            recent_slot = await recent_slot_for_table(connection, payer.pubkey(), after=recent_slot)
    last_slot = landed.slot
    for start in range(0, len(rest), EXTEND_CHUNK):
        chunk = rest[start : start + EXTEND_CHUNK]
        ix = extend_lookup_table(table, payer.pubkey(), payer.pubkey(), chunk)
        last_slot = (await send_and_confirm(connection, [ix], payer, commitment=send_commitment)).slot
    await _wait_for_slot_after(connection, last_slot, commitment)
    return AddressLookupTableAccount(table, wanted)
