"""A program's IDL on-chain in Anchor's IDL account, where ``Program.at`` of Anchor's TypeScript client
(0.32) and anchorpy read it (``solgrid_program_kit::idl_account`` says why this account and not the
program-metadata program).

The account sits at ``create_with_seed(find_program_address([], program_id), "anchor:idl", program_id)``
and holds an 8-byte discriminator, the authority, a u32 length and the zlib-compressed IDL JSON.
:func:`publish_idl` does what ``anchor idl init`` / ``anchor idl upgrade`` do: create the account and
write the IDL in chunks, or write a buffer and copy it over with ``SetBuffer``; it does nothing when the
account already holds the same IDL. Creating needs the program's upgrade authority.
"""

from __future__ import annotations

import struct
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from enum import Enum

from solana.rpc.async_api import AsyncClient
from solana.rpc.commitment import Commitment, Confirmed
from solders.hash import Hash
from solders.instruction import AccountMeta, Instruction
from solders.keypair import Keypair
from solders.message import Message
from solders.pubkey import Pubkey
from solders.system_program import ID as SYSTEM_PROGRAM
from solders.system_program import CreateAccountParams, create_account
from solders.transaction import VersionedTransaction

from solgrid.errors import UserFacingError
from solgrid.sdk import loader
from solgrid.sdk.transactions import send_and_confirm

IDL_IX_TAG = struct.pack("<Q", 0x0A69E9A778BCF440)
"""The first 8 bytes of every IDL instruction (``sha256("anchor:idl")[..8]`` reversed, as Anchor sends it)."""
IDL_SEED = "anchor:idl"
IDL_ACCOUNT_DISCRIMINATOR = bytes([24, 70, 98, 191, 58, 144, 123, 158])
"""``sha256("internal:IdlAccount")[..8]``."""
HEADER_LEN = 44
MAX_CREATE_SPACE = 10_000
MAX_RESIZE_STEP = 10_240
PACKET_DATA_SIZE = 1232

CREATE, CREATE_BUFFER, WRITE, SET_BUFFER, SET_AUTHORITY, CLOSE, RESIZE = range(7)


class IdlPublishError(UserFacingError):
    """The IDL could not be published; the message says why."""


class IdlAction(Enum):
    CREATED = "created"
    UPGRADED = "upgraded"
    UNCHANGED = "unchanged"


@dataclass(frozen=True)
class IdlPublished:
    address: Pubkey
    action: IdlAction
    compressed_len: int
    transactions: int


def idl_address(program_id: Pubkey) -> Pubkey:
    base = Pubkey.find_program_address([], program_id)[0]
    return Pubkey.create_with_seed(base, IDL_SEED, program_id)


def _ix(program_id: Pubkey, variant: int, fields: bytes, accounts: list[AccountMeta]) -> Instruction:
    return Instruction(program_id, IDL_IX_TAG + bytes([variant]) + fields, accounts)


def create(program_id: Pubkey, authority: Pubkey, data_len: int) -> Instruction:
    """``Create``: the IDL account with room for ``data_len`` bytes (at most 10,000 bytes of space)."""
    base = Pubkey.find_program_address([], program_id)[0]
    return _ix(
        program_id,
        CREATE,
        struct.pack("<Q", data_len),
        [
            AccountMeta(authority, True, True),
            AccountMeta(idl_address(program_id), False, True),
            AccountMeta(base, False, False),
            AccountMeta(SYSTEM_PROGRAM, False, False),
            AccountMeta(program_id, False, False),
            AccountMeta(loader.programdata_address(program_id), False, False),
        ],
    )


def create_buffer(program_id: Pubkey, buffer: Pubkey, authority: Pubkey) -> Instruction:
    accounts = [AccountMeta(buffer, False, True), AccountMeta(authority, True, False)]
    return _ix(program_id, CREATE_BUFFER, b"", accounts)


def write(program_id: Pubkey, target: Pubkey, authority: Pubkey, data: bytes) -> Instruction:
    accounts = [AccountMeta(target, False, True), AccountMeta(authority, True, False)]
    return _ix(program_id, WRITE, struct.pack("<I", len(data)) + data, accounts)


def set_buffer(program_id: Pubkey, buffer: Pubkey, authority: Pubkey) -> Instruction:
    accounts = [
        AccountMeta(buffer, False, True),
        AccountMeta(idl_address(program_id), False, True),
        AccountMeta(authority, True, False),
    ]
    return _ix(program_id, SET_BUFFER, b"", accounts)


