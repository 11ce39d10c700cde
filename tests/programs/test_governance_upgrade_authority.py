"""The upgrade authority of SolGrid's programs under governance, in LiteSVM (its BPFLoaderUpgradeable is
agave's): a proposal may carry the loader's Upgrade, SetAuthority or SetAuthorityChecked of the ProgramData
of one of the four SolGrid programs, with the governance PDA as the signing authority, and nothing else of
the loader. The governance program here is deployed through the loader with the payer as its upgrade
authority (the ``governance`` fixture); the payer hands it to the governance PDA, after which only executed
proposals upgrade it or hand it on."""

from __future__ import annotations

import struct

import pytest
from governance_harness import SIGNER, WRITABLE, GovernanceEnv, code, proposal_accounts
from solders.account import Account
from solders.instruction import AccountMeta, Instruction
from solders.keypair import Keypair
from solders.pubkey import Pubkey
from solders.transaction_status import TransactionErrorInstructionError

from solgrid.localnet.svm import TransactionFailed, deploy
from solgrid.sdk import loader
from solgrid.sdk.governance import GovernanceClient, upgrade_authority
from solgrid.sdk.governance.accounts import BufferPin

PROGRAMDATA_AUTHORITY = slice(13, 45)
"""ProgramData: tag u32, slot u64, Option<Pubkey> (1 + 32): the authority's bytes when Some."""


def upgrade_authority_of(env: GovernanceEnv, program: Pubkey) -> Pubkey | None:
    data = env.registry.data(loader.programdata_address(program))
    return Pubkey.from_bytes(data[PROGRAMDATA_AUTHORITY]) if data[12] == 1 else None


def hand_to_governance(env: GovernanceEnv, program: Pubkey) -> None:
    """The deployer (the payer) hands ``program``'s upgrade authority to the governance PDA: SetAuthority
    needs no signature of the new authority."""
    gov = env.governance_pda().address
    env.send([loader.set_upgrade_authority(program, env.payer.pubkey(), gov)])
    assert upgrade_authority_of(env, program) == gov


def buffer_for_governance(
    env: GovernanceEnv, elf: bytes, buffer: Keypair | None = None, *, hand_over: bool = True
) -> Pubkey:
    """A buffer holding ``elf`` (at ``buffer``'s address, default a new one) whose authority is the
    governance PDA (written by the payer, then handed over: the Upgrade needs the buffer's authority to be
    the program's), or still the payer unless ``hand_over``."""
    buffer = Keypair() if buffer is None else buffer
    rent = env.svm.minimum_balance_for_rent_exemption(loader.BUFFER_HEADER_LEN + len(elf))
    env.send(
        [
            loader.create_buffer(env.payer.pubkey(), buffer.pubkey(), rent, len(elf)),
            loader.initialize_buffer(buffer.pubkey(), env.payer.pubkey()),
        ],
        [buffer],
    )
    chunk = 900
    for offset in range(0, len(elf), chunk):
        env.send([loader.write(buffer.pubkey(), env.payer.pubkey(), offset, elf[offset : offset + chunk])])
    if hand_over:
        gov = env.governance_pda().address
        env.send([loader.set_buffer_authority(buffer.pubkey(), env.payer.pubkey(), gov)])
    return buffer.pubkey()


def next_slot(env: GovernanceEnv) -> None:
    """The loader refuses to touch a program in the slot it was deployed or upgraded in."""
    env.svm.warp_to_slot(env.svm.get_clock().slot + 1)
    env.svm.expire_blockhash()


def loader_error(env: GovernanceEnv, instructions: list[Instruction], signers: list[Keypair]) -> str:
    """Sends a transaction that must fail in its last instruction; the error's name (a loader error is
    no custom code)."""
    with pytest.raises(TransactionFailed) as failed:
        env.send(instructions, signers)
    err = failed.value.err
    assert isinstance(err, TransactionErrorInstructionError), failed.value
    return str(err.err)


# -- the positive paths ----------------------------------------------------------------------------


