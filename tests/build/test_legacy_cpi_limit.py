"""The legacy CPI shim (``sbf-std-support``'s ``legacy_cpi``) on the SBF VM: a program on
``solana-program`` 1.14 (``legacy-cpi-fixture/``) makes a System Program transfer by ``invoke`` with as
many account infos as its instruction carries. Up to 16 go through the shim; 17 make no call, and the
caller's ``invoke`` gets ``InvalidArgument`` with a log line naming the count and the limit.
"""

from __future__ import annotations

import struct
from pathlib import Path

import pytest
from solders.instruction import AccountMeta, Instruction
from solders.keypair import Keypair
from solders.pubkey import Pubkey
from solders.system_program import ID as SYSTEM_PROGRAM
from solders.transaction_status import InstructionErrorFieldless, TransactionErrorInstructionError

from solgrid.build.std_build import StdBuilder, legacy_cpi_versions, manifest_programs
from solgrid.build.toolchain import Toolchain
from solgrid.localnet.engine import Engine
from solgrid.localnet.svm import TransactionFailed, deploy, features_blocking_deploy, new_svm, send

pytestmark = pytest.mark.slow

FIXTURE = Path(__file__).parent / "legacy-cpi-fixture" / "Cargo.toml"
REPO = Path(__file__).resolve().parents[2]
#: Shared with the other std builds (tests/peers/test_phoenix.py builds solana-program 1.14.9 there).
TARGET_DIR = REPO / "target" / "std-fixture"
LIMIT = 16


@pytest.fixture(scope="module")
def chain() -> tuple[Engine, Keypair, Pubkey]:
    toolchain = Toolchain.locate()
    [program] = manifest_programs(toolchain, FIXTURE).programs
    assert legacy_cpi_versions(toolchain, FIXTURE.parent, program.cargo_package) == ["1.14.9"]
    elf = StdBuilder(FIXTURE.parent, toolchain, target_dir=TARGET_DIR).build(program).so_path.read_bytes()
    svm = new_svm(deactivate=features_blocking_deploy(elf))
    payer = Keypair()
    svm.airdrop(payer.pubkey(), 10**11)
    return svm, payer, deploy(svm, payer, elf)


def _transfer(program: Pubkey, payer: Pubkey, dest: Pubkey, lamports: int, infos: int) -> Instruction:
    """A transfer whose instruction carries ``infos`` accounts: payer, dest, the System Program, others."""
    metas = [AccountMeta(payer, True, True), AccountMeta(dest, False, True)]
    metas.append(AccountMeta(SYSTEM_PROGRAM, False, False))
    metas += [AccountMeta(Pubkey.new_unique(), False, False) for _ in range(infos - len(metas))]
    return Instruction(program, struct.pack("<Q", lamports), metas)


@pytest.mark.parametrize("infos", [3, LIMIT])
def test_a_cpi_with_up_to_16_account_infos_goes_through(
    chain: tuple[Engine, Keypair, Pubkey], infos: int
) -> None:
    svm, payer, program = chain
    dest = Pubkey.new_unique()
    sent = send(svm, payer, [_transfer(program, payer.pubkey(), dest, 5_000_000, infos)])
    assert f"Program log: transfer 5000000 lamports with {infos} account infos" in sent.logs
    assert f"Program {SYSTEM_PROGRAM} success" in sent.logs
    account = svm.get_account(dest)
    assert account is not None and account.lamports == 5_000_000


def test_a_cpi_with_more_account_infos_fails_naming_the_count_and_the_limit(
    chain: tuple[Engine, Keypair, Pubkey],
) -> None:
    svm, payer, program = chain
    dest = Pubkey.new_unique()
    with pytest.raises(TransactionFailed) as failed:
        send(svm, payer, [_transfer(program, payer.pubkey(), dest, 5_000_000, LIMIT + 1)])
    err = failed.value.err
    assert isinstance(err, TransactionErrorInstructionError), failed.value
    assert err.err == InstructionErrorFieldless.InvalidArgument, failed.value
    logs = failed.value.logs
    expected = (
        f"Program log: sbf-std-support: a cross-program invocation passes {LIMIT + 1} account infos; "
        f"built against solana-program < 1.16, a program may pass at most {LIMIT}"
    )
    assert expected in logs, logs
    assert not any(f"Program {SYSTEM_PROGRAM} invoke" in line for line in logs), logs  # no call made
    assert svm.get_account(dest) is None
