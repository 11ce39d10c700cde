"""Wallet-level operations over JSON-RPC that the CLI (and any other client) shares.

* GRID transfers: an idempotent creation of the recipient's associated GRID account followed by an SPL
  ``transfer_checked`` (the decimals are checked on-chain, so a wrong mint or scale cannot slip through);
* the meters a wallet owns: ``getProgramAccounts`` on the registry with the Meter discriminator and a
  ``memcmp`` on the owner field, whose offset is computed from ``idl/registry.json`` (never hard-coded);
* a wallet's history: ``getSignaturesForAddress`` + ``getTransaction`` with the SolGrid events decoded
  from each transaction's logs, as plain JSON-ready values.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass
from enum import Enum
from typing import Any

import base58
from solana.rpc.async_api import AsyncClient
from solana.rpc.commitment import Commitment, Confirmed
from solana.rpc.types import MemcmpOpts
from solders.instruction import Instruction
from solders.pubkey import Pubkey
from spl.token.constants import TOKEN_PROGRAM_ID
from spl.token.instructions import TransferCheckedParams, transfer_checked

from solgrid.errors import UserFacingError
from solgrid.sdk.energy_token import DECIMALS, EnergyTokenClient
from solgrid.sdk.idl import load_idl_json
from solgrid.sdk.registry import Meter, RegistryClient

_FIXED_SIZES = {
    "u8": 1,
    "i8": 1,
    "bool": 1,
    "u16": 2,
    "i16": 2,
    "u32": 4,
    "i32": 4,
    "u64": 8,
    "i64": 8,
    "u128": 16,
    "i128": 16,
    "pubkey": 32,
}


class InsufficientGrid(UserFacingError):
    """A transfer asks for more GRID than the sender holds."""


def grid_transfer(
    token: EnergyTokenClient, *, sender: Pubkey, recipient: Pubkey, amount: int, payer: Pubkey | None = None
) -> list[Instruction]:
    """Instructions moving ``amount`` GRID base units from ``sender``'s associated GRID account to
    ``recipient``'s, creating the latter first if needed (funded by ``payer``, default the sender)."""
    if amount <= 0:
        raise ValueError(f"a transfer needs a positive amount, got {amount}")
    create = token.create_grid_account(payer=payer or sender, owner=recipient)
    move = transfer_checked(
        TransferCheckedParams(
            program_id=TOKEN_PROGRAM_ID,
            source=token.grid_account(sender),
            mint=token.mint,
            dest=token.grid_account(recipient),
            owner=sender,
            amount=amount,
            decimals=DECIMALS,
        )
    )
    return [create, move]


def account_field_offset(program: str, account: str, field: str) -> int:
    """Byte offset of ``field`` in ``account`` (after the 8-byte discriminator), from the IDL.

    Only fixed-size fields may precede it (arrays of fixed-size items, scalars, pubkeys), which holds
    for the registry's accounts; anything else raises, so a layout change cannot go unnoticed.
    """
    idl = load_idl_json(program)
    types = {t["name"]: t for t in idl["types"]}
    offset = 8
    for f in types[account]["type"]["fields"]:
        if f["name"] == field:
            return offset
        offset += _fixed_size(f["type"], types)
    raise KeyError(f"{account} has no field {field}")


def _fixed_size(ty: Any, types: dict[str, Any]) -> int:
    if isinstance(ty, str):
        return _FIXED_SIZES[ty]
    if "array" in ty:
        item, count = ty["array"]
        return int(count) * _fixed_size(item, types)
    if "defined" in ty:
        definition = types[ty["defined"]["name"]]["type"]
        if definition["kind"] == "enum" and all("fields" not in v for v in definition["variants"]):
            return 1
        if definition["kind"] == "struct":
            return sum(_fixed_size(f["type"], types) for f in definition["fields"])
    raise ValueError(f"type {ty} has no fixed size")


async def meters_of(
    connection: AsyncClient, registry: RegistryClient, owner: Pubkey
) -> list[tuple[Pubkey, Meter]]:
    """Every registry Meter owned by wallet ``owner`` (address and state), sorted by serial."""
    discriminator = registry.coder.account_discriminator("Meter")
    owner_offset = account_field_offset("registry", "Meter", "owner")
    filters: list[int | MemcmpOpts] = [
        MemcmpOpts(offset=0, bytes=base58.b58encode(discriminator).decode()),
        MemcmpOpts(offset=owner_offset, bytes=str(owner)),
    ]
    found = await connection.get_program_accounts(registry.program_id, encoding="base64", filters=filters)
    meters = [(keyed.pubkey, registry.decode_meter(bytes(keyed.account.data))) for keyed in found.value]
    return sorted(meters, key=lambda m: m[1].serial)


def plain(value: object) -> Any:
    """A JSON-ready value: pubkeys in base58, enums by name, NUL-padded text (serials, zone names) as text,
    other 32-byte values (Ed25519 device keys) in base58 like every Solana key, remaining bytes in hex."""
    if isinstance(value, Pubkey):
        return str(value)
    if isinstance(value, Enum):
        return value.name
    if isinstance(value, bytes | bytearray):
        text = bytes(value).rstrip(b"\0")
        if text and text.isascii() and text.decode().isprintable():
            return text.decode()
        if len(value) == 32:
            return str(Pubkey(bytes(value)))
        return bytes(value).hex()
    if isinstance(value, list | tuple):
        return [plain(v) for v in value]
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: plain(getattr(value, f.name)) for f in dataclasses.fields(value)}
    return value


@dataclass(frozen=True)
class HistoryEntry:
    """One transaction touching a wallet, with the SolGrid events it emitted."""

    signature: str
    slot: int
    block_time: int | None
    error: str | None
    events: list[dict[str, Any]]

    def as_json(self) -> dict[str, Any]:
        return dataclasses.asdict(self)


async def history(
    connection: AsyncClient,
    address: Pubkey,
    *,
    limit: int,
    registry: RegistryClient,
    token: EnergyTokenClient,
    commitment: Commitment = Confirmed,
) -> list[HistoryEntry]:
    """The ``limit`` most recent transactions of ``address`` (newest first) with decoded events."""
    signatures = (
        await connection.get_signatures_for_address(address, limit=limit, commitment=commitment)
    ).value
    entries = []
    for status in signatures:
        fetched = await connection.get_transaction(
            status.signature, "json", commitment, max_supported_transaction_version=0
        )
        meta = fetched.value.transaction.meta if fetched.value is not None else None
        logs = list(meta.log_messages or []) if meta is not None else []
        entries.append(
            HistoryEntry(
                signature=str(status.signature),
                slot=status.slot,
                block_time=status.block_time,
                error=None if status.err is None else str(status.err),
                events=decode_events(logs, [("registry", registry), ("energy_token", token)]),
            )
        )
    return entries


def decode_events(
    logs: list[str], programs: Sequence[tuple[str, RegistryClient | EnergyTokenClient]]
) -> list[dict[str, Any]]:
    """``{"program", "name", "fields"}`` for each SolGrid event in ``logs`` (program by program)."""
    events = []
    for program, client in programs:
        for event in client.events(logs):
            events.append({"program": program, "name": type(event).__name__, "fields": plain(event)})
    return events
