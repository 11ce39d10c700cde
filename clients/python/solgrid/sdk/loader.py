"""Instruction builders for BPFLoaderUpgradeable (loader v3), the loader that deploys programs.

The same builders serve an in-process LiteSVM and a real cluster: deploying is buffer creation,
``write`` of the ELF in chunks, then ``deploy_with_max_data_len``. Instruction data is bincode: a u32
little-endian tag, then the fields.
"""

from __future__ import annotations

import struct

from solders.instruction import AccountMeta, Instruction
from solders.pubkey import Pubkey
from solders.system_program import ID as SYSTEM_PROGRAM_ID
from solders.system_program import CreateAccountParams, create_account
from solders.sysvar import CLOCK, RENT

LOADER_V3 = Pubkey.from_string("BPFLoaderUpgradeab1e11111111111111111111111")

BUFFER_HEADER_LEN = 37
"""UpgradeableLoaderState::Buffer: tag u32 + Option<Pubkey> authority."""
PROGRAM_ACCOUNT_LEN = 36
"""UpgradeableLoaderState::Program: tag u32 + programdata address."""
PROGRAMDATA_HEADER_LEN = 45
"""UpgradeableLoaderState::ProgramData: tag u32 + slot u64 + Option<Pubkey> upgrade authority."""
MAX_PERMITTED_DATA_LENGTH = 10 * 1024 * 1024
"""The largest account, so the largest ProgramData account."""
MINIMUM_EXTEND_PROGRAM_BYTES = 10_240
"""agave 4's loader refuses an ExtendProgram of fewer bytes, unless it grows the account to
MAX_PERMITTED_DATA_LENGTH."""

_INITIALIZE_BUFFER = 0
_WRITE = 1
_DEPLOY_WITH_MAX_DATA_LEN = 2
_UPGRADE = 3
_SET_AUTHORITY = 4
_EXTEND_PROGRAM = 6


def programdata_address(program_id: Pubkey) -> Pubkey:
    """The ProgramData account of an upgradeable program."""
    return Pubkey.find_program_address([bytes(program_id)], LOADER_V3)[0]


def create_buffer(payer: Pubkey, buffer: Pubkey, lamports: int, program_len: int) -> Instruction:
    """System CreateAccount of a buffer big enough for an ELF of ``program_len`` bytes."""
    return create_account(
        CreateAccountParams(
            from_pubkey=payer,
            to_pubkey=buffer,
            lamports=lamports,
            space=BUFFER_HEADER_LEN + program_len,
            owner=LOADER_V3,
        )
    )


def initialize_buffer(buffer: Pubkey, authority: Pubkey) -> Instruction:
    return Instruction(
        LOADER_V3,
        struct.pack("<I", _INITIALIZE_BUFFER),
        [AccountMeta(buffer, False, True), AccountMeta(authority, False, False)],
    )


def write(buffer: Pubkey, authority: Pubkey, offset: int, chunk: bytes) -> Instruction:
    """Write ``chunk`` at ``offset`` of the buffer's program area."""
    data = struct.pack("<IIQ", _WRITE, offset, len(chunk)) + chunk
    return Instruction(
        LOADER_V3, data, [AccountMeta(buffer, False, True), AccountMeta(authority, True, False)]
    )


def create_program_account(payer: Pubkey, program: Pubkey, lamports: int) -> Instruction:
    return create_account(
        CreateAccountParams(
            from_pubkey=payer,
            to_pubkey=program,
            lamports=lamports,
            space=PROGRAM_ACCOUNT_LEN,
            owner=LOADER_V3,
        )
    )


def deploy_with_max_data_len(
    payer: Pubkey, program: Pubkey, buffer: Pubkey, authority: Pubkey, max_data_len: int
) -> Instruction:
    """Deploy the buffer's ELF as ``program``; the loader verifies the ELF here (broken ELFs rejected)."""
    return Instruction(
        LOADER_V3,
        struct.pack("<IQ", _DEPLOY_WITH_MAX_DATA_LEN, max_data_len),
        [
            AccountMeta(payer, True, True),
            AccountMeta(programdata_address(program), False, True),
            AccountMeta(program, False, True),
            AccountMeta(buffer, False, True),
            AccountMeta(RENT, False, False),
            AccountMeta(CLOCK, False, False),
            AccountMeta(SYSTEM_PROGRAM_ID, False, False),
            AccountMeta(authority, True, False),
        ],
    )


def upgrade(program: Pubkey, buffer: Pubkey, spill: Pubkey, authority: Pubkey) -> Instruction:
    """Replace ``program``'s code with the buffer's; the buffer's lamports go to ``spill``."""
    return Instruction(
        LOADER_V3,
        struct.pack("<I", _UPGRADE),
        [
            AccountMeta(programdata_address(program), False, True),
            AccountMeta(program, False, True),
            AccountMeta(buffer, False, True),
            AccountMeta(spill, False, True),
            AccountMeta(RENT, False, False),
            AccountMeta(CLOCK, False, False),
            AccountMeta(authority, True, False),
        ],
    )


def set_upgrade_authority(program: Pubkey, authority: Pubkey, new_authority: Pubkey | None) -> Instruction:
    """Hand ``program``'s upgrade authority to ``new_authority``; ``None`` freezes the program for good."""
    accounts = [AccountMeta(programdata_address(program), False, True), AccountMeta(authority, True, False)]
    if new_authority is not None:
        accounts.append(AccountMeta(new_authority, False, False))
    return Instruction(LOADER_V3, struct.pack("<I", _SET_AUTHORITY), accounts)


def set_buffer_authority(buffer: Pubkey, authority: Pubkey, new_authority: Pubkey) -> Instruction:
    """Hand a buffer to ``new_authority`` (who need not sign): e.g. the governance PDA, so that a proposal
    can upgrade a program from it."""
    return Instruction(
        LOADER_V3,
        struct.pack("<I", _SET_AUTHORITY),
        [
            AccountMeta(buffer, False, True),
            AccountMeta(authority, True, False),
            AccountMeta(new_authority, False, False),
        ],
    )


def extension_for(capacity: int, needed: int) -> int:
    """The bytes to add to a ProgramData account holding ``capacity`` ELF bytes so that ``needed`` fit:
    at least MINIMUM_EXTEND_PROGRAM_BYTES, or what is left up to the largest account."""
    room = MAX_PERMITTED_DATA_LENGTH - PROGRAMDATA_HEADER_LEN - capacity
    return max(needed - capacity, min(MINIMUM_EXTEND_PROGRAM_BYTES, room))


def extend_program(program: Pubkey, payer: Pubkey, additional_bytes: int) -> Instruction:
    """Grow ``program``'s ProgramData by ``additional_bytes`` (paid by ``payer``) so a bigger ELF fits.

    The loader refuses this in the slot the program was deployed or upgraded in.
    """
    return Instruction(
        LOADER_V3,
        struct.pack("<II", _EXTEND_PROGRAM, additional_bytes),
        [
            AccountMeta(programdata_address(program), False, True),
            AccountMeta(program, False, True),
            AccountMeta(SYSTEM_PROGRAM_ID, False, False),
            AccountMeta(payer, True, True),
        ],
    )
