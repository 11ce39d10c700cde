"""SPL Token account and mint layouts, and their RPC forms (UiTokenAmount, jsonParsed, token balances).

Layouts (SPL Token; Token-2022 uses the same base layout, followed by an account-type byte at offset 165
and TLV extensions):

* Account, 165 bytes: mint[32] owner[32] amount:u64 delegate:COption<Pubkey> state:u8
  is_native:COption<u64> delegated_amount:u64 close_authority:COption<Pubkey>
* Mint, 82 bytes: mint_authority:COption<Pubkey> supply:u64 decimals:u8 is_initialized:bool
  freeze_authority:COption<Pubkey>
* Multisig, 355 bytes: m:u8 n:u8 is_initialized:bool signers[11][32]

COption is a u32 tag (0 none, 1 some) followed by the value. Token-2022 extensions are not decoded: a
Token-2022 account or mint that carries extensions is served in base64 when jsonParsed is asked for, as
a validator does for data it cannot parse.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass
from typing import Any

from solders.pubkey import Pubkey

TOKEN_PROGRAM_ID = Pubkey.from_string("TokenkegQfeZyiNwAJbNbGKPFXCWuBvf9Ss623VQ5DA")
TOKEN_2022_PROGRAM_ID = Pubkey.from_string("TokenzQdBNbLqP5VEhdkAS6EPFLC1PHnBqCXEpPxuEb")
TOKEN_PROGRAM_IDS = frozenset({TOKEN_PROGRAM_ID, TOKEN_2022_PROGRAM_ID})

ACCOUNT_LEN = 165
MINT_LEN = 82
MULTISIG_LEN = 355
_ACCOUNT_TYPE_OFFSET = 165
_ACCOUNT_TYPE_MINT = 1
_ACCOUNT_TYPE_ACCOUNT = 2

_STATES = {1: "initialized", 2: "frozen"}


@dataclass(frozen=True)
class TokenAccount:
    mint: Pubkey
    owner: Pubkey
    amount: int
    delegate: Pubkey | None
    state: int
    is_native: int | None
    delegated_amount: int
    close_authority: Pubkey | None
    has_extensions: bool


@dataclass(frozen=True)
class Mint:
    mint_authority: Pubkey | None
    supply: int
    decimals: int
    is_initialized: bool
    freeze_authority: Pubkey | None
    has_extensions: bool


def _coption_pubkey(data: bytes, offset: int) -> Pubkey | None:
    (tag,) = struct.unpack_from("<I", data, offset)
    return Pubkey.from_bytes(data[offset + 4 : offset + 36]) if tag == 1 else None


def _coption_u64(data: bytes, offset: int) -> int | None:
    tag, value = struct.unpack_from("<IQ", data, offset)
    return int(value) if tag == 1 else None


def _is_account_layout(program: Pubkey, data: bytes) -> bool:
    if len(data) == ACCOUNT_LEN:
        return True
    return (
        program == TOKEN_2022_PROGRAM_ID
        and len(data) > ACCOUNT_LEN
        and data[_ACCOUNT_TYPE_OFFSET] == _ACCOUNT_TYPE_ACCOUNT
    )


def _is_mint_layout(program: Pubkey, data: bytes) -> bool:
    if len(data) == MINT_LEN:
        return True
    return (
        program == TOKEN_2022_PROGRAM_ID
        and len(data) > ACCOUNT_LEN
        and data[_ACCOUNT_TYPE_OFFSET] == _ACCOUNT_TYPE_MINT
    )


def parse_token_account(program: Pubkey, data: bytes) -> TokenAccount | None:
    """The initialized token account in ``data`` (owned by ``program``), or None."""
    if program not in TOKEN_PROGRAM_IDS or not _is_account_layout(program, data):
        return None
    state = data[108]
    if state not in _STATES:
        return None
    return TokenAccount(
        mint=Pubkey.from_bytes(data[0:32]),
        owner=Pubkey.from_bytes(data[32:64]),
        amount=struct.unpack_from("<Q", data, 64)[0],
        delegate=_coption_pubkey(data, 72),
        state=state,
        is_native=_coption_u64(data, 109),
        delegated_amount=struct.unpack_from("<Q", data, 121)[0],
        close_authority=_coption_pubkey(data, 129),
        has_extensions=len(data) > ACCOUNT_LEN,
    )


def parse_mint(program: Pubkey, data: bytes) -> Mint | None:
    """The initialized mint in ``data`` (owned by ``program``), or None."""
    if program not in TOKEN_PROGRAM_IDS or not _is_mint_layout(program, data):
        return None
    if data[45] != 1:
        return None
    return Mint(
        mint_authority=_coption_pubkey(data, 0),
        supply=struct.unpack_from("<Q", data, 36)[0],
        decimals=data[44],
        is_initialized=True,
        freeze_authority=_coption_pubkey(data, 46),
        has_extensions=len(data) > ACCOUNT_LEN,
    )


def ui_amount_string(amount: int, decimals: int) -> str:
    """``amount`` scaled by ``decimals``, trailing zeros trimmed ("1.5", "100", "0")."""
    if decimals == 0:
        return str(amount)
    whole, fraction = divmod(amount, 10**decimals)
    fraction_text = str(fraction).rjust(decimals, "0").rstrip("0")
    return f"{whole}.{fraction_text}" if fraction_text else str(whole)


def ui_token_amount(amount: int, decimals: int) -> dict[str, Any]:
    """The RPC's UiTokenAmount."""
    return {
        "amount": str(amount),
        "decimals": decimals,
        "uiAmount": amount / 10**decimals,
        "uiAmountString": ui_amount_string(amount, decimals),
    }


