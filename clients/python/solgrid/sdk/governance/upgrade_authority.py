"""Proposals that govern the upgrade authority of SolGrid's programs.

Once a program's upgrade authority is the governance PDA (handed over with the loader's SetAuthority,
signed by the current authority: ``solana program set-upgrade-authority <PROGRAM> --new-upgrade-authority
<GOVERNANCE_PDA> --skip-new-upgrade-authority-signer-check``), only an executed proposal can upgrade the
program or hand its authority on. The governance program accepts exactly these BPFLoaderUpgradeable
instructions as proposals, and only for the ProgramData of its four programs (registry, energy_token,
trading, governance): ``Upgrade``, ``SetAuthority`` and ``SetAuthorityChecked``, the governance PDA
signing as the current authority. This module builds the first two and reads them back for ``gov show``.
"""

from __future__ import annotations

import struct
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from solders.compute_budget import set_compute_unit_limit
from solders.instruction import Instruction
from solders.pubkey import Pubkey

from solgrid.sdk import loader
from solgrid.sdk.governance.accounts import BufferPin, ProposalAccount

UPGRADE = 3
SET_AUTHORITY = 4
SET_AUTHORITY_CHECKED = 7
INSTRUCTIONS = {
    UPGRADE: "upgrade",
    SET_AUTHORITY: "set_authority",
    SET_AUTHORITY_CHECKED: "set_authority_checked",
}
"""The loader instructions a proposal may carry, by tag."""


MAX_COMPUTE_UNITS = 1_400_000
"""A transaction's most compute units. ``propose`` and ``execute`` of an ``Upgrade`` hash the whole buffer
(``sol_sha256``, about 1 CU per 2 bytes: ~88k CU for a 175 KB ELF), more than the default budget of
200k CU per instruction allows for ELFs beyond ~350 KB; asking for the most costs nothing without a
priority fee."""


def compute_budget(action: Instruction) -> list[Instruction]:
    """The compute-unit limit to send before ``propose`` or ``execute`` of ``action``: for a loader
    ``Upgrade`` the most a transaction may use, else nothing (the default budget)."""
    upgrade = action.program_id == loader.LOADER_V3 and bytes(action.data) == struct.pack("<I", UPGRADE)
    return [set_compute_unit_limit(MAX_COMPUTE_UNITS)] if upgrade else []


PROGRAMDATA_TAG = 3
BUFFER_TAG = 1


def programdata_authority(data: bytes) -> Pubkey | None:
    """The upgrade authority a ProgramData account holds (``[3u32][slot u64][Option<Pubkey>]``); None
    when the program is immutable. ValueError when ``data`` is no ProgramData."""
    if len(data) < loader.PROGRAMDATA_HEADER_LEN or struct.unpack_from("<I", data)[0] != PROGRAMDATA_TAG:
        raise ValueError("not a ProgramData account")
    return Pubkey.from_bytes(data[13:45]) if data[12] == 1 else None


def buffer_authority(data: bytes) -> Pubkey | None:
    """The authority a Buffer account holds (``[1u32][Option<Pubkey>]``); ValueError when ``data`` is
    no Buffer."""
    if len(data) < loader.BUFFER_HEADER_LEN or struct.unpack_from("<I", data)[0] != BUFFER_TAG:
        raise ValueError("not a loader buffer")
    return Pubkey.from_bytes(data[5:37]) if data[4] == 1 else None


def buffer_pin(data: bytes) -> BufferPin:
    """The length and SHA-256 of a Buffer account's program bytes (what an ``Upgrade`` would install and
    what ``propose`` pins); ValueError when ``data`` is no Buffer."""
    buffer_authority(data)
    return BufferPin.of_program(bytes(data[loader.BUFFER_HEADER_LEN :]))


def set_upgrade_authority(program: Pubkey, governance: Pubkey, new_authority: Pubkey | None) -> Instruction:
    """The loader's SetAuthority of ``program``'s ProgramData, signed by ``governance`` (the current
    upgrade authority): ``new_authority`` becomes it; ``None`` makes the program immutable for good."""
    return loader.set_upgrade_authority(program, governance, new_authority)


def upgrade(program: Pubkey, buffer: Pubkey, spill: Pubkey, governance: Pubkey) -> Instruction:
    """The loader's Upgrade of ``program`` with ``buffer``'s ELF, signed by ``governance`` (the upgrade
    authority, and the buffer's authority: ``solana program write-buffer`` with another key, then
    ``solana program set-buffer-authority BUFFER --new-buffer-authority <GOVERNANCE_PDA>``); the
    buffer's lamports go to ``spill``."""
    return loader.upgrade(program, buffer, spill, governance)


@dataclass(frozen=True)
class LoaderAction:
    """A loader proposal read back: what it does to which program."""

    instruction: str
    """``upgrade``, ``set_authority``, ``set_authority_checked``, or ``unknown``."""
    program: str
    """The program's name when its ProgramData is one of ``programs``', else the ProgramData address."""
    args: dict[str, str | None]


def describe_loader(
    data: bytes,
    accounts: Sequence[ProposalAccount],
    programs: Mapping[str, Pubkey],
    pin: BufferPin | None = None,
) -> LoaderAction:
    """A loader instruction (``data`` and its stored ``accounts``) in words; ``programs``: name -> id of
    the programs to recognise by their ProgramData; ``pin``: an ``Upgrade``'s buffer as pinned at
    ``propose`` (``buffer_len`` and ``buffer_sha256``, for approvers to compare with their build)."""
    tag = struct.unpack_from("<I", data)[0] if len(data) == 4 else None
    name = INSTRUCTIONS.get(tag, "unknown") if tag is not None else "unknown"
    if name == "unknown" or not accounts:
        return LoaderAction("unknown", "", {"data": bytes(data).hex()})
    by_program_data = {str(loader.programdata_address(pid)): n for n, pid in programs.items()}
    program_data = str(accounts[0].address)
    program = by_program_data.get(program_data, program_data)
    args: dict[str, str | None] = {"program_data": program_data}
    if tag == UPGRADE and len(accounts) >= 7:
        args |= {"buffer": str(accounts[2].address), "spill": str(accounts[3].address)}
        args["authority"] = str(accounts[6].address)
        if pin is not None:
            args |= {"buffer_len": str(pin.length), "buffer_sha256": pin.sha256.hex()}
    elif tag != UPGRADE and len(accounts) >= 2:
        args["authority"] = str(accounts[1].address)
        args["new_authority"] = str(accounts[2].address) if len(accounts) >= 3 else None
    return LoaderAction(name, program, args)
