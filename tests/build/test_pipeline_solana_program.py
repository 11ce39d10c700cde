"""A crate written against ``solana-program`` (crates.io) built by ``StdBuilder`` and run in LiteSVM.

``std-fixture/`` is a ``cdylib`` the way ``cargo build-sbf`` users write one: ``entrypoint!``, ``msg!``,
account data, a System Program transfer by ``invoke``, custom errors. It needs std and takes its syscalls
on ``target_os = "solana"``. The test deploys it through BPFLoaderUpgradeable and checks every path. The
std build is cached in ``target/std-fixture/`` (cold: minutes; warm: seconds). ``std-fixture/refused``
needs what Solana lacks (a ``thread_local!``) and must be refused naming it.
"""

from __future__ import annotations

import struct
from pathlib import Path

import pytest
from solders.account import Account
from solders.instruction import AccountMeta, Instruction
from solders.keypair import Keypair
from solders.pubkey import Pubkey
from solders.system_program import ID as SYSTEM_PROGRAM
from solders.transaction_status import (
    InstructionErrorCustom,
    InstructionErrorFieldless,
    TransactionErrorInstructionError,
)

from solgrid.build.errors import UnsupportedCode
from solgrid.build.std_build import StdBuilder, manifest_programs
from solgrid.build.toolchain import Toolchain
from solgrid.localnet.engine import Engine
from solgrid.localnet.svm import TransactionFailed, deploy, features_blocking_deploy, new_svm, send

pytestmark = pytest.mark.slow

FIXTURE = Path(__file__).parent / "std-fixture" / "Cargo.toml"
REPO = Path(__file__).resolve().parents[2]
#: The fixture's cargo outputs, std's build among them (``tests/cli/test_build_cmd.py`` shares it).
TARGET_DIR = REPO / "target" / "std-fixture"
BAD_INSTRUCTION, OVERFLOW, NOT_OWNED = 1, 2, 3


@pytest.fixture(scope="module")
def elf() -> bytes:
    toolchain = Toolchain.locate()
    [program] = manifest_programs(toolchain, FIXTURE, ("counter_transfer",)).programs
    builder = StdBuilder(FIXTURE.parent, toolchain, target_dir=TARGET_DIR)
    return builder.build(program).so_path.read_bytes()


@pytest.fixture()
def chain(elf: bytes) -> tuple[Engine, Keypair, Pubkey]:
    svm = new_svm(deactivate=features_blocking_deploy(elf))
    payer = Keypair()
    svm.airdrop(payer.pubkey(), 10**11)
    return svm, payer, deploy(svm, payer, elf)


def _counter(svm: Engine, owner: Pubkey, value: int, size: int = 8) -> Pubkey:
    key = Pubkey.new_unique()
    data = value.to_bytes(8, "little") + bytes(size - 8)
    svm.set_account(key, Account(lamports=10**9, data=data, owner=owner, executable=False, rent_epoch=0))
    return key


def _add(program: Pubkey, counter: Pubkey, amount: int) -> Instruction:
    return Instruction(program, struct.pack("<BQ", 0, amount), [AccountMeta(counter, False, True)])


def _transfer(program: Pubkey, source: Pubkey, dest: Pubkey, lamports: int) -> Instruction:
    metas = [
        AccountMeta(source, True, True),
        AccountMeta(dest, False, True),
        AccountMeta(SYSTEM_PROGRAM, False, False),
    ]
    return Instruction(program, struct.pack("<BQ", 1, lamports), metas)


def _failure(svm: Engine, payer: Keypair, ix: Instruction) -> TransactionFailed:
    with pytest.raises(TransactionFailed) as failed:
        send(svm, payer, [ix])
    err = failed.value.err
    assert isinstance(err, TransactionErrorInstructionError), failed.value
    assert err.index == 1, failed.value  # after the compute-budget instruction `send` prepends
    return failed.value


def _custom_code(failed: TransactionFailed) -> int:
    assert isinstance(failed.err, TransactionErrorInstructionError)
    assert isinstance(failed.err.err, InstructionErrorCustom), failed
    return failed.err.err.code


def test_adds_to_the_counter_and_logs_it(chain: tuple[Engine, Keypair, Pubkey]) -> None:
    svm, payer, program = chain
    counter = _counter(svm, program, 40, size=16)
    sent = send(svm, payer, [_add(program, counter, 2)])
    assert "Program log: counter = 42" in sent.logs
    send(svm, payer, [_add(program, counter, 1_000_000_000_000)])
    account = svm.get_account(counter)
    assert account is not None
    assert bytes(account.data) == (1_000_000_000_042).to_bytes(8, "little") + bytes(8)


def test_transfers_by_cpi_to_the_system_program(chain: tuple[Engine, Keypair, Pubkey]) -> None:
    svm, payer, program = chain
    dest = Pubkey.new_unique()
    sent = send(svm, payer, [_transfer(program, payer.pubkey(), dest, 1_234_567)])
    assert f"Program log: transfer 1234567 lamports to {dest}" in sent.logs
    assert f"Program {SYSTEM_PROGRAM} success" in sent.logs
    account = svm.get_account(dest)
    assert account is not None and account.lamports == 1_234_567


def test_custom_errors(chain: tuple[Engine, Keypair, Pubkey]) -> None:
    svm, payer, program = chain
    near_max = _counter(svm, program, 2**64 - 2)
    assert _custom_code(_failure(svm, payer, _add(program, near_max, 2))) == OVERFLOW
    account = svm.get_account(near_max)
    assert account is not None and bytes(account.data) == (2**64 - 2).to_bytes(8, "little")

    foreign = _counter(svm, SYSTEM_PROGRAM, 0)
    assert _custom_code(_failure(svm, payer, _add(program, foreign, 1))) == NOT_OWNED
    for data in (b"", b"\x00", struct.pack("<BQ", 7, 1), struct.pack("<BQB", 0, 1, 0)):
        ix = Instruction(program, data, [AccountMeta(foreign, False, True)])
        assert _custom_code(_failure(svm, payer, ix)) == BAD_INSTRUCTION, data


def test_errors_of_the_runtime_and_of_the_callee(chain: tuple[Engine, Keypair, Pubkey]) -> None:
    svm, payer, program = chain
    short = _counter(svm, program, 0, size=8)
    svm.set_account(
        short, Account(lamports=10**9, data=bytes(4), owner=program, executable=False, rent_epoch=0)
    )
    failed = _failure(svm, payer, _add(program, short, 1))
    assert isinstance(failed.err, TransactionErrorInstructionError)
    assert failed.err.err == InstructionErrorFieldless.AccountDataTooSmall, failed

    poor = Keypair()
    svm.airdrop(poor.pubkey(), 1_000)
    with pytest.raises(TransactionFailed) as too_much:
        send(svm, payer, [_transfer(program, poor.pubkey(), Pubkey.new_unique(), 5_000)], [poor])
    # The System Program's own error (1: insufficient funds) comes back through the CPI.
    assert _custom_code(too_much.value) == 1
    assert any("insufficient lamports" in line for line in too_much.value.logs), too_much.value.logs


def test_a_program_needing_what_solana_lacks_is_refused_naming_it() -> None:
    toolchain = Toolchain.locate()
    [program] = manifest_programs(toolchain, FIXTURE, ("std-refused",)).programs
    builder = StdBuilder(FIXTURE.parent, toolchain, target_dir=TARGET_DIR)
    # A thread-local: without threads, std keeps it in a static, which is writable data.
    with pytest.raises(UnsupportedCode, match=r"writable static \S*5CALLS"):
        builder.build(program)
