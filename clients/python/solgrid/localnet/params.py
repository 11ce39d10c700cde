"""Parsing and validation of JSON-RPC params; every problem becomes a -32602 error, never an exception."""

from __future__ import annotations

from typing import Any

from solders.hash import Hash
from solders.pubkey import Pubkey
from solders.signature import Signature

from solgrid.localnet.rpc_errors import invalid_param, invalid_params

COMMITMENTS = frozenset(
    {"processed", "confirmed", "finalized", "recent", "single", "singleGossip", "root", "max"}
)
U64_MAX = 2**64 - 1


class Params:
    """Positional params of one request (Solana methods take a JSON array)."""

    def __init__(self, raw: Any, *, required: int = 0, maximum: int = 0) -> None:
        if raw is None:
            raw = []
        if not isinstance(raw, list):
            raise invalid_params(f"invalid type: {type(raw).__name__}, expected a sequence")
        if len(raw) < required:
            raise invalid_params(f"invalid length {len(raw)}, expected at least {required} params")
        if len(raw) > maximum:
            raise invalid_params(f"invalid length {len(raw)}, expected at most {maximum} params")
        self.raw = raw

    def get(self, index: int) -> Any:
        return self.raw[index] if index < len(self.raw) else None

    def pubkey(self, index: int) -> Pubkey:
        return parse_pubkey(self.get(index))

    def config(self, index: int) -> dict[str, Any]:
        """The optional config object at ``index``; its commitment, if any, is validated."""
        value = self.get(index)
        if value is None:
            return {}
        if not isinstance(value, dict):
            raise invalid_params(f"invalid type: {type(value).__name__}, expected a config object")
        commitment = value.get("commitment")
        if commitment is not None and commitment not in COMMITMENTS:
            raise invalid_params(f"unknown commitment `{commitment}`")
        return value


def parse_pubkey(value: Any) -> Pubkey:
    if not isinstance(value, str):
        raise invalid_params(f"invalid type: {type(value).__name__}, expected a base-58 pubkey string")
    try:
        return Pubkey.from_string(value)
    except ValueError:
        raise invalid_param(f"Invalid pubkey `{value}`") from None


def parse_signature(value: Any) -> Signature:
    if not isinstance(value, str):
        raise invalid_params(f"invalid type: {type(value).__name__}, expected a base-58 signature string")
    try:
        return Signature.from_string(value)
    except ValueError:
        raise invalid_param(f"Invalid signature `{value}`") from None


def parse_hash(value: Any) -> Hash:
    if not isinstance(value, str):
        raise invalid_params(f"invalid type: {type(value).__name__}, expected a base-58 hash string")
    try:
        return Hash.from_string(value)
    except ValueError:
        raise invalid_param(f"Invalid hash `{value}`") from None


def parse_u64(value: Any, what: str) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or not 0 <= value <= U64_MAX:
        raise invalid_params(f"invalid value for {what}: expected an unsigned 64-bit integer")
    return value


def parse_bool(config: dict[str, Any], key: str, default: bool) -> bool:
    value = config.get(key)
    if value is None:
        return default
    if not isinstance(value, bool):
        raise invalid_params(f"invalid type for {key}: expected a boolean")
    return value


def parse_optional_u64(config: dict[str, Any], key: str) -> int | None:
    value = config.get(key)
    return None if value is None else parse_u64(value, key)
