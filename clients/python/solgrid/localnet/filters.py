"""Account filters of getProgramAccounts and programSubscribe: dataSize, memcmp (base58 or base64
bytes) and tokenAccountState, with the validator's limits (4 filters, 128 memcmp bytes)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from solders.account import Account
from solders.pubkey import Pubkey

from solgrid.localnet import encoding as enc
from solgrid.localnet import tokens
from solgrid.localnet.params import parse_u64
from solgrid.localnet.rpc_errors import invalid_param, invalid_params

MAX_FILTERS = 4
MAX_MEMCMP_BYTES = 128

Filter = Callable[[Pubkey, Account], bool]


def parse_filters(value: Any) -> list[Filter]:
    """getProgramAccounts filters: dataSize, memcmp (base58/base64 bytes), tokenAccountState."""
    if value is None:
        return []
    if not isinstance(value, list):
        raise invalid_params("filters must be a list")
    if len(value) > MAX_FILTERS:
        raise invalid_param(f"Too many filters provided; max {MAX_FILTERS}")
    filters: list[Filter] = []
    for item in value:
        if not isinstance(item, dict) or len(item) != 1:
            raise invalid_params("each filter must be {dataSize}, {memcmp} or {tokenAccountState}")
        ((kind, spec),) = item.items()
        if kind == "dataSize":
            filters.append(_data_size_filter(parse_u64(spec, "dataSize")))
        elif kind == "memcmp":
            filters.append(_memcmp_filter(spec))
        elif kind == "tokenAccountState":
            filters.append(_is_token_account)
        else:
            raise invalid_params(f"unknown filter `{kind}`")
    return filters


def _data_size_filter(size: int) -> Filter:
    def matches(_key: Pubkey, account: Account) -> bool:
        return len(account.data) == size

    return matches


def _is_token_account(_key: Pubkey, account: Account) -> bool:
    return tokens.parse_token_account(account.owner, bytes(account.data)) is not None


def _memcmp_filter(spec: Any) -> Filter:
    if not isinstance(spec, dict):
        raise invalid_params("memcmp must be {offset, bytes, encoding}")
    offset = parse_u64(spec.get("offset"), "memcmp offset")
    encoding = spec.get("encoding") or enc.BASE58
    expected = enc.decode_bytes_param(spec.get("bytes"), encoding, "memcmp bytes")
    if len(expected) > MAX_MEMCMP_BYTES:
        raise invalid_param(f"memcmp bytes too large; max {MAX_MEMCMP_BYTES} bytes")

    def matches(_key: Pubkey, account: Account) -> bool:
        data = account.data
        return bytes(data[offset : offset + len(expected)]) == expected

    return matches
