"""Instructions as the RPC's jsonParsed encoding shows them (getTransaction ``jsonParsed``,
simulateTransaction ``innerInstructions``).

An instruction of a program agave 4.2.2 has a parser for, when it parses, is
``{"parsed", "program", "programId", "stackHeight"}``; any other instruction (and one that does not
parse) is partially decoded: ``{"programId", "accounts", "data", "stackHeight"}`` with account
addresses and base-58 data. Parsed here: System, SPL Token and Token-2022 (base instructions),
Associated Token Account, Memo v1 and v3, address lookup tables, BPF loader v2 and the upgradeable
loader. Stake and Vote instructions and Token-2022 extension instructions stay partially decoded (see
the README's list of differences).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import base58
from solders.pubkey import Pubkey

from solgrid.localnet import parse_programs, tokens, txmeta
from solgrid.localnet.instruction_data import NotParsable
from solgrid.localnet.parse_system import parse_system
from solgrid.localnet.parse_token import parse_token

Parser = Callable[[bytes, Sequence[str]], Any]

ASSOCIATED_TOKEN_PROGRAM_ID = Pubkey.from_string("ATokenGPvbdGVxr1b2hvZbsiqW5xWH25efTNsLJA8knL")
MEMO_V1_PROGRAM_ID = Pubkey.from_string("Memo1UhkJRfHyvLMcVucJwxXeuD728EqVDDwQDxFMNo")
MEMO_V3_PROGRAM_ID = Pubkey.from_string("MemoSq4gqABAXKb96qnH8TysNcWxMyWCqXgDLGmfcHr")
BPF_LOADER_PROGRAM_ID = Pubkey.from_string("BPFLoader2111111111111111111111111111111111")
UPGRADEABLE_LOADER_PROGRAM_ID = Pubkey.from_string("BPFLoaderUpgradeab1e11111111111111111111111")

PARSERS: dict[Pubkey, tuple[str, Parser]] = {
    txmeta.SYSTEM_PROGRAM_ID: ("system", parse_system),
    tokens.TOKEN_PROGRAM_ID: ("spl-token", parse_token),
    tokens.TOKEN_2022_PROGRAM_ID: ("spl-token", parse_token),
    ASSOCIATED_TOKEN_PROGRAM_ID: ("spl-associated-token-account", parse_programs.parse_associated_token),
    MEMO_V1_PROGRAM_ID: ("spl-memo", parse_programs.parse_memo),
    MEMO_V3_PROGRAM_ID: ("spl-memo", parse_programs.parse_memo),
    txmeta.ADDRESS_LOOKUP_TABLE_PROGRAM_ID: (
        "address-lookup-table",
        parse_programs.parse_address_lookup_table,
    ),
    BPF_LOADER_PROGRAM_ID: ("bpf-loader", parse_programs.parse_bpf_loader),
    UPGRADEABLE_LOADER_PROGRAM_ID: ("bpf-upgradeable-loader", parse_programs.parse_bpf_upgradeable_loader),
}


def parse_instruction(program_id: Pubkey, data: bytes, accounts: Sequence[str]) -> tuple[str, Any] | None:
    """(program name, ``parsed`` value) of an instruction, None when it is not parsed."""
    entry = PARSERS.get(program_id)
    if entry is None:
        return None
    name, parser = entry
    try:
        return name, parser(data, accounts)
    except NotParsable:
        return None


def ui_instruction(
    program_id: Pubkey, accounts: Sequence[str], data: bytes, stack_height: Any
) -> dict[str, Any]:
    """One instruction in the jsonParsed form: parsed when its program's parser takes it, else
    partially decoded."""
    parsed = parse_instruction(program_id, data, accounts)
    if parsed is not None:
        name, value = parsed
        return {"parsed": value, "program": name, "programId": str(program_id), "stackHeight": stack_height}
    return {
        "programId": str(program_id),
        "accounts": list(accounts),
        "data": base58.b58encode(data).decode(),
        "stackHeight": stack_height,
    }


def ui_compiled_instruction(keys: Sequence[Pubkey], compiled: dict[str, Any]) -> dict[str, Any]:
    """An instruction in ``compiled_instruction_json`` form (indexes into ``keys``) as jsonParsed."""
    return ui_instruction(
        keys[compiled["programIdIndex"]],
        [str(keys[i]) for i in compiled["accounts"]],
        base58.b58decode(compiled["data"]),
        compiled["stackHeight"],
    )


def parsed_inner_instructions(keys: Sequence[Pubkey], inner: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """``inner_instructions_json`` entries with every instruction in the jsonParsed form."""
    return [
        {
            "index": entry["index"],
            "instructions": [ui_compiled_instruction(keys, ix) for ix in entry["instructions"]],
        }
        for entry in inner
    ]
