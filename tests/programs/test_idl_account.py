"""The IDL-account instructions (program-kit's ``idl_account``, wired into every program) in LiteSVM:
each instruction's success and its failure paths (wrong signer, wrong authority, wrong accounts, length
overflow, writes past the end, a buffer of another authority, close)."""

from __future__ import annotations

import struct
import zlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import pytest
from registry_harness import LAMPORTS, REPO, code
from solders.account import Account
from solders.instruction import AccountMeta, Instruction
from solders.keypair import Keypair
from solders.pubkey import Pubkey
from solders.system_program import CreateAccountParams, TransferParams, create_account, transfer
from solders.transaction_status import InstructionErrorCustom, TransactionErrorInstructionError

from solgrid.localnet.engine import Engine
from solgrid.localnet.svm import TransactionFailed, deploy, features_blocking_deploy, new_svm, send
from solgrid.sdk import idl_account as ia
from solgrid.sdk.idl import load_idl_json
from solgrid.sdk.keys import read_keypair

PROGRAMS = ("registry", "energy_token", "trading", "governance")


@dataclass
class IdlEnv:
    svm: Engine
    payer: Keypair
    """The program's upgrade authority."""
    program_id: Pubkey

    @property
    def idl(self) -> Pubkey:
        return ia.idl_address(self.program_id)

    def send(
        self,
        instructions: Sequence[Instruction],
        signers: Sequence[Keypair] = (),
        payer: Keypair | None = None,
    ) -> None:
        send(self.svm, payer or self.payer, instructions, signers)

    def fail(
        self,
        instructions: Sequence[Instruction],
        signers: Sequence[Keypair] = (),
        payer: Keypair | None = None,
    ) -> int:
        with pytest.raises(TransactionFailed) as failed:
            self.send(instructions, signers, payer)
        err = failed.value.err
        assert isinstance(err, TransactionErrorInstructionError), failed.value
        assert isinstance(err.err, InstructionErrorCustom), failed.value
        return err.err.code

    def wallet(self) -> Keypair:
        wallet = Keypair()
        self.svm.airdrop(wallet.pubkey(), LAMPORTS)
        return wallet

    def raw(self, address: Pubkey) -> bytes:
        account = self.svm.get_account(address)
        assert account is not None and account.lamports > 0
        return bytes(account.data)

    def create(self, data_len: int = 1_000) -> None:
        self.send([ia.create(self.program_id, self.payer.pubkey(), data_len)])

    def buffer(self, authority: Keypair, space: int = 2_000) -> Pubkey:
        buffer = Keypair()
        rent = self.svm.minimum_balance_for_rent_exemption(space)
        params = CreateAccountParams(
            from_pubkey=self.payer.pubkey(),
            to_pubkey=buffer.pubkey(),
            lamports=rent,
            space=space,
            owner=self.program_id,
        )
        self.send(
            [create_account(params), ia.create_buffer(self.program_id, buffer.pubkey(), authority.pubkey())],
            [buffer, authority],
        )
        return buffer.pubkey()

    def set_header(self, address: Pubkey, data_len: int) -> None:
        account = self.svm.get_account(address)
        assert account is not None
        data = bytearray(account.data)
        data[40:44] = struct.pack("<I", data_len)
        self.svm.set_account(
            address,
            Account(account.lamports, bytes(data), account.owner, account.executable, account.rent_epoch),
        )


def env_for(elf_of: Callable[[str], bytes], name: str) -> IdlEnv:
    elf = elf_of(name)
    svm = new_svm(deactivate=features_blocking_deploy(elf))
    payer = Keypair()
    svm.airdrop(payer.pubkey(), LAMPORTS)
    program = read_keypair(REPO / "keys" / f"{name}-keypair.json")
    deploy(svm, payer, elf, program)
    return IdlEnv(svm, payer, program.pubkey())


@pytest.fixture
def env(elf_of: Callable[[str], bytes]) -> IdlEnv:
    return env_for(elf_of, "registry")


