"""Transactions in which a PDA is a signer, for registry-only tests of what the governance program does.

On chain only a PDA's own program makes it a signer (``invoke_signed`` in a CPI). The registry sees no
difference between that and a transaction signer: an account flagged signer, at the PDA's address. So
registry-only tests stand in for the governance program's CPIs by listing the PDA as a transaction
signer in a VM that does not verify signatures (:func:`env_without_sigverify`); every keypair still
signs for real. The governance program's own tests run the real CPIs.
"""

from __future__ import annotations

import json
from collections.abc import Sequence

import pytest
from registry_harness import LAMPORTS, REPO, RegistryEnv
from solders.compute_budget import set_compute_unit_limit
from solders.instruction import Instruction
from solders.keypair import Keypair
from solders.message import Message
from solders.pubkey import Pubkey
from solders.transaction import Transaction
from solders.transaction_metadata import FailedTransactionMetadata
from solders.transaction_status import InstructionErrorCustom, TransactionErrorInstructionError

from solgrid.localnet.svm import MAX_COMPUTE_UNITS, Sent, TransactionFailed, new_svm
from solgrid.sdk.registry import RegistryClient


def governance_program_id() -> Pubkey:
    """The governance program's reserved id (``keys/governance-keypair.json``)."""
    raw = json.loads((REPO / "keys" / "governance-keypair.json").read_text())
    return Keypair.from_bytes(bytes(raw)).pubkey()


def env_without_sigverify(registry_elf: bytes) -> RegistryEnv:
    """A VM with the registry at its IDL address that accepts unsigned signer slots."""
    svm = new_svm(sigverify=False)
    payer = Keypair()
    svm.airdrop(payer.pubkey(), LAMPORTS)
    client = RegistryClient()
    svm.add_program(client.program_id, registry_elf)
    return RegistryEnv(svm, payer, client, "add_program")


def send_with_pdas(
    env: RegistryEnv, instructions: Sequence[Instruction], signers: Sequence[Keypair] = ()
) -> Sent:
    """Sends ``instructions``: the payer and ``signers`` sign; the other signer slots (PDAs) stay unsigned."""
    ixs = [set_compute_unit_limit(MAX_COMPUTE_UNITS), *instructions]
    blockhash = env.svm.latest_blockhash()
    tx = Transaction.new_unsigned(Message.new_with_blockhash(ixs, env.payer.pubkey(), blockhash))
    unique = {bytes(k.pubkey()): k for k in [env.payer, *signers]}
    tx.partial_sign(list(unique.values()), blockhash)
    result = env.svm.send_transaction(tx)
    env.svm.expire_blockhash()
    if isinstance(result, FailedTransactionMetadata):
        raise TransactionFailed(result)
    return Sent(result)


def fail_with_pdas(
    env: RegistryEnv, instructions: Sequence[Instruction], signers: Sequence[Keypair] = ()
) -> int:
    """As :func:`send_with_pdas` for a transaction that must fail in its last instruction with a custom
    error; returns the code."""
    with pytest.raises(TransactionFailed) as failed:
        send_with_pdas(env, instructions, signers)
    err = failed.value.err
    assert isinstance(err, TransactionErrorInstructionError), failed.value
    assert err.index == len(instructions), failed.value  # after the compute-budget instruction
    assert isinstance(err.err, InstructionErrorCustom), failed.value
    return err.err.code