def test_two_of_three_hand_the_upgrade_authority_back_and_upgrade(governance: GovernanceEnv) -> None:
    env = governance
    program = env.program_id
    gov = env.governance_pda().address
    hand_to_governance(env, program)
    # The deployer's key no longer upgrades or hands the authority on.
    next_slot(env)
    deployer = Keypair()
    refused = loader_error(
        env, [loader.set_upgrade_authority(program, env.payer.pubkey(), deployer.pubkey())], []
    )
    assert "IncorrectAuthority" in refused

    # Upgrade, from a buffer whose authority is the governance PDA: two of three approve.
    elf = bytes(env.registry.data(loader.programdata_address(program))[loader.PROGRAMDATA_HEADER_LEN :])
    buffer = buffer_for_governance(env, elf)
    spill = Keypair().pubkey()
    action = upgrade_authority.upgrade(program, buffer, spill, gov)
    proposal = env.approved(action, title="upgrade governance")
    next_slot(env)
    slot_before = struct.unpack_from("<Q", env.registry.data(loader.programdata_address(program)), 4)[0]
    env.execute(proposal)
    assert env.status(proposal) == "Executed"
    assert env.account(buffer) is None  # the loader closed the buffer into the spill account
    assert env.account(spill) is not None
    slot_after = struct.unpack_from("<Q", env.registry.data(loader.programdata_address(program)), 4)[0]
    assert slot_after > slot_before
    assert upgrade_authority_of(env, program) == gov

    # The upgraded program still runs proposals: SetAuthority back to a key.
    next_slot(env)
    new_authority = Keypair()
    proposal = env.approved(
        upgrade_authority.set_upgrade_authority(program, gov, new_authority.pubkey()), title="authority back"
    )
    env.execute(proposal)
    assert upgrade_authority_of(env, program) == new_authority.pubkey()
    # And that key holds it now: it hands it to governance again, without governance's signature.
    next_slot(env)
    env.send([loader.set_upgrade_authority(program, new_authority.pubkey(), gov)], [new_authority])
    assert upgrade_authority_of(env, program) == gov


def test_set_authority_checked_is_signed_by_the_new_authority_when_executed(
    governance: GovernanceEnv,
) -> None:
    env = governance
    program = env.program_id
    gov = env.governance_pda().address
    hand_to_governance(env, program)
    new_authority = Keypair()
    checked = Instruction(
        loader.LOADER_V3,
        struct.pack("<I", upgrade_authority.SET_AUTHORITY_CHECKED),
        [
            AccountMeta(loader.programdata_address(program), False, True),
            AccountMeta(gov, True, False),
            AccountMeta(new_authority.pubkey(), True, False),
        ],
    )
    proposal = env.approved(checked, accounts=proposal_accounts(checked))
    next_slot(env)
    metas = env.stored_metas(proposal)
    # Without the new authority's signature the loader refuses the CPI.
    with pytest.raises(TransactionFailed):
        env.send([env.execute_ix(proposal, metas)])
    assert env.status(proposal) == "Open"
    signed = [*metas[:2], AccountMeta(new_authority.pubkey(), True, False)]
    env.send([env.execute_ix(proposal, signed)], [new_authority])
    assert env.status(proposal) == "Executed"
    assert upgrade_authority_of(env, program) == new_authority.pubkey()


def test_each_solgrid_programs_program_data_is_accepted_at_propose(governance: GovernanceEnv) -> None:
    """Propose checks addresses only: the ProgramData of each of the four programs (the three targets are
    loaded without the loader here, so these proposals could not execute) is accepted, in any position of
    the configured list; the CU of each is recorded."""
    env = governance
    gov = env.governance_pda().address
    r0 = env.regulators[0]
    programs = [
        env.registry.program_id,
        env.trading.client.program_id,
        env.token_program_id(),
        env.program_id,
    ]
    for program in programs:
        action = upgrade_authority.set_upgrade_authority(program, gov, Keypair().pubkey())
        ix, proposal = env.propose_ix(r0.pubkey(), action)
        sent = env.send([ix], [r0])
        env.cu.setdefault("propose_loader", []).append(sent.program_cu(env.program_id))
        stored = env.proposal(proposal)
        assert stored.target_program == loader.LOADER_V3
        assert stored.account_count == 3
    # Making a program immutable (no new authority) is a SetAuthority too.
    immutable = upgrade_authority.set_upgrade_authority(programs[1], gov, None)
    ix, _ = env.propose_ix(r0.pubkey(), immutable)
    env.send([ix], [r0])


# -- refusals --------------------------------------------------------------------------------------