@pytest.mark.parametrize("name", PROGRAMS)
def test_every_program_publishes_its_idl(elf_of: Callable[[str], bytes], name: str) -> None:
    env = env_for(elf_of, name)
    compressed = zlib.compress((REPO / "idl" / f"{name}.json").read_bytes())
    env.create(len(compressed))
    space = min(ia.MAX_CREATE_SPACE, ia.HEADER_LEN + len(compressed))
    assert len(env.raw(env.idl)) == space
    while len(env.raw(env.idl)) < ia.HEADER_LEN + len(compressed):
        env.send([ia.resize(env.program_id, env.idl, env.payer.pubkey(), ia.HEADER_LEN + len(compressed))])
    for offset in range(0, len(compressed), 900):
        env.send([ia.write(env.program_id, env.idl, env.payer.pubkey(), compressed[offset : offset + 900])])
    stored = ia.decode_idl_account(env.raw(env.idl))
    assert stored.authority == env.payer.pubkey() and stored.data == compressed
    account = env.svm.get_account(env.idl)
    assert account is not None and account.owner == env.program_id
    assert account.lamports == env.svm.minimum_balance_for_rent_exemption(len(account.data))


def test_create_only_by_the_upgrade_authority(env: IdlEnv) -> None:
    stranger = env.wallet()
    squat = ia.create(env.program_id, stranger.pubkey(), 100)
    assert env.fail([squat], payer=stranger) == code("NotUpgradeAuthority")
    unsigned = ia.create(env.program_id, env.payer.pubkey(), 100)
    unsigned.accounts = [AccountMeta(env.payer.pubkey(), False, True), *unsigned.accounts[1:]]
    assert env.fail([unsigned], payer=stranger) == code("MissingSigner")
    assert env.svm.get_account(env.idl) is None


def test_create_refuses_wrong_accounts(env: IdlEnv) -> None:
    good = ia.create(env.program_id, env.payer.pubkey(), 100)

    def with_account(index: int, meta: AccountMeta) -> Instruction:
        accounts = list(good.accounts)
        accounts[index] = meta
        return Instruction(env.program_id, good.data, accounts)

    elsewhere = Pubkey.create_with_seed(Keypair().pubkey(), ia.IDL_SEED, env.program_id)
    assert env.fail([with_account(1, AccountMeta(elsewhere, False, True))]) == code("InvalidPda")
    assert env.fail([with_account(1, AccountMeta(env.idl, False, False))]) == code("AccountNotWritable")
    assert env.fail([with_account(2, AccountMeta(Keypair().pubkey(), False, False))]) == code("InvalidPda")
    assert env.fail([with_account(3, AccountMeta(Keypair().pubkey(), False, False))]) == code(
        "InvalidSystemProgram"
    )
    assert env.fail([with_account(4, AccountMeta(Keypair().pubkey(), False, False))]) == code(
        "InvalidProgramData"
    )
    assert env.fail([with_account(5, AccountMeta(Keypair().pubkey(), False, False))]) == code(
        "InvalidProgramData"
    )
    short = Instruction(env.program_id, good.data, list(good.accounts[:5]))
    assert env.fail([short]) == code("NotEnoughAccounts")
    overflow = ia.create(env.program_id, env.payer.pubkey(), 2**64 - 1)
    assert env.fail([overflow]) == code("ArithmeticOverflow")
    truncated = Instruction(env.program_id, good.data[:-1], list(good.accounts))
    assert env.fail([truncated]) == code("InvalidInstructionData")
    unknown = Instruction(env.program_id, ia.IDL_IX_TAG + bytes([7]), list(good.accounts))
    assert env.fail([unknown]) == code("UnknownInstruction")
    env.create(100)
    assert env.fail([ia.create(env.program_id, env.payer.pubkey(), 200)]) == code("AlreadyInitialized")


def test_create_despite_lamports_sent_first(env: IdlEnv) -> None:
    lamports = env.svm.minimum_balance_for_rent_exemption(0)
    env.send([transfer(TransferParams(from_pubkey=env.payer.pubkey(), to_pubkey=env.idl, lamports=lamports))])
    env.create(300)
    account = env.svm.get_account(env.idl)
    assert account is not None and account.owner == env.program_id and len(account.data) == 344
    assert account.lamports == env.svm.minimum_balance_for_rent_exemption(344)


