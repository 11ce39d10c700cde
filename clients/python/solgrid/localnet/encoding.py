"""Account encodings of the RPC: base58, base64, base64+zstd and jsonParsed, with data slices.

jsonParsed is implemented for SPL Token / Token-2022 accounts, mints and multisigs (what
getTokenAccountsByOwner users ask for); any other account falls back to base64, as a validator does for
programs it has no parser for.
"""

from __future__ import annotations

import base64
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import base58
import zstandard
from solders.account import Account
from solders.pubkey import Pubkey

from solgrid.localnet import tokens
from solgrid.localnet.rpc_errors import INVALID_PARAMS, RpcError, invalid_param

BASE58 = "base58"
BASE64 = "base64"
BASE64_ZSTD = "base64+zstd"
JSON_PARSED = "jsonParsed"
BINARY = "binary"
"""Deprecated alias of base58 whose data is a bare string; old clients still send it."""

ACCOUNT_ENCODINGS = frozenset({BASE58, BASE64, BASE64_ZSTD, JSON_PARSED, BINARY})
MAX_BASE58_BYTES = 128

_ZSTD = zstandard.ZstdCompressor()

MintDecimals = Callable[[Pubkey], "int | None"]


@dataclass(frozen=True)
class DataSlice:
    offset: int
    length: int

    def apply(self, data: bytes) -> bytes:
        return data[self.offset : self.offset + self.length]


def parse_account_encoding(value: Any, default: str = BINARY) -> str:
    if value is None:
        return default
    if value not in ACCOUNT_ENCODINGS:
        raise invalid_param(f"unknown variant `{value}`, expected one of {sorted(ACCOUNT_ENCODINGS)}")
    return str(value)


def parse_data_slice(value: Any) -> DataSlice | None:
    if value is None:
        return None
    if not isinstance(value, dict):
        raise invalid_param("dataSlice must be an object {offset, length}")
    offset, length = value.get("offset"), value.get("length")
    if (
        not isinstance(offset, int)
        or not isinstance(length, int)
        or not (_is_u64(offset) and _is_u64(length))
    ):
        raise invalid_param("dataSlice offset and length must be non-negative integers")
    return DataSlice(offset, length)


def _is_u64(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and 0 <= value < 2**64


def encode_data(data: bytes, encoding: str) -> Any:
    """``data`` in a binary encoding (not jsonParsed)."""
    if encoding in (BASE58, BINARY):
        if len(data) > MAX_BASE58_BYTES:
            raise RpcError(
                INVALID_PARAMS,
                f"Encoded binary (base 58) data should be less than {MAX_BASE58_BYTES} bytes, "
                "please use Base64 encoding.",
            )
        text = base58.b58encode(data).decode()
        return text if encoding == BINARY else [text, BASE58]
    if encoding == BASE64_ZSTD:
        return [base64.b64encode(_ZSTD.compress(data)).decode(), BASE64_ZSTD]
    return [base64.b64encode(data).decode(), BASE64]


def encode_account(
    account: Account,
    encoding: str,
    data_slice: DataSlice | None = None,
    mint_decimals: MintDecimals | None = None,
) -> dict[str, Any]:
    """The RPC's UiAccount for ``account``."""
    raw = bytes(account.data)
    data: Any = None
    if encoding == JSON_PARSED and account.owner in tokens.TOKEN_PROGRAM_IDS:
        data = _token_json(account.owner, raw, mint_decimals)
    if data is None:
        binary = BASE64 if encoding == JSON_PARSED else encoding
        data = encode_data(data_slice.apply(raw) if data_slice else raw, binary)
    return {
        "data": data,
        "executable": account.executable,
        "lamports": account.lamports,
        "owner": str(account.owner),
        "rentEpoch": account.rent_epoch,
        "space": len(raw),
    }


def _token_json(program: Pubkey, raw: bytes, mint_decimals: MintDecimals | None) -> dict[str, Any] | None:
    decimals: int | None = None
    account = tokens.parse_token_account(program, raw)
    if account is not None and mint_decimals is not None:
        decimals = mint_decimals(account.mint)
    return tokens.parsed_token_data(program, raw, decimals)


def decode_bytes_param(text: Any, encoding: str, what: str) -> bytes:
    """Bytes sent by a client in base58 or base64 (memcmp filters, transactions, messages)."""
    if not isinstance(text, str):
        raise invalid_param(f"{what} must be a string")
    try:
        if encoding == BASE58:
            return base58.b58decode(text)
        if encoding == BASE64:
            return base64.b64decode(text, validate=True)
    except ValueError as e:
        raise invalid_param(f"invalid {encoding} {what}: {e}") from None
    raise invalid_param(f"unsupported encoding `{encoding}` for {what}")
