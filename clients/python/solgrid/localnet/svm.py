"""The in-process engine set up as a validator would be, and helpers to drive it from Python.

The local node serves this VM over JSON-RPC; tests and benchmarks use it directly. It is the agave 4.1.2
LiteSVM of ``engine`` with every feature active, as on a default ``solana-test-validator``: programs are
deployed through BPFLoaderUpgradeable exactly as on a cluster (that path loads the ELF with broken-ELF
rejection and runs the verifier, which ``add_program`` does not), and only SBPF v3 ELFs can be deployed
(SIMD-0500). An SBPF v0 ELF still runs, and deploys where SIMD-0500 is inactive:
``new_svm(deactivate=features_blocking_deploy(elf))``, the counterpart of starting a test validator
with ``--deactivate-feature``.
"""

from __future__ import annotations

import struct
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from solders.address_lookup_table_account import AddressLookupTableAccount
from solders.compute_budget import set_compute_unit_limit
from solders.instruction import Instruction
from solders.keypair import Keypair
from solders.message import Message
from solders.pubkey import Pubkey
from solders.transaction import VersionedTransaction
from solders.transaction_metadata import FailedTransactionMetadata, TransactionMetadata

from solgrid.localnet.engine import SBPF_V0_V1_V2_DEPLOYMENT_DISABLED, Engine
from solgrid.sdk import loader
from solgrid.sdk.lookup_tables import (
    EXTEND_CHUNK,
    create_lookup_table,
    extend_lookup_table,
    unique,
    v0_transaction,
)

MAX_COMPUTE_UNITS = 1_400_000
_ELF_MAGIC = b"\x7fELF"
_E_FLAGS = struct.Struct("<I")
_E_FLAGS_OFFSET = 48


def new_svm(
    *,
    sigverify: bool = True,
    blockhash_check: bool = True,
    transaction_history: int = 10_000,
    deactivate: Iterable[Pubkey] = (),
) -> Engine:
    """The engine with every feature active except ``deactivate``, builtins, sysvars, precompiles and the
    SPL programs; ``transaction_history`` signatures are remembered to refuse duplicates."""
    return Engine(
        sigverify=sigverify,
        blockhash_check=blockhash_check,
        transaction_history=transaction_history,
        deactivate=deactivate,
    )


def sbpf_version(elf: bytes) -> int:
    """The SBPF version an ELF declares (its ``e_flags``: 0 for v0 ... 3 for v3)."""
    if len(elf) < _E_FLAGS_OFFSET + _E_FLAGS.size or not elf.startswith(_ELF_MAGIC):
        raise ValueError("not an ELF file")
    (flags,) = _E_FLAGS.unpack_from(elf, _E_FLAGS_OFFSET)
    return int(flags)


def features_blocking_deploy(*elves: bytes) -> list[Pubkey]:
    """The features that must be inactive for the loader to deploy every one of ``elves``: SIMD-0500 when
    one is SBPF v0-v2 (clusters on agave 4 deploy v3 only), none when all are v3."""
    return [SBPF_V0_V1_V2_DEPLOYMENT_DISABLED] if any(sbpf_version(elf) < 3 for elf in elves) else []


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
    svm: Engine,
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


def deploy(svm: Engine, payer: Keypair, elf: bytes, program: Keypair | None = None) -> Pubkey:
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


def send_v0_svm(
    svm: Engine,
    payer: Keypair,
    instructions: Sequence[Instruction],
    signers: Sequence[Keypair] = (),
    tables: Sequence[AddressLookupTableAccount] = (),
    compute_units: int | None = None,
) -> Sent:
    """The v0 counterpart of :func:`send`, resolving accounts through ``tables``.

    A compute-unit limit instruction is prepended only when ``compute_units`` is given: it costs 40
    bytes, which a full reading batch cannot spare (the default limit of 200,000 CU per instruction
    is far above what ``submit_readings`` uses).
    """
    ixs = (
        list(instructions)
        if compute_units is None
        else [set_compute_unit_limit(compute_units), *instructions]
    )
    tx = v0_transaction(ixs, payer, signers, svm.latest_blockhash(), tables)
    result = svm.send_transaction(tx)
    svm.expire_blockhash()
    if isinstance(result, FailedTransactionMetadata):
        raise TransactionFailed(result)
    return Sent(result)


def create_lookup_table_svm(
    svm: Engine, payer: Keypair, addresses: Sequence[Pubkey]
) -> AddressLookupTableAccount:
    """Create and fill a table in ``svm``, then advance one slot so that its addresses are active.

    LiteSVM does not maintain SlotHashes by itself. As a cluster would, the current slot's block is
    recorded there as finished and the table is created in the next slot, from that one.
    """
    wanted = unique(addresses)
    slot = svm.get_clock().slot
    known = [(s, h) for s, h in svm.get_slot_hashes() if s < slot]
    svm.set_slot_hashes([(slot, svm.latest_blockhash()), *known])
    svm.warp_to_slot(slot + 1)
    create, table = create_lookup_table(payer.pubkey(), payer.pubkey(), slot)
    send_v0_svm(svm, payer, [create])
    for start in range(0, len(wanted), EXTEND_CHUNK):
        chunk = wanted[start : start + EXTEND_CHUNK]
        send_v0_svm(svm, payer, [extend_lookup_table(table, payer.pubkey(), payer.pubkey(), chunk)])
    svm.warp_to_slot(slot + 2)
    return AddressLookupTableAccount(table, wanted)
