"""Transactions as clients send them: base58 or base64 text with the validator's size limits and error
messages (sendTransaction and simulateTransaction)."""

from __future__ import annotations

from typing import Any

from solders.transaction import VersionedTransaction

from solgrid.localnet import encoding as enc
from solgrid.localnet.rpc_errors import RpcError, invalid_params

PACKET_DATA_SIZE = 1232
MAX_BASE58_TX = 1683
MAX_BASE64_TX = 1644


def decode_transaction(data: Any, encoding: Any) -> tuple[VersionedTransaction, bytes]:
    """A wire transaction from base58/base64 with the validator's size limits and messages."""
    if encoding not in ("base58", "base64"):
        raise invalid_params(f"unsupported encoding: {encoding}. Supported encodings: base58, base64")
    if not isinstance(data, str):
        raise invalid_params("invalid type: expected an encoded transaction string")
    limit = MAX_BASE58_TX if encoding == "base58" else MAX_BASE64_TX
    if len(data) > limit:
        raise invalid_params(
            f"{encoding} encoded solana_transaction::versioned::VersionedTransaction too large: "
            f"{len(data)} bytes (max: encoded/raw {limit}/{PACKET_DATA_SIZE})"
        )
    try:
        wire = enc.decode_bytes_param(data, encoding, "transaction")
    except RpcError:
        raise invalid_params(f"invalid {encoding} encoding") from None
    if len(wire) > PACKET_DATA_SIZE:
        raise invalid_params(
            f"decoded solana_transaction::versioned::VersionedTransaction too large: "
            f"{len(wire)} bytes (max: {PACKET_DATA_SIZE} bytes)"
        )
    try:
        return VersionedTransaction.from_bytes(wire), wire
    except Exception as e:
        raise invalid_params(
            f"failed to deserialize solana_transaction::versioned::VersionedTransaction: {e}"
        ) from None
