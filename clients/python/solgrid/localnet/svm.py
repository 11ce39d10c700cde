"""In-process LiteSVM set up as a validator would be, and helpers to drive it from Python.

The local node serves this VM over JSON-RPC; tests and benchmarks use it directly. The feature set is
LiteSVM's "all enabled" one minus ``disable_new_loader_v3_deployments``, so that programs can be
deployed through BPFLoaderUpgradeable exactly as on a cluster (that path loads the ELF with broken-ELF
rejection and runs the verifier, which ``add_program`` does not).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from solders.compute_budget import set_compute_unit_limit
from solders.instruction import Instruction
from solders.keypair import Keypair
from solders.litesvm import FeatureSet, LiteSVM
from solders.message import Message
from solders.pubkey import Pubkey
from solders.transaction import VersionedTransaction
from solders.transaction_metadata import FailedTransactionMetadata, TransactionMetadata

from solgrid.sdk import loader

DISABLE_NEW_LOADER_V3_DEPLOYMENTS = Pubkey.from_string("EmhbpdVtZ2hWRGFWBDjn2i3SJD8Z36z4mpMcZJEnebnP")
MAX_COMPUTE_UNITS = 1_400_000


def validator_feature_set() -> FeatureSet:
    active = dict(FeatureSet.all_enabled().active)
    active.pop(DISABLE_NEW_LOADER_V3_DEPLOYMENTS, None)
    return FeatureSet(active, set())


def new_svm(*, sigverify: bool = True, blockhash_check: bool = True) -> LiteSVM:
    """A LiteSVM with builtins, sysvars, precompiles, SPL programs and loader-v3 deployments enabled."""
    return (
        LiteSVM.default()
        .with_builtins(validator_feature_set())
        .with_sysvars()
        .with_precompiles(validator_feature_set())
        .with_spl_programs()
        .with_lamports(10**18)
        .with_sigverify(sigverify)
        .with_blockhash_check(blockhash_check)
        .with_transaction_history(10_000)
    )


class TransactionFailed(Exception):
    """A transaction sent to the in-process VM failed; carries its error and logs."""

    def __init__(self, failed: FailedTransactionMetadata) -> None:
        self.err = failed.err()
        self.logs = list(failed.meta().logs())
        super().__init__(f"{self.err}\n" + "\n".join(self.logs))


@dataclass(frozen=True)
class Sent:
    meta: TransactionMetadata

    @property
    def logs(self) -> list[str]:
        return list(self.meta.logs())

    def program_cu(self, program_id: Pubkey) -> int:
        """Compute units the top-level invocation of ``program_id`` consumed (its last 'consumed' line)."""
        prefix = f"Program {program_id} consumed "
        for line in reversed(self.logs):
            if line.startswith(prefix):
                return int(line[len(prefix) :].split()[0])
        raise LookupError(f"no 'consumed' log line for {program_id}")


def send(
    svm: LiteSVM,
    payer: Keypair,
    instructions: Sequence[Instruction],
    signers: Sequence[Keypair] = (),
    compute_units: int = MAX_COMPUTE_UNITS,
) -> Sent:
    """Sign and send ``instructions`` (payer first), raise TransactionFailed on failure.

    The blockhash is expired after each send so that an identical later transaction is not rejected as
    already processed.
    """
    ixs = [set_compute_unit_limit(compute_units), *instructions]
    msg = Message.new_with_blockhash(ixs, payer.pubkey(), svm.latest_blockhash())
    unique = {bytes(k.pubkey()): k for k in [payer, *signers]}
    tx = VersionedTransaction(msg, list(unique.values()))
    result = svm.send_transaction(tx)
    svm.expire_blockhash()
    if isinstance(result, FailedTransactionMetadata):
        raise TransactionFailed(result)
    return Sent(result)


WRITE_CHUNK = 900


def deploy(svm: LiteSVM, payer: Keypair, elf: bytes, program: Keypair | None = None) -> Pubkey:
    """Deploy ``elf`` through BPFLoaderUpgradeable; return the program id.

    Raises TransactionFailed when the loader rejects the ELF.
    """
    program = program or Keypair()
    buffer = Keypair()
    rent = svm.minimum_balance_for_rent_exemption(loader.BUFFER_HEADER_LEN + len(elf))
    send(
        svm,
        payer,
        [
            loader.create_buffer(payer.pubkey(), buffer.pubkey(), rent, len(elf)),
            loader.initialize_buffer(buffer.pubkey(), payer.pubkey()),
        ],
        [buffer],
    )
    for offset in range(0, len(elf), WRITE_CHUNK):
        send(
            svm,
            payer,
            [loader.write(buffer.pubkey(), payer.pubkey(), offset, elf[offset : offset + WRITE_CHUNK])],
        )
    program_rent = svm.minimum_balance_for_rent_exemption(loader.PROGRAM_ACCOUNT_LEN)
    send(
        svm,
        payer,
        [
            loader.create_program_account(payer.pubkey(), program.pubkey(), program_rent),
            loader.deploy_with_max_data_len(
                payer.pubkey(), program.pubkey(), buffer.pubkey(), payer.pubkey(), len(elf)
            ),
        ],
        [program],
    )
    return program.pubkey()
