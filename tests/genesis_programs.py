"""What a solana-test-validator 4.2.2 holds at genesis for the programs of ``solana-program-binaries``
4.2.2, computed here from the ELFs alone (the crate's ``lib.rs`` rules written out again, independently of
``solgrid.localnet.program_binaries``), and how to read program accounts over JSON-RPC."""

from __future__ import annotations

import base64
import hashlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
from solders.pubkey import Pubkey

from solgrid.localnet.program_binaries import binaries_dir

U64_MAX = 18446744073709551615
LOADER_V2 = "BPFLoader2111111111111111111111111111111111"
LOADER_V3 = "BPFLoaderUpgradeab1e11111111111111111111111"
ELVES = {
    "TokenkegQfeZyiNwAJbNbGKPFXCWuBvf9Ss623VQ5DA": (LOADER_V3, "spl_p_token-1.0.0.so"),
    "TokenzQdBNbLqP5VEhdkAS6EPFLC1PHnBqCXEpPxuEb": (LOADER_V3, "spl_token_2022-10.0.0.so"),
    "Memo1UhkJRfHyvLMcVucJwxXeuD728EqVDDwQDxFMNo": (LOADER_V2, "spl_memo-1.0.0.so"),
    "MemoSq4gqABAXKb96qnH8TysNcWxMyWCqXgDLGmfcHr": (LOADER_V2, "spl_memo-3.0.0.so"),
    "Memo4c2pN8afCj432Lb7RMVKi9PbQnnW7ewFFaV3oAH": (LOADER_V3, "spl_memo-4.0.0.so"),
    "ATokenGPvbdGVxr1b2hvZbsiqW5xWH25efTNsLJA8knL": (LOADER_V2, "spl_associated_token_account-1.1.1.so"),
    "AddressLookupTab1e1111111111111111111111111": (LOADER_V3, "core_bpf_address_lookup_table-3.0.0.so"),
    "Config1111111111111111111111111111111111111": (LOADER_V3, "core_bpf_config-3.0.0.so"),
    "Feature111111111111111111111111111111111111": (LOADER_V3, "core_bpf_feature_gate-0.0.1.so"),
    "Stake11111111111111111111111111111111111111": (LOADER_V3, "core_bpf_stake-5.1.0.so"),
}


@dataclass(frozen=True)
class Expected:
    address: str
    lamports: int
    owner: str
    executable: bool
    data: bytes
    rent_epoch: int


def rent_exempt(length: int) -> int:
    """Rent::default(): 3,480 lamports per byte-year, two years, 128 bytes of account overhead."""
    return (128 + length) * 3480 * 2


def expected_accounts(directory: Path | None = None) -> list[Expected]:
    directory = directory or binaries_dir()
    out = []
    for program_id, (loader, file) in ELVES.items():
        elf = (directory / file).read_bytes()
        if loader == LOADER_V2:
            out.append(Expected(program_id, max(rent_exempt(len(elf)), 1), loader, True, elf, U64_MAX))
            continue
        programdata, _ = Pubkey.find_program_address(
            [bytes(Pubkey.from_string(program_id))], Pubkey.from_string(LOADER_V3)
        )
        # UpgradeableLoaderState::ProgramData { slot: 0, upgrade_authority_address: Some(default) }
        header = (3).to_bytes(4, "little") + (0).to_bytes(8, "little") + b"\x01" + bytes(32)
        body = header + elf
        out.append(Expected(str(programdata), rent_exempt(len(body)), loader, False, body, U64_MAX))
        program = (2).to_bytes(4, "little") + bytes(programdata)  # UpgradeableLoaderState::Program
        out.append(Expected(program_id, rent_exempt(len(program)), loader, True, program, U64_MAX))
    return out


async def rpc_account(url: str, address: str) -> dict[str, Any] | None:
    """getAccountInfo (base64, confirmed) with the data decoded: lamports, owner, executable, data,
    rentEpoch."""
    async with httpx.AsyncClient(timeout=30) as http:
        reply = await http.post(url, json=_get_account_info(address))
    value = reply.json()["result"]["value"]
    if value is None:
        return None
    return {
        "lamports": value["lamports"],
        "owner": value["owner"],
        "executable": value["executable"],
        "data": base64.b64decode(value["data"][0]),
        "rentEpoch": value["rentEpoch"],
    }


def _get_account_info(address: str) -> dict[str, Any]:
    return {
        "jsonrpc": "2.0",
        "id": 1,
        "method": "getAccountInfo",
        "params": [address, {"encoding": "base64", "commitment": "confirmed"}],
    }


def as_rpc(expected: Expected) -> dict[str, Any]:
    return {
        "lamports": expected.lamports,
        "owner": expected.owner,
        "executable": expected.executable,
        "data": expected.data,
        "rentEpoch": expected.rent_epoch,
    }


def digest(account: dict[str, Any] | None) -> Any:
    """An account with its data as a SHA-256, for readable assertion messages."""
    if account is None:
        return None
    return {**account, "data": hashlib.sha256(account["data"]).hexdigest()[:16]}