def set_authority(
    program_id: Pubkey, target: Pubkey, authority: Pubkey, new_authority: Pubkey
) -> Instruction:
    accounts = [AccountMeta(target, False, True), AccountMeta(authority, True, False)]
    return _ix(program_id, SET_AUTHORITY, bytes(new_authority), accounts)


def close(program_id: Pubkey, target: Pubkey, authority: Pubkey, destination: Pubkey) -> Instruction:
    accounts = [
        AccountMeta(target, False, True),
        AccountMeta(authority, True, False),
        AccountMeta(destination, False, True),
    ]
    return _ix(program_id, CLOSE, b"", accounts)


def resize(program_id: Pubkey, target: Pubkey, authority: Pubkey, data_len: int) -> Instruction:
    """``Resize``: grow ``target`` toward ``data_len`` bytes of account space (10,240 per instruction)."""
    accounts = [
        AccountMeta(target, False, True),
        AccountMeta(authority, True, True),
        AccountMeta(SYSTEM_PROGRAM, False, False),
    ]
    return _ix(program_id, RESIZE, struct.pack("<Q", data_len), accounts)


@dataclass(frozen=True)
class IdlAccount:
    authority: Pubkey
    data: bytes
    """The compressed IDL (``data_len`` bytes)."""
    capacity: int
    """Account space after the header."""


def encode_idl_account(authority: Pubkey, idl_json: bytes) -> bytes:
    """The bytes of an IDL account holding ``idl_json`` (zlib-compressed), as ``Create`` and ``Write``
    leave it; for accounts placed at genesis."""
    compressed = zlib.compress(idl_json, 9)
    return IDL_ACCOUNT_DISCRIMINATOR + bytes(authority) + struct.pack("<I", len(compressed)) + compressed


def decode_idl_account(raw: bytes) -> IdlAccount:
    if len(raw) < HEADER_LEN or raw[:8] != IDL_ACCOUNT_DISCRIMINATOR:
        raise IdlPublishError("the account is not an Anchor IDL account")
    (length,) = struct.unpack_from("<I", raw, 40)
    if HEADER_LEN + length > len(raw):
        raise IdlPublishError("the IDL account's length exceeds its data")
    return IdlAccount(
        Pubkey.from_bytes(raw[8:40]), raw[HEADER_LEN : HEADER_LEN + length], len(raw) - HEADER_LEN
    )


def inflate_idl(compressed: bytes) -> bytes | None:
    """An IDL account's JSON, or None when its data is not a whole zlib stream (a publish that stopped
    between ``Create`` and its last ``Write``)."""
    inflater = zlib.decompressobj()
    try:
        idl_json = inflater.decompress(compressed)
    except zlib.error:
        return None
    return idl_json if inflater.eof and not inflater.unused_data else None


async def fetch_idl_json(
    client: AsyncClient, program_id: Pubkey, commitment: Commitment = Confirmed
) -> bytes | None:
    """The IDL JSON published for ``program_id``, or None if there is none."""
    account = (await client.get_account_info(idl_address(program_id), commitment)).value
    if account is None:
        return None
    idl_json = inflate_idl(decode_idl_account(bytes(account.data)).data)
    if idl_json is None:
        raise IdlPublishError(
            f"the IDL account of {program_id} holds no whole IDL (a publish that stopped halfway?): "
            "publish it again"
        )
    return idl_json


def write_chunk_size(program_id: Pubkey, payer: Keypair) -> int:
    """The largest ``Write`` payload whose transaction (payer = authority) fits in a packet."""
    target = Pubkey.default()
    for size in range(PACKET_DATA_SIZE, 0, -1):
        message = Message.new_with_blockhash(
            [write(program_id, target, payer.pubkey(), bytes(size))], payer.pubkey(), Hash.default()
        )
        if len(bytes(VersionedTransaction(message, [payer]))) <= PACKET_DATA_SIZE:
            return size
    raise IdlPublishError("no room for IDL bytes in a write transaction")


Progress = Callable[[str], None]


def _quiet(_message: str) -> None:
    return None


