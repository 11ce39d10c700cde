"""Transactions as clients send them: base58 or base64 text with the validator's size limits and error
messages (sendTransaction and simulateTransaction).

agave 4.2 answers these errors with ``-32602`` and its own text, without the ``Invalid params:`` prefix
that a malformed parameter gets. Bytes that are not a transaction are described as its deserializer
(wincode) describes them: the first read that finds too few bytes ("Attempting to read N bytes"), a
non-canonical or overlong compact length, or an unknown message version.
"""

from __future__ import annotations

import base64
import binascii
from typing import Any

import base58
from solders.transaction import VersionedTransaction

from solgrid.localnet.rpc_errors import INVALID_PARAMS, RpcError

PACKET_DATA_SIZE = 1232
MAX_BASE58_TX = 1683
MAX_BASE64_TX = 1644
TYPE_NAME = "solana_transaction::versioned::VersionedTransaction"
_BASE58_ALPHABET = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"
_BASE64_ALPHABET = frozenset(b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/")


def _error(message: str) -> RpcError:
    return RpcError(INVALID_PARAMS, message)


def decode_transaction(data: Any, encoding: Any) -> tuple[VersionedTransaction, bytes]:
    """A wire transaction from base58/base64 with the validator's size limits and messages."""
    if encoding not in ("base58", "base64"):
        raise _error(f"unsupported encoding: {encoding}. Supported encodings: base58, base64")
    if not isinstance(data, str):
        raise RpcError(
            INVALID_PARAMS, "Invalid params: invalid type: expected an encoded transaction string."
        )
    limit = MAX_BASE58_TX if encoding == "base58" else MAX_BASE64_TX
    if len(data) > limit:
        raise _error(
            f"{encoding} encoded {TYPE_NAME} too large: "
            f"{len(data)} bytes (max: encoded/raw {limit}/{PACKET_DATA_SIZE})"
        )
    wire = _decode_base58(data) if encoding == "base58" else _decode_base64(data)
    if len(wire) > PACKET_DATA_SIZE:
        raise _error(f"decoded {TYPE_NAME} too large: {len(wire)} bytes (max: {PACKET_DATA_SIZE} bytes)")
    problem = deserialize_error(wire)
    if problem is None:
        try:
            return VersionedTransaction.from_bytes(wire), wire
        except Exception as e:
            problem = str(e)
    raise _error(f"failed to deserialize {TYPE_NAME}: {problem}")


def _decode_base58(text: str) -> bytes:
    for index, character in enumerate(text):
        if character not in _BASE58_ALPHABET:
            raise _error(
                f"invalid base58 encoding: InvalidCharacter {{ character: {character!r}, index: {index} }}"
            )
    return base58.b58decode(text)


def _decode_base64(text: str) -> bytes:
    raw = text.encode("utf-8", "surrogatepass")
    body = raw.rstrip(b"=")
    for index, byte in enumerate(body):
        if byte not in _BASE64_ALPHABET:
            raise _error(f"invalid base64 encoding: InvalidByte({index}, {byte})")
    try:
        return base64.b64decode(raw, validate=True)
    except (binascii.Error, ValueError):
        detail = f"InvalidLength({len(body)})" if len(body) % 4 == 1 else "InvalidPadding"
        raise _error(f"invalid base64 encoding: {detail}") from None


class _Short(Exception):
    """wincode's error for a read past the end of the input, or a bad value."""


class _Reader:
    """Reads the way wincode reads a transaction: fixed-size fields and byte arrays in one read each."""

    def __init__(self, data: bytes) -> None:
        self.data = data
        self.offset = 0

    def take(self, count: int) -> bytes:
        if self.offset + count > len(self.data):
            raise _Short(f"Attempting to read {count} bytes")
        chunk = self.data[self.offset : self.offset + count]
        self.offset += count
        return chunk

    def short_u16(self) -> int:
        """solana's compact-u16: canonical, at most 3 bytes, at most u16::MAX."""
        b0 = self.take(1)[0]
        if b0 < 0x80:
            return b0
        b1 = self.take(1)[0]
        if b1 == 0:
            raise _Short("Invalid value: short u16: non-canonical encoding")
        if b1 < 0x80:
            return (b0 & 0x7F) | (b1 << 7)
        b2 = self.take(1)[0]
        if b2 == 0:
            raise _Short("Invalid value: short u16: non-canonical encoding")
        if b2 > 3:
            raise _Short("Sequence length would overflow length encoding scheme: u16::MAX")
        return (b0 & 0x7F) | ((b1 & 0x7F) << 7) | (b2 << 14)

    def array(self, item_size: int) -> None:
        self.take(self.short_u16() * item_size)


def deserialize_error(wire: bytes) -> str | None:
    """The validator's text for bytes that do not deserialize as a legacy or v0 transaction; None when
    they do (trailing bytes are ignored, as wincode ignores them)."""
    reader = _Reader(wire)
    try:
        first = reader.take(1)[0]
        if first & 0x80:
            if first == 0x81:
                return None  # a v1 transaction: left to the transaction parser
            return "Custom error: invalid transaction discriminator"
        reader.take(first * 64)  # signatures
        prefix = reader.take(1)[0]
        versioned = bool(prefix & 0x80)
        if versioned and prefix & 0x7F != 0:
            return f"Invalid tag encoding: {prefix & 0x7F}"
        reader.take(3 if versioned else 2)  # the header (its first byte was the prefix when legacy)
        reader.array(32)  # account keys
        reader.take(32)  # recent blockhash
        for _ in range(reader.short_u16()):  # instructions
            reader.take(1)
            reader.array(1)
            reader.array(1)
        if versioned:
            for _ in range(reader.short_u16()):  # address table lookups
                reader.take(32)
                reader.array(1)
                reader.array(1)
    except _Short as e:
        return str(e)
    return None
