"""Accounts a fresh node starts with: upgradeable programs from the workspace (with their IDL accounts,
as ``solgrid deploy`` publishes them, so ``Program.at`` works from genesis), funded wallets.

Programs are installed the way BPFLoaderUpgradeable leaves a deployed program: a ProgramData account
(``[3u32][slot u64][Some(authority)][ELF]``) and an executable Program account (``[2u32][programdata]``),
so ``solgrid deploy`` can later upgrade them with the upgrade authority's key. LiteSVM compiles a program
when its executable account is stored, which needs the ProgramData account to be there first.
"""

from __future__ import annotations

import struct
from collections.abc import Callable
from dataclasses import dataclass

from solders.account import Account
from solders.pubkey import Pubkey

from solgrid.sdk import idl_account, loader

_PROGRAMDATA_TAG = 3
_PROGRAM_TAG = 2


@dataclass(frozen=True)
class GenesisProgram:
    name: str
    program_id: Pubkey
    elf: bytes
    upgrade_authority: Pubkey | None
    """None makes the program immutable (no upgrade authority)."""
    idl_json: bytes | None = None
    """The program's IDL JSON, stored in its Anchor IDL account (authority: the upgrade authority, or
    the zero address, which nobody can sign for, for an immutable program); None: no IDL account."""


def upgradeable_program_accounts(
    program: GenesisProgram, slot: int, rent: Callable[[int], int]
) -> list[tuple[Pubkey, Account]]:
    """(ProgramData, Program[, IDL]) accounts of ``program``, in the order they must be stored."""
    authority = program.upgrade_authority
    header = struct.pack("<IQ", _PROGRAMDATA_TAG, slot) + (
        b"\x01" + bytes(authority) if authority is not None else b"\x00" + bytes(32)
    )
    programdata_bytes = header + program.elf
    programdata = loader.programdata_address(program.program_id)
    program_bytes = struct.pack("<I", _PROGRAM_TAG) + bytes(programdata)
    accounts = [
        (
            programdata,
            Account(rent(len(programdata_bytes)), programdata_bytes, loader.LOADER_V3, False),
        ),
        (
            program.program_id,
            Account(rent(len(program_bytes)), program_bytes, loader.LOADER_V3, True),
        ),
    ]
    if program.idl_json is not None:
        idl_bytes = idl_account.encode_idl_account(authority or Pubkey.default(), program.idl_json)
        accounts.append(
            (
                idl_account.idl_address(program.program_id),
                Account(rent(len(idl_bytes)), idl_bytes, program.program_id, False),
            )
        )
    return accounts