def test_other_loader_instructions_are_refused(governance: GovernanceEnv) -> None:
    env = governance
    r0 = env.regulators[0]
    program = env.program_id
    gov = env.governance_pda().address
    program_data = loader.programdata_address(program)
    close = Instruction(
        loader.LOADER_V3,
        struct.pack("<I", 5),
        [
            AccountMeta(program_data, False, True),
            AccountMeta(r0.pubkey(), False, True),
            AccountMeta(gov, True, False),
            AccountMeta(program, False, True),
        ],
    )
    extend = loader.extend_program(program, gov, 10_240)
    extend_checked = Instruction(
        loader.LOADER_V3,
        struct.pack("<II", 9, 10_240),
        [
            AccountMeta(program_data, False, True),
            AccountMeta(program, False, True),
            AccountMeta(gov, True, False),
        ],
    )
    # InitializeBuffer, Write, DeployWithMaxDataLen, Close, ExtendProgram, Migrate, ExtendProgramChecked.
    for ix in (close, extend, extend_checked):
        propose, _ = env.propose_ix(r0.pubkey(), ix)
        assert env.fail([propose], [r0]) == code("LoaderInstructionNotAllowed")
    set_authority = upgrade_authority.set_upgrade_authority(program, gov, Keypair().pubkey())
    for data in (
        struct.pack("<I", 0),
        struct.pack("<I", 1),
        struct.pack("<I", 2),
        struct.pack("<I", 8),
        struct.pack("<I", 4) + b"\0",  # SetAuthority with trailing bytes
        b"",
    ):
        propose, _ = env.propose_ix(r0.pubkey(), set_authority, data=data)
        assert env.fail([propose], [r0]) == code("LoaderInstructionNotAllowed")


def test_a_program_data_that_is_not_solgrids_is_refused(
    governance: GovernanceEnv, governance_elves: dict[str, bytes]
) -> None:
    env = governance
    r0 = env.regulators[0]
    gov = env.governance_pda().address
    # Another upgradeable program (the registry's ELF at a fresh address), its authority the governance PDA.
    other = deploy(env.svm, env.payer, governance_elves["registry"])
    hand_to_governance(env, other)
    for action in (
        upgrade_authority.set_upgrade_authority(other, gov, r0.pubkey()),
        upgrade_authority.set_upgrade_authority(other, gov, None),
    ):
        propose, _ = env.propose_ix(r0.pubkey(), action)
        assert env.fail([propose], [r0]) == code("NotSolGridProgramData")
    # Its Upgrade is refused by the program it names.
    upgrade_other = upgrade_authority.upgrade(other, Keypair().pubkey(), r0.pubkey(), gov)
    propose, _ = env.propose_ix(r0.pubkey(), upgrade_other)
    assert env.fail([propose], [r0]) == code("InvalidLoaderAccounts")
    # A SolGrid program named with another program's ProgramData.
    crossed = upgrade_authority.upgrade(env.program_id, Keypair().pubkey(), r0.pubkey(), gov)
    metas = proposal_accounts(crossed)
    metas[0]["address"] = loader.programdata_address(other)
    propose, _ = env.propose_ix(r0.pubkey(), crossed, accounts=metas)
    assert env.fail([propose], [r0]) == code("NotSolGridProgramData")
    # A buffer's authority is no ProgramData either.
    buffer = buffer_for_governance(env, b"\x7fELF" + bytes(60))
    set_buffer = upgrade_authority.set_upgrade_authority(env.program_id, gov, r0.pubkey())
    metas = proposal_accounts(set_buffer)
    metas[0]["address"] = buffer
    propose, _ = env.propose_ix(r0.pubkey(), set_buffer, accounts=metas)
    assert env.fail([propose], [r0]) == code("NotSolGridProgramData")
    # The program account itself in the ProgramData's place.
    metas[0]["address"] = env.program_id
    propose, _ = env.propose_ix(r0.pubkey(), set_buffer, accounts=metas)
    assert env.fail([propose], [r0]) == code("NotSolGridProgramData")


