"""``solgrid.sdk.governance.upgrade_authority`` on its own: the loader instructions a proposal carries (as
the governance program checks them: ProgramData first, the governance PDA signing as the authority),
reading loader accounts' authorities, and describing a stored loader proposal for ``gov show``. The
programs accept or refuse these in ``tests/programs/test_governance_upgrade_authority.py``."""

from __future__ import annotations

import hashlib
import struct

import pytest
from solders.keypair import Keypair
from solders.pubkey import Pubkey

from solgrid.sdk import loader
from solgrid.sdk.governance import GovernedActions, ProposalAccount
from solgrid.sdk.governance.accounts import BufferPin
from solgrid.sdk.governance.upgrade_authority import (
    MAX_COMPUTE_UNITS,
    buffer_authority,
    buffer_pin,
    compute_budget,
    describe_loader,
    programdata_authority,
)

ACTIONS = GovernedActions()
GOV = ACTIONS.authority


def stored(ix_accounts: list[tuple[Pubkey, bool, bool]]) -> list[ProposalAccount]:
    return [ProposalAccount(address, writable, signer) for address, writable, signer in ix_accounts]


def test_set_upgrade_authority_is_the_loader_instruction_governance_accepts() -> None:
    program, new = ACTIONS.programs["trading"], Keypair().pubkey()
    ix = ACTIONS.set_upgrade_authority(program, new)
    assert ix.program_id == loader.LOADER_V3 and bytes(ix.data) == struct.pack("<I", 4)
    assert [(m.pubkey, m.is_writable, m.is_signer) for m in ix.accounts] == [
        (loader.programdata_address(program), True, False),
        (GOV, False, True),
        (new, False, False),
    ]
    frozen = ACTIONS.set_upgrade_authority(program, None)
    assert len(frozen.accounts) == 2


def test_upgrade_is_the_loader_instruction_governance_accepts() -> None:
    program, buffer, spill = ACTIONS.programs["governance"], Keypair().pubkey(), Keypair().pubkey()
    ix = ACTIONS.upgrade(program, buffer, spill)
    assert bytes(ix.data) == struct.pack("<I", 3)
    metas = [(m.pubkey, m.is_writable, m.is_signer) for m in ix.accounts]
    assert metas[0] == (loader.programdata_address(program), True, False)
    assert metas[1:4] == [(program, True, False), (buffer, True, False), (spill, True, False)]
    assert metas[6] == (GOV, False, True)
    assert [m for m in metas if m[2]] == [(GOV, False, True)]


def test_the_four_programs_are_solgrids() -> None:
    assert set(ACTIONS.programs) == {"registry", "trading", "energy_token", "governance"}
    assert len(set(ACTIONS.programs.values())) == 4


def test_authorities_read_from_loader_accounts() -> None:
    key = Keypair().pubkey()
    programdata = struct.pack("<IQ", 3, 42) + b"\x01" + bytes(key) + b"\x7fELF"
    assert programdata_authority(programdata) == key
    assert programdata_authority(struct.pack("<IQ", 3, 42) + b"\x00" + bytes(32)) is None
    buffer = struct.pack("<I", 1) + b"\x01" + bytes(key) + b"code"
    assert buffer_authority(buffer) == key
    with pytest.raises(ValueError, match="ProgramData"):
        programdata_authority(buffer)
    with pytest.raises(ValueError, match="buffer"):
        buffer_authority(programdata)
    with pytest.raises(ValueError):
        programdata_authority(b"\x03\x00")


def test_describe_names_the_program_whose_authority_is_exercised() -> None:
    new = Keypair().pubkey()
    ix = ACTIONS.set_upgrade_authority(ACTIONS.programs["registry"], new)
    accounts = stored([(m.pubkey, m.is_writable, m.is_signer) for m in ix.accounts])
    found = describe_loader(bytes(ix.data), accounts, ACTIONS.programs)
    assert (found.instruction, found.program) == ("set_authority", "registry")
    assert found.args["new_authority"] == str(new) and found.args["authority"] == str(GOV)
    frozen = ACTIONS.set_upgrade_authority(ACTIONS.programs["registry"], None)
    found = describe_loader(
        bytes(frozen.data),
        stored([(m.pubkey, m.is_writable, m.is_signer) for m in frozen.accounts]),
        ACTIONS.programs,
    )
    assert found.args["new_authority"] is None
    buffer = Keypair().pubkey()
    up = ACTIONS.upgrade(ACTIONS.programs["energy_token"], buffer, new)
    found = describe_loader(
        bytes(up.data),
        stored([(m.pubkey, m.is_writable, m.is_signer) for m in up.accounts]),
        ACTIONS.programs,
    )
    assert (found.instruction, found.program, found.args["buffer"]) == (
        "upgrade",
        "energy_token",
        str(buffer),
    )
    assert "buffer_sha256" not in found.args
    # With the pin the program stored at propose: what approvers compare with their build.
    elf = b"\x7fELF" + bytes(range(200))
    pin = BufferPin.of_program(elf)
    found = describe_loader(
        bytes(up.data),
        stored([(m.pubkey, m.is_writable, m.is_signer) for m in up.accounts]),
        ACTIONS.programs,
        pin,
    )
    assert found.args["buffer_sha256"] == hashlib.sha256(elf).hexdigest()
    assert found.args["buffer_len"] == str(len(elf))
    # Read from a Buffer account: the bytes after its 37-byte header.
    account = struct.pack("<I", 1) + b"\x01" + bytes(GOV) + elf
    assert buffer_pin(account) == pin
    with pytest.raises(ValueError, match="buffer"):
        buffer_pin(struct.pack("<IQ", 3, 42) + b"\x00" + bytes(32))
    # A ProgramData that is none of the four is shown by its address; other loader data as unknown.
    other = loader.programdata_address(Keypair().pubkey())
    found = describe_loader(
        struct.pack("<I", 4), stored([(other, True, False), (GOV, False, True)]), ACTIONS.programs
    )
    assert found.program == str(other)
    unknown = describe_loader(struct.pack("<I", 5), accounts, ACTIONS.programs)
    assert (unknown.instruction, unknown.args) == ("unknown", {"data": "05000000"})


def test_an_upgrade_asks_for_the_compute_to_hash_its_buffer() -> None:
    up = ACTIONS.upgrade(ACTIONS.programs["trading"], Keypair().pubkey(), Keypair().pubkey())
    [budget] = compute_budget(up)
    assert budget.program_id == Pubkey.from_string("ComputeBudget111111111111111111111111111111")
    assert budget.data == bytes([2]) + MAX_COMPUTE_UNITS.to_bytes(4, "little")
    assert compute_budget(ACTIONS.set_upgrade_authority(ACTIONS.programs["trading"], None)) == []
