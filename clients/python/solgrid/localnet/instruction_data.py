"""Reading instruction data the way the programs' own decoders do (little-endian, bincode and the SPL
Token layout), for the parsers of :mod:`solgrid.localnet.parsed_instructions`.

A parser raises :class:`NotParsable` when the data or the accounts do not fit the instruction; the
instruction is then shown partially decoded, as a validator does.
"""

from __future__ import annotations

import struct
from collections.abc import Sequence
from typing import Any

from solders.pubkey import Pubkey

Info = dict[str, Any]
Parsed = dict[str, Any]
"""``{"info": ..., "type": ...}``: a parsed instruction's ``parsed`` field."""


class NotParsable(ValueError):
    """The instruction does not decode (bad data, too few accounts)."""


class Reader:
    """Fields of instruction data in order, from ``start``; NotParsable when the data runs out."""

    def __init__(self, data: bytes, start: int = 0) -> None:
        self._data, self._at = data, start

    def take(self, size: int) -> bytes:
        if size < 0 or self._at + size > len(self._data):
            raise NotParsable("instruction data too short")
        chunk = self._data[self._at : self._at + size]
        self._at += size
        return chunk

    def rest(self) -> bytes:
        chunk = self._data[self._at :]
        self._at = len(self._data)
        return chunk

    def at_end(self) -> bool:
        return self._at == len(self._data)

    def u8(self) -> int:
        return self.take(1)[0]

    def u32(self) -> int:
        return int(struct.unpack("<I", self.take(4))[0])

    def u64(self) -> int:
        return int(struct.unpack("<Q", self.take(8))[0])

    def pubkey(self) -> str:
        return str(Pubkey.from_bytes(self.take(32)))

    def bincode_bytes(self) -> bytes:
        """A bincode ``Vec<u8>``: u64 length, then the bytes."""
        return self.take(self.u64())

    def bincode_string(self) -> str:
        try:
            return self.bincode_bytes().decode("utf-8")
        except UnicodeDecodeError:
            raise NotParsable("string is not UTF-8") from None

    def option_pubkey(self) -> str | None:
        """The SPL Token ``COption<Pubkey>`` of instruction data: 0, or 1 then the key."""
        tag = self.u8()
        if tag == 0:
            return None
        if tag == 1:
            return self.pubkey()
        raise NotParsable("bad option tag")

    def option_u64(self) -> int | None:
        tag = self.u8()
        if tag == 0:
            return None
        if tag == 1:
            return self.u64()
        raise NotParsable("bad option tag")


def named(accounts: Sequence[str], names: Sequence[str], required: int | None = None) -> Info:
    """``names`` mapped to the first accounts; NotParsable when fewer than ``required`` (default: all
    of them) are given."""
    if len(accounts) < (len(names) if required is None else required):
        raise NotParsable("not enough accounts")
    return dict(zip(names, accounts, strict=False))


def optional(accounts: Sequence[str], index: int) -> str | None:
    return accounts[index] if index < len(accounts) else None


def need_accounts(accounts: Sequence[str]) -> None:
    """The parsers of System, SPL Token, ATA, lookup tables and the upgradeable loader refuse an
    instruction without accounts."""
    if not accounts:
        raise NotParsable("no accounts")