def test_write_checks_authority_length_and_room(env: IdlEnv) -> None:
    env.create(100)
    stranger = env.wallet()
    assert env.fail([ia.write(env.program_id, env.idl, stranger.pubkey(), b"x")], [stranger]) == code(
        "NotIdlAuthority"
    )
    unsigned = ia.write(env.program_id, env.idl, env.payer.pubkey(), b"x")
    unsigned.accounts = [unsigned.accounts[0], AccountMeta(env.payer.pubkey(), False, False)]
    assert env.fail([unsigned], payer=stranger) == code("MissingSigner")
    readonly = ia.write(env.program_id, env.idl, env.payer.pubkey(), b"x")
    readonly.accounts = [AccountMeta(env.idl, False, False), readonly.accounts[1]]
    assert env.fail([readonly]) == code("AccountNotWritable")
    # Past the end: 100 bytes fit, 101 do not, nor one more after 100.
    assert env.fail([ia.write(env.program_id, env.idl, env.payer.pubkey(), bytes(101))]) == code(
        "IdlAccountFull"
    )
    env.send([ia.write(env.program_id, env.idl, env.payer.pubkey(), bytes(range(100)))])
    assert env.fail([ia.write(env.program_id, env.idl, env.payer.pubkey(), b"y")]) == code("IdlAccountFull")
    assert ia.decode_idl_account(env.raw(env.idl)).data == bytes(range(100))
    # A length prefix that does not match the bytes.
    bad = ia.write(env.program_id, env.idl, env.payer.pubkey(), b"ab")
    bad = Instruction(env.program_id, bad.data[:-1], list(bad.accounts))
    assert env.fail([bad]) == code("InvalidInstructionData")
    # Accounts that are not IDL accounts of this program.
    other = env.wallet().pubkey()
    assert env.fail([ia.write(env.program_id, other, env.payer.pubkey(), b"x")]) == code("InvalidOwner")


def test_write_refuses_an_overflowing_or_corrupt_length(env: IdlEnv) -> None:
    env.create(100)
    env.set_header(env.idl, 2**32 - 1)
    assert env.fail([ia.write(env.program_id, env.idl, env.payer.pubkey(), b"x")]) == code(
        "InvalidAccountData"
    )
    env.set_header(env.idl, 101)
    assert env.fail([ia.write(env.program_id, env.idl, env.payer.pubkey(), b"")]) == code(
        "InvalidAccountData"
    )


def test_set_buffer_needs_the_idl_authority_on_both(env: IdlEnv) -> None:
    env.create(100)
    env.send([ia.write(env.program_id, env.idl, env.payer.pubkey(), b"old")])
    stranger = env.wallet()
    theirs = env.buffer(stranger, 200)
    env.send([ia.write(env.program_id, theirs, stranger.pubkey(), b"forged")], [stranger])
    assert env.fail([ia.set_buffer(env.program_id, theirs, env.payer.pubkey())]) == code("NotIdlAuthority")
    assert env.fail([ia.set_buffer(env.program_id, theirs, stranger.pubkey())], [stranger]) == code(
        "NotIdlAuthority"
    )
    ours = env.buffer(env.payer, 200)
    env.send([ia.write(env.program_id, ours, env.payer.pubkey(), b"new idl")])
    same = ia.set_buffer(env.program_id, env.idl, env.payer.pubkey())
    assert env.fail([same]) == code("InvalidAccountData")
    env.send([ia.set_buffer(env.program_id, ours, env.payer.pubkey())])
    assert ia.decode_idl_account(env.raw(env.idl)).data == b"new idl"
    # A buffer larger than the IDL account's room.
    big = env.buffer(env.payer, 400)
    env.send([ia.write(env.program_id, big, env.payer.pubkey(), bytes(300))])
    assert env.fail([ia.set_buffer(env.program_id, big, env.payer.pubkey())]) == code("IdlAccountFull")
    # CreateBuffer claims only zeroed accounts of this program.
    assert env.fail([ia.create_buffer(env.program_id, ours, env.payer.pubkey())]) == code(
        "AlreadyInitialized"
    )
    assert env.fail([ia.create_buffer(env.program_id, env.idl, env.payer.pubkey())]) == code(
        "AlreadyInitialized"
    )


