"""Inner instructions in the parsed form simulateTransaction answers with (``innerInstructions: true``).

agave 4.2.2 parses every instruction of a program it has a parser for into
``{"parsed": {"info": ..., "type": ...}, "program": ..., "programId": ..., "stackHeight": ...}`` and gives
the others (and any it cannot parse) partially decoded: ``{"programId", "accounts", "data",
"stackHeight"}`` with account addresses and base-58 data. The System program's parser is here; the
instructions of other programs stay partially decoded.
"""

from __future__ import annotations

import struct
from collections.abc import Callable, Sequence
from typing import Any

import base58
from solders.pubkey import Pubkey

from solgrid.localnet import txmeta

Info = dict[str, Any]


class _Reader:
    """bincode fields of a system instruction, in order; ValueError when the data runs out."""

    def __init__(self, data: bytes) -> None:
        self._data, self._at = data, 4

    def _take(self, size: int) -> bytes:
        if self._at + size > len(self._data):
            raise ValueError("instruction data too short")
        chunk = self._data[self._at : self._at + size]
        self._at += size
        return chunk

    def u64(self) -> int:
        return int(struct.unpack("<Q", self._take(8))[0])

    def pubkey(self) -> str:
        return str(Pubkey.from_bytes(self._take(32)))

    def string(self) -> str:
        return self._take(self.u64()).decode("utf-8")


def _named(accounts: Sequence[str], names: Sequence[str]) -> Info:
    if len(accounts) < len(names):
        raise ValueError("not enough accounts")
    return dict(zip(names, accounts, strict=False))


def _create_account(r: _Reader, a: Sequence[str]) -> Info:
    info = _named(a, ("source", "newAccount"))
    return {**info, "lamports": r.u64(), "space": r.u64(), "owner": r.pubkey()}


def _assign(r: _Reader, a: Sequence[str]) -> Info:
    return {**_named(a, ("account",)), "owner": r.pubkey()}


def _transfer(r: _Reader, a: Sequence[str]) -> Info:
    return {**_named(a, ("source", "destination")), "lamports": r.u64()}


def _create_account_with_seed(r: _Reader, a: Sequence[str]) -> Info:
    info = _named(a, ("source", "newAccount"))
    base, seed = r.pubkey(), r.string()
    return {**info, "base": base, "seed": seed, "lamports": r.u64(), "space": r.u64(), "owner": r.pubkey()}


def _advance_nonce(r: _Reader, a: Sequence[str]) -> Info:
    return _named(a, ("nonceAccount", "recentBlockhashesSysvar", "nonceAuthority"))


def _withdraw_nonce(r: _Reader, a: Sequence[str]) -> Info:
    names = ("nonceAccount", "destination", "recentBlockhashesSysvar", "rentSysvar", "nonceAuthority")
    return {**_named(a, names), "lamports": r.u64()}


def _initialize_nonce(r: _Reader, a: Sequence[str]) -> Info:
    info = _named(a, ("nonceAccount", "recentBlockhashesSysvar", "rentSysvar"))
    return {**info, "nonceAuthority": r.pubkey()}


def _authorize_nonce(r: _Reader, a: Sequence[str]) -> Info:
    return {**_named(a, ("nonceAccount", "nonceAuthority")), "newAuthorized": r.pubkey()}


def _allocate(r: _Reader, a: Sequence[str]) -> Info:
    return {**_named(a, ("account",)), "space": r.u64()}


def _allocate_with_seed(r: _Reader, a: Sequence[str]) -> Info:
    info = _named(a, ("account",))
    return {**info, "base": r.pubkey(), "seed": r.string(), "space": r.u64(), "owner": r.pubkey()}


def _assign_with_seed(r: _Reader, a: Sequence[str]) -> Info:
    return {**_named(a, ("account",)), "base": r.pubkey(), "seed": r.string(), "owner": r.pubkey()}


def _transfer_with_seed(r: _Reader, a: Sequence[str]) -> Info:
    info = _named(a, ("source", "sourceBase", "destination"))
    return {**info, "lamports": r.u64(), "sourceSeed": r.string(), "sourceOwner": r.pubkey()}


def _upgrade_nonce(r: _Reader, a: Sequence[str]) -> Info:
    return _named(a, ("nonceAccount",))


_SYSTEM: dict[int, tuple[str, Callable[[_Reader, Sequence[str]], Info]]] = {
    0: ("createAccount", _create_account),
    1: ("assign", _assign),
    2: ("transfer", _transfer),
    3: ("createAccountWithSeed", _create_account_with_seed),
    4: ("advanceNonce", _advance_nonce),
    5: ("withdrawFromNonce", _withdraw_nonce),
    6: ("initializeNonce", _initialize_nonce),
    7: ("authorizeNonce", _authorize_nonce),
    8: ("allocate", _allocate),
    9: ("allocateWithSeed", _allocate_with_seed),
    10: ("assignWithSeed", _assign_with_seed),
    11: ("transferWithSeed", _transfer_with_seed),
    12: ("upgradeNonce", _upgrade_nonce),
}


def parse_system_instruction(data: bytes, accounts: Sequence[str]) -> dict[str, Any] | None:
    """``{"info", "type"}`` of a System program instruction, None when it does not parse."""
    if len(data) < 4:
        return None
    entry = _SYSTEM.get(int.from_bytes(data[:4], "little"))
    if entry is None:
        return None
    kind, parse = entry
    try:
        return {"info": parse(_Reader(data), accounts), "type": kind}
    except (ValueError, UnicodeDecodeError):
        return None


def ui_instruction(keys: Sequence[Pubkey], compiled: dict[str, Any]) -> dict[str, Any]:
    """One instruction (``compiled_instruction_json`` form) as simulateTransaction shows it."""
    program_id = keys[compiled["programIdIndex"]]
    accounts = [str(keys[i]) for i in compiled["accounts"]]
    if program_id == txmeta.SYSTEM_PROGRAM_ID:
        parsed = parse_system_instruction(base58.b58decode(compiled["data"]), accounts)
        if parsed is not None:
            return {
                "parsed": parsed,
                "program": "system",
                "programId": str(program_id),
                "stackHeight": compiled["stackHeight"],
            }
    return {
        "programId": str(program_id),
        "accounts": accounts,
        "data": compiled["data"],
        "stackHeight": compiled["stackHeight"],
    }


def parsed_inner_instructions(keys: Sequence[Pubkey], inner: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """``inner_instructions_json`` entries with every instruction as simulateTransaction shows it."""
    return [
        {"index": entry["index"], "instructions": [ui_instruction(keys, ix) for ix in entry["instructions"]]}
        for entry in inner
    ]