async def publish_idl(
    client: AsyncClient,
    authority: Keypair,
    program_id: Pubkey,
    idl_json: bytes,
    *,
    commitment: Commitment = Confirmed,
    progress: Progress = _quiet,
) -> IdlPublished:
    """Publish ``idl_json`` as ``program_id``'s on-chain IDL, ``authority`` paying and signing.

    Creates the IDL account if absent (``authority`` must be the program's upgrade authority), else
    writes a buffer and copies it over (``authority`` must be the IDL's authority), growing the IDL
    account first if needed; nothing is sent when the account already holds ``idl_json``. An account
    left without a whole IDL by a publish that stopped halfway is upgraded the same way.
    """
    address = idl_address(program_id)
    compressed = zlib.compress(idl_json, 9)
    account = (await client.get_account_info(address, commitment)).value
    sent = 0

    async def send(instructions: list[Instruction], signers: tuple[Keypair, ...] = ()) -> None:
        nonlocal sent
        await send_and_confirm(client, instructions, authority, signers, commitment=commitment)
        sent += 1

    async def grow(target: Pubkey, capacity: int) -> None:
        space = HEADER_LEN + capacity
        wanted = HEADER_LEN + len(compressed)
        while space < wanted:
            await send([resize(program_id, target, authority.pubkey(), wanted)])
            space = min(wanted, space + MAX_RESIZE_STEP)

    async def write_all(target: Pubkey) -> None:
        chunk = write_chunk_size(program_id, authority)
        for offset in range(0, len(compressed), chunk):
            await send([write(program_id, target, authority.pubkey(), compressed[offset : offset + chunk])])

    if account is None:
        progress(f"creating the IDL account {address} ({len(compressed)} bytes compressed)")
        await send([create(program_id, authority.pubkey(), len(compressed))])
        await grow(address, min(MAX_CREATE_SPACE, HEADER_LEN + len(compressed)) - HEADER_LEN)
        await write_all(address)
        return IdlPublished(address, IdlAction.CREATED, len(compressed), sent)

    current = decode_idl_account(bytes(account.data))
    # An account a stopped publish left unreadable is replaced like any other IDL.
    if inflate_idl(current.data) == idl_json:
        return IdlPublished(address, IdlAction.UNCHANGED, len(current.data), 0)
    if current.authority != authority.pubkey():
        raise IdlPublishError(
            f"the IDL of {program_id} has authority {current.authority}, not {authority.pubkey()}"
        )
    buffer = Keypair()
    space = HEADER_LEN + len(compressed)
    rent = (await client.get_minimum_balance_for_rent_exemption(space, commitment)).value
    progress(f"upgrading the IDL account {address} through buffer {buffer.pubkey()}")
    await send(
        [
            create_account(
                CreateAccountParams(
                    from_pubkey=authority.pubkey(),
                    to_pubkey=buffer.pubkey(),
                    lamports=rent,
                    space=space,
                    owner=program_id,
                )
            ),
            create_buffer(program_id, buffer.pubkey(), authority.pubkey()),
        ],
        (buffer,),
    )
    try:
        await write_all(buffer.pubkey())
        await grow(address, current.capacity)
        await send(
            [
                set_buffer(program_id, buffer.pubkey(), authority.pubkey()),
                close(program_id, buffer.pubkey(), authority.pubkey(), authority.pubkey()),
            ]
        )
    except Exception as failure:
        if await _upgraded_despite(client, address, buffer.pubkey(), idl_json, commitment):
            # SetBuffer and Close landed though their confirmation failed.
            return IdlPublished(address, IdlAction.UPGRADED, len(compressed), sent)
        where = f"buffer {buffer.pubkey()} (authority {authority.pubkey()}, {rent} lamports)"
        try:
            await send([close(program_id, buffer.pubkey(), authority.pubkey(), authority.pubkey())])
        except Exception as cleanup:
            failure.add_note(f"the IDL upgrade stopped; {where} could not be closed: {cleanup}")
            progress(f"the IDL upgrade stopped; {where} is left: the IDL's Close returns its lamports")
        raise
    except BaseException:
        # Interrupted (Ctrl-C, cancellation): nothing more is sent, but the buffer is named.
        progress(f"the IDL upgrade was interrupted; buffer {buffer.pubkey()} may be left (the IDL's Close)")
        raise
    return IdlPublished(address, IdlAction.UPGRADED, len(compressed), sent)


async def _upgraded_despite(
    client: AsyncClient, address: Pubkey, buffer: Pubkey, idl_json: bytes, commitment: Commitment
) -> bool:
    """Whether an upgrade whose last transaction reported a failure went through all the same: the buffer
    is gone and the IDL account holds ``idl_json``. False when the node cannot tell."""
    try:
        if (await client.get_account_info(buffer, commitment)).value is not None:
            return False
        account = (await client.get_account_info(address, commitment)).value
    except Exception:
        return False
    return account is not None and inflate_idl(decode_idl_account(bytes(account.data)).data) == idl_json