def test_set_authority_hands_over_and_erases(env: IdlEnv) -> None:
    env.create(100)
    successor = env.wallet()
    stranger = env.wallet()
    handover = ia.set_authority(env.program_id, env.idl, stranger.pubkey(), stranger.pubkey())
    assert env.fail([handover], [stranger]) == code("NotIdlAuthority")
    env.send([ia.set_authority(env.program_id, env.idl, env.payer.pubkey(), successor.pubkey())])
    assert env.fail([ia.write(env.program_id, env.idl, env.payer.pubkey(), b"x")]) == code("NotIdlAuthority")
    env.send([ia.write(env.program_id, env.idl, successor.pubkey(), b"x")], [successor])
    env.send([ia.set_authority(env.program_id, env.idl, successor.pubkey(), Pubkey.default())], [successor])
    assert ia.decode_idl_account(env.raw(env.idl)).authority == Pubkey.default()
    assert env.fail([ia.write(env.program_id, env.idl, successor.pubkey(), b"y")], [successor]) == code(
        "NotIdlAuthority"
    )


def test_resize_grows_by_the_authority_only(env: IdlEnv) -> None:
    env.create(100)
    env.send([ia.write(env.program_id, env.idl, env.payer.pubkey(), b"kept")])
    stranger = env.wallet()
    grow = ia.resize(env.program_id, env.idl, stranger.pubkey(), 50_000)
    assert env.fail([grow], [stranger]) == code("NotIdlAuthority")
    assert env.fail([ia.resize(env.program_id, env.idl, env.payer.pubkey(), 100)]) == code(
        "InvalidInstructionData"
    )
    env.send([ia.resize(env.program_id, env.idl, env.payer.pubkey(), 50_000)])
    assert len(env.raw(env.idl)) == 144 + 10_240
    assert ia.decode_idl_account(env.raw(env.idl)).data == b"kept"
    account = env.svm.get_account(env.idl)
    assert account is not None and account.lamports == env.svm.minimum_balance_for_rent_exemption(
        144 + 10_240
    )


def test_close_returns_the_lamports_to_the_destination(env: IdlEnv) -> None:
    env.create(100)
    stranger = env.wallet()
    assert env.fail(
        [ia.close(env.program_id, env.idl, stranger.pubkey(), stranger.pubkey())], [stranger]
    ) == code("NotIdlAuthority")
    assert env.fail([ia.close(env.program_id, env.idl, env.payer.pubkey(), env.idl)]) == code(
        "InvalidAccountData"
    )
    destination = Keypair().pubkey()
    lamports = env.svm.get_balance(env.idl)
    env.send([ia.close(env.program_id, env.idl, env.payer.pubkey(), destination)])
    assert env.svm.get_balance(destination) == lamports
    account = env.svm.get_account(env.idl)
    assert account is None or account.lamports == 0
    # The IDL can be created again afterwards by the upgrade authority.
    env.create(100)


def _with_account(ix: Instruction, index: int, meta: AccountMeta) -> Instruction:
    accounts = list(ix.accounts)
    accounts[index] = meta
    return Instruction(ix.program_id, ix.data, accounts)


def _readonly(ix: Instruction, index: int) -> Instruction:
    meta = ix.accounts[index]
    return _with_account(ix, index, AccountMeta(meta.pubkey, meta.is_signer, False))