def _optional(key: Pubkey | None) -> str | None:
    return None if key is None else str(key)


def parsed_token_data(program: Pubkey, data: bytes, mint_decimals: int | None) -> dict[str, Any] | None:
    """The jsonParsed ``data`` of a token-program account, or None when it cannot be parsed."""
    account = parse_token_account(program, data)
    if account is not None:
        if account.has_extensions or mint_decimals is None:
            return None
        info: dict[str, Any] = {
            "isNative": account.is_native is not None,
            "mint": str(account.mint),
            "owner": str(account.owner),
            "state": _STATES[account.state],
            "tokenAmount": ui_token_amount(account.amount, mint_decimals),
        }
        if account.delegate is not None:
            info["delegate"] = str(account.delegate)
            info["delegatedAmount"] = ui_token_amount(account.delegated_amount, mint_decimals)
        if account.is_native is not None:
            info["rentExemptReserve"] = ui_token_amount(account.is_native, mint_decimals)
        if account.close_authority is not None:
            info["closeAuthority"] = str(account.close_authority)
        return _parsed(program, len(data), "account", info)
    mint = parse_mint(program, data)
    if mint is not None:
        if mint.has_extensions:
            return None
        return _parsed(
            program,
            len(data),
            "mint",
            {
                "decimals": mint.decimals,
                "freezeAuthority": _optional(mint.freeze_authority),
                "isInitialized": mint.is_initialized,
                "mintAuthority": _optional(mint.mint_authority),
                "supply": str(mint.supply),
            },
        )
    if len(data) == MULTISIG_LEN and data[2] == 1:
        m, n = data[0], data[1]
        signers = [str(Pubkey.from_bytes(data[3 + 32 * i : 35 + 32 * i])) for i in range(n)]
        return _parsed(
            program,
            len(data),
            "multisig",
            {"isInitialized": True, "numRequiredSigners": m, "numValidSigners": n, "signers": signers},
        )
    return None


def _parsed(program: Pubkey, space: int, kind: str, info: dict[str, Any]) -> dict[str, Any]:
    name = "spl-token" if program == TOKEN_PROGRAM_ID else "spl-token-2022"
    return {"program": name, "parsed": {"info": info, "type": kind}, "space": space}
