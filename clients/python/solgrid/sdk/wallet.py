"""Wallet-level operations over JSON-RPC that the CLI (and any other client) shares.

* GRID transfers: an SPL ``transfer_checked`` (the decimals are checked on-chain, so a wrong mint or
  scale cannot slip through), preceded by an idempotent creation of the recipient's associated GRID
  account when it does not exist yet; :func:`check_recipient` tells which, and refuses an address that
  is itself a token account or mint (GRID sent to its associated account could never be spent);
* the meters a wallet owns: ``getProgramAccounts`` on the registry with the Meter discriminator and a
  ``memcmp`` on the owner field, whose offset is computed from ``idl/registry.json`` (never hard-coded);
* a wallet's history: ``getSignaturesForAddress`` + ``getTransaction`` with the SolGrid events decoded
  from each transaction's logs and the wallet's SOL and GRID changes (from the transaction's pre/post
  balances and token balances), as plain JSON-ready values.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from enum import Enum
from typing import Any, TypeVar

import base58
from solana.rpc.async_api import AsyncClient
from solana.rpc.commitment import Commitment, Confirmed
from solana.rpc.types import MemcmpOpts
from solders.instruction import Instruction
from solders.pubkey import Pubkey
from spl.token.constants import TOKEN_2022_PROGRAM_ID, TOKEN_PROGRAM_ID
from spl.token.instructions import TransferCheckedParams, transfer_checked

from solgrid.errors import UserFacingError
from solgrid.sdk.certificates import CertificatesClient
from solgrid.sdk.energy_token import DECIMALS, TOKEN_ACCOUNT_LEN, EnergyTokenClient
from solgrid.sdk.idl import account_field_offset
from solgrid.sdk.registry import Meter, RegistryClient

S = TypeVar("S")


class InsufficientGrid(UserFacingError):
    """A transfer asks for more GRID than the sender holds."""


class NotAWallet(UserFacingError):
    """A transfer recipient is a token account or mint, not a wallet."""


@dataclass(frozen=True)
class Recipient:
    """What a GRID transfer to ``wallet`` needs to know before it is built."""

    wallet: Pubkey
    grid_account: Pubkey
    has_grid_account: bool
    rent_lamports: int
    """Rent the payer deposits to create ``grid_account`` (0 when it exists)."""


async def check_recipient(connection: AsyncClient, token: EnergyTokenClient, wallet: Pubkey) -> Recipient:
    """Whether ``wallet`` already has its associated GRID account (and the rent to create it if not).

    Raises :class:`NotAWallet` when ``wallet`` is an account of the SPL Token programs (a token account
    such as someone's GRID account, or a mint): the usual mistake of pasting a token account address,
    which would create a GRID account owned by an address that can never sign.
    """
    grid_account = token.grid_account(wallet)
    found = (await connection.get_multiple_accounts([wallet, grid_account])).value
    if found[0] is not None and found[0].owner in (TOKEN_PROGRAM_ID, TOKEN_2022_PROGRAM_ID):
        raise NotAWallet(
            f"{wallet} is a token account or mint, not a wallet: give the recipient's wallet address"
        )
    if found[1] is not None:
        return Recipient(wallet, grid_account, True, 0)
    rent = (await connection.get_minimum_balance_for_rent_exemption(TOKEN_ACCOUNT_LEN)).value
    return Recipient(wallet, grid_account, False, rent)


def grid_transfer(
    token: EnergyTokenClient,
    *,
    sender: Pubkey,
    recipient: Pubkey,
    amount: int,
    payer: Pubkey | None = None,
    create_recipient_account: bool = True,
) -> list[Instruction]:
    """Instructions moving ``amount`` GRID base units from ``sender``'s associated GRID account to
    ``recipient``'s, first creating the latter (idempotently, funded by ``payer``, default the sender)
    unless ``create_recipient_account`` is false (it is known to exist)."""
    if amount <= 0:
        raise ValueError(f"a transfer needs a positive amount, got {amount}")
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
    if not create_recipient_account:
        return [move]
    return [token.create_grid_account(payer=payer or sender, owner=recipient), move]


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
    """One transaction touching a wallet, with the SolGrid events it emitted and what it changed."""

    signature: str
    slot: int
    block_time: int | None
    error: str | None
    events: list[dict[str, Any]]
    lamports_change: int
    """The address's SOL change in lamports (fees and rent included)."""
    grid_change_base_units: int
    """The change of the GRID held in token accounts the address owns, in base units."""

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
    """The ``limit`` most recent transactions of ``address`` or of its associated GRID account (newest
    first) with decoded events. The GRID account is asked too because a GRID transfer names only the token
    accounts, not the wallets owning them."""
    listings = [
        (await connection.get_signatures_for_address(account, limit=limit, commitment=commitment)).value
        for account in (address, token.grid_account(address))
    ]
    signatures = merge_newest_first(
        listings, key=lambda status: str(status.signature), slot=lambda status: status.slot
    )[:limit]
    governance = CertificatesClient(registry=registry)
    sources: list[tuple[str, EventSource]] = [
        ("registry", registry.events),
        ("energy_token", token.events),
        ("governance", governance.program_events),
    ]
    entries = []
    for status in signatures:
        fetched = await connection.get_transaction(
            status.signature, "json", commitment, max_supported_transaction_version=0
        )
        tx = fetched.value.transaction if fetched.value is not None else None
        meta = tx.meta if tx is not None else None
        logs = list(meta.log_messages or []) if meta is not None else []
        keys = _account_keys(tx) if tx is not None else []
        entries.append(
            HistoryEntry(
                signature=str(status.signature),
                slot=status.slot,
                block_time=status.block_time,
                error=None if status.err is None else str(status.err),
                events=decode_events(logs, sources),
                lamports_change=_lamports_change(meta, keys, address),
                grid_change_base_units=_token_change(meta, token.mint, address),
            )
        )
    return entries


def merge_newest_first(
    listings: Sequence[Sequence[S]], key: Callable[[S], str], slot: Callable[[S], int]
) -> list[S]:
    """Merge newest-first signature listings (``getSignaturesForAddress`` of several accounts) into one,
    without duplicates: by slot, and within a slot in an order every listing agrees with (a transaction
    listed by two accounts is emitted after whatever precedes it in either)."""
    positions = [0] * len(listings)
    emitted: set[str] = set()
    merged: list[S] = []
    while True:
        heads: list[tuple[int, S]] = []
        for i, listing in enumerate(listings):
            while positions[i] < len(listing) and key(listing[positions[i]]) in emitted:
                positions[i] += 1
            if positions[i] < len(listing):
                heads.append((i, listing[positions[i]]))
        if not heads:
            return merged
        later = {key(item) for i, listing in enumerate(listings) for item in listing[positions[i] + 1 :]}
        free = [(i, item) for i, item in heads if key(item) not in later] or heads
        _, chosen = max(free, key=lambda head: (slot(head[1]), -head[0]))
        emitted.add(key(chosen))
        merged.append(chosen)


def _account_keys(tx: Any) -> list[Pubkey]:
    """The transaction's account keys in index order: the message's, then those loaded from tables."""
    message = tx.transaction.message
    keys = list(getattr(message, "account_keys", []))
    loaded = tx.meta.loaded_addresses if tx.meta is not None else None
    if loaded is not None:
        keys += [*loaded.writable, *loaded.readonly]
    return keys


def _lamports_change(meta: Any, keys: list[Pubkey], address: Pubkey) -> int:
    if meta is None or address not in keys:
        return 0
    index = keys.index(address)
    return int(meta.post_balances[index]) - int(meta.pre_balances[index])


def _token_change(meta: Any, mint: Pubkey, owner: Pubkey) -> int:
    if meta is None:
        return 0

    def held(balances: Any) -> int:
        return sum(
            int(b.ui_token_amount.amount) for b in balances or [] if b.mint == mint and b.owner == owner
        )

    return held(meta.post_token_balances) - held(meta.pre_token_balances)


EventSource = Callable[[list[str]], Sequence[object]]
"""A program's event decoder: a transaction's log messages to its events, in order."""


def decode_events(logs: list[str], programs: Sequence[tuple[str, EventSource]]) -> list[dict[str, Any]]:
    """``{"program", "name", "fields"}`` for each SolGrid event in ``logs`` (program by program)."""
    events = []
    for program, decode in programs:
        for event in decode(logs):
            events.append({"program": program, "name": type(event).__name__, "fields": plain(event)})
    return events