def test_a_state_account_of_the_program_is_no_idl(env: IdlEnv) -> None:
    """An account the program owns with another discriminator (the registry's Config, say) is neither
    written, handed over, closed nor claimed as a buffer."""
    state = Keypair().pubkey()
    data = b"\x01" * 8 + bytes(env.payer.pubkey()) + bytes(200)  # the authority's key where an IDL has it
    rent = env.svm.minimum_balance_for_rent_exemption(len(data))
    env.svm.set_account(state, Account(rent, data, env.program_id, False, 0))
    me = env.payer.pubkey()
    assert env.fail([ia.write(env.program_id, state, me, b"x")]) == code("InvalidAccountData")
    assert env.fail([ia.set_authority(env.program_id, state, me, Keypair().pubkey())]) == code(
        "InvalidAccountData"
    )
    assert env.fail([ia.close(env.program_id, state, me, me)]) == code("InvalidAccountData")
    assert env.fail([ia.resize(env.program_id, state, me, 5_000)]) == code("InvalidAccountData")
    assert env.fail([ia.create_buffer(env.program_id, state, me)]) == code("AlreadyInitialized")
    assert env.raw(state) == data


def test_create_buffer_refuses_what_is_no_fresh_buffer_of_this_program(env: IdlEnv) -> None:
    me = env.payer.pubkey()

    def account(space: int, owner: Pubkey, lamports: int | None = None) -> Pubkey:
        address = Keypair().pubkey()
        rent = env.svm.minimum_balance_for_rent_exemption(space) if lamports is None else lamports
        env.svm.set_account(address, Account(rent, bytes(space), owner, False, 0))
        return address

    foreign = account(200, Keypair().pubkey())
    assert env.fail([ia.create_buffer(env.program_id, foreign, me)]) == code("InvalidOwner")
    poor = account(200, env.program_id, lamports=1)
    assert env.fail([ia.create_buffer(env.program_id, poor, me)]) == code("InvalidAccountData")
    short = account(43, env.program_id)
    assert env.fail([ia.create_buffer(env.program_id, short, me)]) == code("AlreadyInitialized")
    fresh = account(200, env.program_id)
    assert env.fail([_readonly(ia.create_buffer(env.program_id, fresh, me), 0)]) == code("AccountNotWritable")
    stranger = env.wallet()
    unsigned = _with_account(ia.create_buffer(env.program_id, fresh, me), 1, AccountMeta(me, False, False))
    assert env.fail([unsigned], payer=stranger) == code("MissingSigner")
    assert env.raw(fresh) == bytes(200)
    env.send([ia.create_buffer(env.program_id, fresh, me)])
    assert ia.decode_idl_account(env.raw(fresh)).authority == me


def test_resize_close_and_set_buffer_check_their_other_accounts(env: IdlEnv) -> None:
    env.create(100)
    me = env.payer.pubkey()
    grow = ia.resize(env.program_id, env.idl, me, 5_000)
    # The authority signs but is not the fee payer (a fee payer is always writable).
    fee_payer = env.wallet()
    assert env.fail([_readonly(grow, 1)], [env.payer], payer=fee_payer) == code("AccountNotWritable")
    assert env.fail([_with_account(grow, 2, AccountMeta(Keypair().pubkey(), False, False))]) == code(
        "InvalidSystemProgram"
    )
    destination = env.wallet().pubkey()
    assert env.fail([_readonly(ia.close(env.program_id, env.idl, me, destination), 2)]) == code(
        "AccountNotWritable"
    )
    # A buffer owned by another program, however its bytes look.
    buffer = env.buffer(env.payer, 200)
    account = env.svm.get_account(buffer)
    assert account is not None
    other = Keypair().pubkey()
    env.svm.set_account(buffer, Account(account.lamports, bytes(account.data), other, False, 0))
    assert env.fail([ia.set_buffer(env.program_id, buffer, me)]) == code("InvalidOwner")
    assert env.raw(env.idl)[40:44] == bytes(4)


@pytest.mark.parametrize("name", PROGRAMS)
def test_no_instruction_discriminator_is_the_idl_tag(name: str) -> None:
    discriminators = [bytes(ix["discriminator"]) for ix in load_idl_json(name)["instructions"]]
    assert ia.IDL_IX_TAG not in discriminators and len(set(discriminators)) == len(discriminators)