def test_accounts_at_the_wrong_index_or_with_the_wrong_roles_are_refused(governance: GovernanceEnv) -> None:
    env = governance
    r0 = env.regulators[0]
    gov = env.governance_pda().address
    new = Keypair().pubkey()
    action = upgrade_authority.set_upgrade_authority(env.program_id, gov, new)
    metas = proposal_accounts(action)  # [ProgramData w, governance s, new]

    def refused(accounts: list[dict[str, object]], target: Instruction = action) -> int:
        propose, _ = env.propose_ix(r0.pubkey(), target, accounts=accounts)
        return env.fail([propose], [r0])

    # ProgramData after the new authority.
    assert refused([metas[2], metas[1], metas[0]]) == code("NotSolGridProgramData")
    # ProgramData and authority swapped.
    assert refused([metas[1], metas[0], metas[2]]) == code("LoaderAuthorityNotGovernance")
    # The authority not signing, or another key as the authority.
    assert refused([metas[0], {"address": gov, "flags": 0}, metas[2]]) == code("LoaderAuthorityNotGovernance")
    assert refused([metas[0], {"address": r0.pubkey(), "flags": SIGNER}, metas[2]]) == code(
        "LoaderAuthorityNotGovernance"
    )
    # A stray signer; a new authority marked as signing a plain SetAuthority; too many or too few accounts.
    assert refused(
        [{"address": metas[0]["address"], "flags": WRITABLE | SIGNER}, metas[1], metas[2]]
    ) == code("SignerNotGovernance")
    assert refused([metas[0], metas[1], {"address": new, "flags": SIGNER}]) == code("InvalidLoaderAccounts")
    assert refused([*metas, {"address": new, "flags": 0}]) == code("InvalidLoaderAccounts")
    assert refused(metas[:1]) == code("InvalidLoaderAccounts")
    # Unknown flag bits.
    assert refused([metas[0], metas[1], {"address": new, "flags": 4}]) == code("InvalidAccountFlags")
    # SetAuthorityChecked whose new authority does not sign.
    checked = Instruction(loader.LOADER_V3, struct.pack("<I", 7), action.accounts)
    assert refused(metas, checked) == code("InvalidLoaderAccounts")
    # Upgrade with the program and its ProgramData swapped.
    upgrade = upgrade_authority.upgrade(env.program_id, Keypair().pubkey(), r0.pubkey(), gov)
    swapped = proposal_accounts(upgrade)
    swapped[0], swapped[1] = swapped[1], swapped[0]
    assert refused(swapped, upgrade) == code("InvalidLoaderAccounts")


def test_execute_passes_exactly_the_stored_loader_accounts(governance: GovernanceEnv) -> None:
    env = governance
    program = env.program_id
    gov = env.governance_pda().address
    hand_to_governance(env, program)
    attacker = Keypair()
    proposal = env.approved(upgrade_authority.set_upgrade_authority(program, gov, Keypair().pubkey()))
    metas = env.stored_metas(proposal)
    metas[2] = AccountMeta(attacker.pubkey(), False, False)
    assert env.fail([env.execute_ix(proposal, metas)]) == code("AccountMismatch")
    assert env.fail([env.execute_ix(proposal, target_program=env.program_id)]) == code("TargetMismatch")
    assert upgrade_authority_of(env, program) == gov


# -- the buffer of an Upgrade is pinned ------------------------------------------------------------


def programdata_elf(env: GovernanceEnv, program: Pubkey) -> bytes:
    return bytes(env.registry.data(loader.programdata_address(program))[loader.PROGRAMDATA_HEADER_LEN :])


def test_a_buffer_its_holder_can_still_write_is_refused_at_propose(governance: GovernanceEnv) -> None:
    """The reviewer's attack: the proposer keeps the buffer's authority, so they could rewrite it after the
    approvals and only then hand it to governance. Propose refuses such a buffer."""
    env = governance
    r0 = env.regulators[0]
    program = env.program_id
    gov = env.governance_pda().address
    hand_to_governance(env, program)
    held = buffer_for_governance(env, b"\x7fELF" + bytes(300), hand_over=False)
    action = upgrade_authority.upgrade(program, held, Keypair().pubkey(), gov)
    propose, _ = env.propose_ix(r0.pubkey(), action)
    assert env.fail([propose], [r0]) == code("BufferAuthorityNotGovernance")
    # Without the buffer after propose's accounts, or with another account there.
    propose, _ = env.propose_ix(r0.pubkey(), action, extra=[])
    assert env.fail([propose], [r0]) == code("InvalidUpgradeBuffer")
    other = buffer_for_governance(env, b"\x7fELF" + bytes(300))
    propose, _ = env.propose_ix(r0.pubkey(), action, extra=[AccountMeta(other, False, False)])
    assert env.fail([propose], [r0]) == code("AccountMismatch")
    # A "buffer" that is none: a ProgramData (the loader's, state 3) or a plain system account.
    for not_a_buffer in (loader.programdata_address(env.registry.program_id), r0.pubkey()):
        action = upgrade_authority.upgrade(program, not_a_buffer, Keypair().pubkey(), gov)
        propose, _ = env.propose_ix(r0.pubkey(), action)
        assert env.fail([propose], [r0]) == code("InvalidUpgradeBuffer")
    assert upgrade_authority_of(env, program) == gov


