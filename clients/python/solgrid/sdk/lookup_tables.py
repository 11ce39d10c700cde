"""Address lookup tables and v0 transactions over JSON-RPC (in-process helpers: ``solgrid.localnet.svm``).

A ``submit_readings`` batch of 6 readings carries ~900 bytes of signatures, keys and messages in its
Ed25519 instruction; with every registry account (config, instructions sysvar, meters, users, zones)
spelled out as a 32-byte key the transaction passes the 1232-byte limit. A v0 message that looks the
accounts up in a table costs one byte per account instead. This module creates and extends such a table
(the AddressLookupTable program's ``CreateLookupTable`` and ``ExtendLookupTable``) and sends v0
transactions that use it.

Addresses appended to a table become usable in the slot after the extension, so the helpers wait for
the next slot before returning the table.
"""

from __future__ import annotations

import asyncio
import struct
from collections.abc import Sequence

from solana.rpc.async_api import AsyncClient
from solana.rpc.commitment import Commitment, Confirmed
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
    for _ in range(200):
        if (await connection.get_slot(commitment)).value > slot:
            return
        await asyncio.sleep(0.05)
    raise TransactionFailed(f"the cluster did not advance past slot {slot}; the lookup table is not usable")


async def create_lookup_table_rpc(
    connection: AsyncClient,
    payer: Keypair,
    addresses: Sequence[Pubkey],
    *,
    commitment: Commitment = Confirmed,
) -> AddressLookupTableAccount:
    """Create a table owned by ``payer`` holding ``addresses`` (deduplicated) and wait until it is usable."""
    wanted = unique(addresses)
    recent_slot = (await connection.get_slot(commitment)).value
    create, table = create_lookup_table(payer.pubkey(), payer.pubkey(), recent_slot)
    first, rest = wanted[:EXTEND_CHUNK], wanted[EXTEND_CHUNK:]
    landed = await send_and_confirm(
        connection,
        [create, extend_lookup_table(table, payer.pubkey(), payer.pubkey(), first)],
        payer,
        commitment=commitment,
    )
    last_slot = landed.slot
    for start in range(0, len(rest), EXTEND_CHUNK):
        chunk = rest[start : start + EXTEND_CHUNK]
        ix = extend_lookup_table(table, payer.pubkey(), payer.pubkey(), chunk)
        last_slot = (await send_and_confirm(connection, [ix], payer, commitment=commitment)).slot
    await _wait_for_slot_after(connection, last_slot, commitment)
    return AddressLookupTableAccount(table, wanted)