def test_a_buffer_recreated_after_the_approvals_is_refused_at_execute(governance: GovernanceEnv) -> None:
    """Two pending Upgrades name one buffer. The first consumes it (the loader closes it); its keypair's
    holder recreates an account at that address with other code and hands it to governance. The second
    proposal pinned the approved bytes, so execute refuses the new ones."""
    env = governance
    program = env.program_id
    gov = env.governance_pda().address
    hand_to_governance(env, program)
    next_slot(env)
    elf = programdata_elf(env, program)
    keypair = Keypair()
    buffer = buffer_for_governance(env, elf, keypair)
    first = env.approved(upgrade_authority.upgrade(program, buffer, Keypair().pubkey(), gov), title="first")
    second = env.approved(upgrade_authority.upgrade(program, buffer, Keypair().pubkey(), gov), title="second")
    # What approvers compare with their build: the pin holds the ELF's length and sha256.
    stored = GovernanceClient(env.program_id).decode_proposal(second, env.registry.data(second))
    assert stored.buffer_pin == BufferPin.of_program(elf)
    assert stored.data == struct.pack("<I", upgrade_authority.UPGRADE)  # the CPI carries 4 bytes only
    env.execute(first)
    assert env.account(buffer) is None
    # Recreated with one byte of code changed (same length), then handed to governance.
    evil = bytearray(elf)
    evil[len(evil) // 2] ^= 0xFF
    buffer_for_governance(env, bytes(evil), keypair)
    next_slot(env)
    assert env.fail([env.execute_ix(second)]) == code("BufferChanged")
    assert env.status(second) == "Open"
    # Longer code at that address: refused as well (before hashing).
    longer = env.account(buffer)
    assert longer is not None
    header = bytes(longer.data)[: loader.BUFFER_HEADER_LEN]
    env.svm.set_account(
        buffer, Account(longer.lamports, header + elf + b"\0" * 64, loader.LOADER_V3, False, 0)
    )
    assert env.fail([env.execute_ix(second)]) == code("BufferChanged")
    # The very bytes approved: the second proposal installs them.
    env.svm.set_account(buffer, Account(longer.lamports, header + elf, loader.LOADER_V3, False, 0))
    env.execute(second)
    assert env.status(second) == "Executed"
    assert programdata_elf(env, program)[: len(elf)] == elf


def test_execute_refuses_an_upgrade_whose_buffer_changed_hands(governance: GovernanceEnv) -> None:
    """The buffer at execute is checked as at propose: still a Buffer held by the governance PDA."""
    env = governance
    program = env.program_id
    gov = env.governance_pda().address
    hand_to_governance(env, program)
    next_slot(env)
    elf = programdata_elf(env, program)
    buffer = buffer_for_governance(env, elf)
    proposal = env.approved(upgrade_authority.upgrade(program, buffer, Keypair().pubkey(), gov))
    held = env.account(buffer)
    assert held is not None
    data = bytearray(held.data)
    data[5 : loader.BUFFER_HEADER_LEN] = bytes(env.payer.pubkey())
    env.svm.set_account(buffer, Account(held.lamports, bytes(data), loader.LOADER_V3, False, 0))
    assert env.fail([env.execute_ix(proposal)]) == code("BufferAuthorityNotGovernance")
    env.svm.set_account(buffer, Account(held.lamports, bytes(data), env.program_id, False, 0))
    assert env.fail([env.execute_ix(proposal)]) == code("InvalidUpgradeBuffer")
    assert env.status(proposal) == "Open"
