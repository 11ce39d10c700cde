"""The engine (solders 0.29.0's LiteSVM on agave 4.1.2) next to solders 0.26: what crosses the boundary,
the features it runs with, the fees it charges and how they match the node's own fee arithmetic."""

from __future__ import annotations

import json
import sys

import pytest
from solders.account import Account
from solders.clock import Clock
from solders.compute_budget import set_compute_unit_limit, set_compute_unit_price
from solders.epoch_schedule import EpochSchedule
from solders.hash import Hash
from solders.instruction import AccountMeta, Instruction
from solders.keypair import Keypair
from solders.message import Message
from solders.pubkey import Pubkey
from solders.signature import Signature
from solders.system_program import TransferParams, transfer
from solders.transaction import Transaction, VersionedTransaction
from solders.transaction_metadata import FailedTransactionMetadata, TransactionMetadata
from solders.transaction_status import (
    InstructionErrorBorshIO,
    InstructionErrorCustom,
    TransactionErrorInstructionError,
    TransactionErrorInsufficientFundsForRent,
)

from solgrid.localnet import engine, txmeta
from solgrid.localnet.engine import SBPF_V0_V1_V2_DEPLOYMENT_DISABLED, Engine, known_features
from solgrid.localnet.svm import new_svm
from solgrid.localnet.tx_errors import describe_transaction_error
from solgrid.sdk.lookup_tables import ADDRESS_LOOKUP_TABLE_PROGRAM_ID, create_lookup_table
from solgrid.sdk.readings import DeviceSigner, SignedReading, ed25519_instruction

MEMO = Pubkey.from_string("MemoSq4gqABAXKb96qnH8TysNcWxMyWCqXgDLGmfcHr")
FEATURE_OWNER = Pubkey.from_string("Feature111111111111111111111111111111111111")
SOL = 10**9


@pytest.fixture
def svm() -> Engine:
    return new_svm()


def funded(svm: Engine, lamports: int = 10 * SOL) -> Keypair:
    keypair = Keypair()
    assert isinstance(svm.airdrop(keypair.pubkey(), lamports), TransactionMetadata)
    return keypair


def signed(
    svm: Engine, payer: Keypair, instructions: list[Instruction], *others: Keypair
) -> VersionedTransaction:
    message = Message.new_with_blockhash(instructions, payer.pubkey(), svm.latest_blockhash())
    return VersionedTransaction(message, [payer, *others])


def test_two_solders_in_one_process_stay_apart(svm: Engine) -> None:
    import solders.pubkey
    import solders29.pubkey

    assert solders29.pubkey.Pubkey is not solders.pubkey.Pubkey
    assert sys.modules["solders.pubkey"] is solders.pubkey
    assert not any(
        name.startswith("solders.") and module.__name__.startswith("solders29")
        for name, module in list(sys.modules.items())
    )
    # Whatever the engine hands back is solders 0.26's.
    payer = funded(svm)
    assert type(svm.latest_blockhash()) is Hash
    assert type(svm.get_account(payer.pubkey())) is Account
    assert type(svm.get_clock()) is Clock
    assert all(type(k) is Pubkey for k in svm.active_features())


def test_every_feature_is_active_as_on_a_default_test_validator(svm: Engine) -> None:
    known = known_features()
    assert len(known) == len(set(known)) > 250
    assert sorted(svm.active_features(), key=bytes) == sorted(known, key=bytes)
    assert svm.is_active(SBPF_V0_V1_V2_DEPLOYMENT_DISABLED)
    # As on a cluster, each active feature has its activated Feature account.
    account = svm.get_account(SBPF_V0_V1_V2_DEPLOYMENT_DISABLED)
    assert account is not None and account.owner == FEATURE_OWNER

    without = new_svm(deactivate=[SBPF_V0_V1_V2_DEPLOYMENT_DISABLED])
    assert not without.is_active(SBPF_V0_V1_V2_DEPLOYMENT_DISABLED)
    assert without.get_account(SBPF_V0_V1_V2_DEPLOYMENT_DISABLED) is None
    assert len(without.active_features()) == len(known) - 1
    with pytest.raises(ValueError, match=r"not a feature of agave 4\.1\.2"):
        new_svm(deactivate=[Pubkey.new_unique()])


def test_accounts_and_sysvars_round_trip(svm: Engine) -> None:
    address, owner = Pubkey.new_unique(), Pubkey.new_unique()
    account = Account(5 * SOL, bytes(range(200)), owner, False, 7)
    svm.set_account(address, account)
    assert svm.get_account(address) == account
    assert svm.get_balance(address) == 5 * SOL
    assert svm.get_account(Pubkey.new_unique()) is None

    clock = Clock(1234, 1_700_000_000, 2, 3, 1_700_000_500)
    svm.set_clock(clock)
    assert svm.get_clock() == clock
    schedule = EpochSchedule.custom(432_000, 432_000, False)
    svm.set_epoch_schedule(schedule)
    assert svm.get_epoch_schedule() == schedule
    entries = [(1234, Hash.new_unique()), (1233, Hash.new_unique())]
    svm.set_slot_hashes(entries)
    assert svm.get_slot_hashes() == entries
    first = svm.latest_blockhash()
    svm.expire_blockhash()
    assert svm.latest_blockhash() != first


def test_results_are_the_engine_results_in_solders_026_types(svm: Engine) -> None:
    payer = funded(svm)
    recipient = Pubkey.new_unique()
    tx = signed(
        svm, payer, [transfer(TransferParams(from_pubkey=payer.pubkey(), to_pubkey=recipient, lamports=SOL))]
    )
    processed = svm.process(tx)
    result = processed.result
    assert isinstance(result, TransactionMetadata)
    assert (processed.fee, processed.err) == (5000, None)
    assert result.signature() == tx.signatures[0]
    assert result.logs() == [
        "Program 11111111111111111111111111111111 invoke [1]",
        "Program 11111111111111111111111111111111 success",
    ]
    assert result.compute_units_consumed() == 150
    assert svm.get_balance(recipient) == SOL

    # A legacy transaction goes through as well; a failure keeps its typed error and its logs.
    legacy = Transaction.new_signed_with_payer(
        [transfer(TransferParams(from_pubkey=payer.pubkey(), to_pubkey=recipient, lamports=100 * SOL))],
        payer.pubkey(),
        [payer],
        svm.latest_blockhash(),
    )
    failed = svm.process(legacy)
    assert isinstance(failed.result, FailedTransactionMetadata)
    assert failed.result.err() == TransactionErrorInstructionError(0, InstructionErrorCustom(1))
    assert failed.err == {"InstructionError": [0, {"Custom": 1}]}
    assert (
        failed.result.meta().logs()[-1]
        == "Program 11111111111111111111111111111111 failed: custom program error: 0x1"
    )
    assert failed.fee == 5000


def test_simulation_does_not_commit(svm: Engine) -> None:
    payer = funded(svm)
    recipient = Pubkey.new_unique()
    tx = signed(
        svm, payer, [transfer(TransferParams(from_pubkey=payer.pubkey(), to_pubkey=recipient, lamports=SOL))]
    )
    simulated = svm.simulate(tx)
    assert simulated.err is None and simulated.fee == 5000
    post = dict(simulated.result.post_accounts())  # type: ignore[union-attr]
    assert post[recipient].lamports == SOL
    assert svm.get_account(recipient) is None


def test_a_new_account_must_be_left_rent_exempt(svm: Engine) -> None:
    """agave 4 refuses a transfer that leaves a new account below its rent-exempt minimum; the fee is
    still charged (solders 0.26's agave 2.2 LiteSVM accepted it)."""
    payer = funded(svm)
    least = svm.minimum_balance_for_rent_exemption(0)
    short = svm.process(
        signed(
            svm,
            payer,
            [
                transfer(
                    TransferParams(
                        from_pubkey=payer.pubkey(), to_pubkey=Pubkey.new_unique(), lamports=least - 1
                    )
                )
            ],
        )
    )
    assert isinstance(short.result, FailedTransactionMetadata)
    assert short.result.err() == TransactionErrorInsufficientFundsForRent(1)
    assert short.err == {"InsufficientFundsForRent": {"account_index": 1}}
    assert svm.get_balance(payer.pubkey()) == 10 * SOL - 5000
    enough = svm.process(
        signed(
            svm,
            payer,
            [
                transfer(
                    TransferParams(from_pubkey=payer.pubkey(), to_pubkey=Pubkey.new_unique(), lamports=least)
                )
            ],
        )
    )
    assert enough.err is None


def test_borsh_io_error_reaches_solders_026_without_its_message() -> None:
    """agave 4 made InstructionError::BorshIoError a unit variant; 0.26 only knows it with a message."""
    json_err = {"InstructionError": [2, "BorshIoError"]}
    meta = {
        "signature": str(Signature.default()),
        "logs": [],
        "inner_instructions": [],
        "compute_units_consumed": 0,
        "return_data": {"program_id": [0] * 32, "data": []},
    }
    raw = {"err": engine._error_json26(json_err), "meta": meta}
    parsed = FailedTransactionMetadata.from_json(json.dumps(raw)).err()
    assert parsed == TransactionErrorInstructionError(2, InstructionErrorBorshIO(""))
    assert describe_transaction_error(json_err) == (
        "Error processing Instruction 2: Failed to serialize or deserialize account data"
    )
    assert engine._error_json26({"InstructionError": [0, {"Custom": 3}]}) == {
        "InstructionError": [0, {"Custom": 3}]
    }


def test_loader_errors_read_as_the_validator_prints_them() -> None:
    """The upgradeable loader's refusals (the compat suite checks the first on solana-test-validator)."""
    assert describe_transaction_error({"InstructionError": [0, "IncorrectAuthority"]}) == (
        "Error processing Instruction 0: Incorrect authority provided"
    )
    assert describe_transaction_error({"InstructionError": [1, "Immutable"]}) == (
        "Error processing Instruction 1: Account is immutable"
    )
    assert describe_transaction_error({"InstructionError": [0, "AccountNotExecutable"]}) == (
        "Error processing Instruction 0: instruction expected an executable account"
    )


def _readings(count: int) -> Instruction:
    signer = DeviceSigner.generate()
    batch = []
    for i in range(count):
        message = bytes([i]) * 32
        batch.append(
            SignedReading(Pubkey.new_unique(), None, signer.public_key, signer.sign_bytes(message), message)
        )  # type: ignore[arg-type]
    return ed25519_instruction(batch)


def _fee_cases(
    payer: Keypair, other: Keypair, sink: Pubkey, slot: int
) -> dict[str, tuple[list[Instruction], list[Keypair]]]:
    """Transactions in which the fee payer pays nothing but the fee (``other`` pays the rest)."""
    move = transfer(TransferParams(from_pubkey=other.pubkey(), to_pubkey=sink, lamports=1))
    memo = Instruction(MEMO, b"fee", [AccountMeta(payer.pubkey(), True, False)])
    table, _ = create_lookup_table(other.pubkey(), other.pubkey(), slot)
    assert table.program_id == ADDRESS_LOOKUP_TABLE_PROGRAM_ID
    return {
        "one signature": ([memo], []),
        "two signatures": ([move], [other]),
        "precompile signatures": ([_readings(3), memo], []),
        # SPL Memo 3.0 (the validator's) takes about 16,000 CU to log a signed memo
        "price with a limit": ([set_compute_unit_limit(40_000), set_compute_unit_price(250_000), memo], []),
        "price rounded up": ([set_compute_unit_limit(40_001), set_compute_unit_price(25), memo], []),
        # Without a limit: 3,000 CU per builtin instruction (system, compute budget, Ed25519), 200,000 per
        # other (the memo program, and the lookup-table program, which is an SBF program in agave 4).
        "price, builtins only": ([set_compute_unit_price(10_000), move], [other]),
        "price, Ed25519 and a transfer": ([_readings(1), set_compute_unit_price(10_000), move], [other]),
        "price, memo": ([set_compute_unit_price(10_000), memo], []),
        "price, lookup table": ([set_compute_unit_price(7), table], [other]),
        "limit above the maximum": (
            [set_compute_unit_limit(5_000_000), set_compute_unit_price(1_000), memo],
            [],
        ),
    }


EXPECTED_FEES = {
    "one signature": 5000,
    "two signatures": 10_000,
    "precompile signatures": 20_000,
    "price with a limit": 5000 + 10_000,
    "price rounded up": 5000 + 2,  # 40,001 CU at 25 micro-lamports: 1.000025 lamports
    "price, builtins only": 10_000 + 60,  # 2 x 3,000 CU at 0.01 lamports
    "price, Ed25519 and a transfer": 15_000 + 90,
    "price, memo": 5000 + 2030,  # (3,000 + 200,000) CU
    "price, lookup table": 10_000 + 2,  # 203,000 CU at 7 micro-lamports: 1.421
    "limit above the maximum": 5000 + 1400,  # clamped to 1,400,000 CU
}


def test_the_node_fee_arithmetic_is_what_the_engine_charges(svm: Engine) -> None:
    """``txmeta.compute_fee`` (getFeeForMessage) against what the engine charges the payer: signatures,
    precompile signatures and the prioritization fee, with and without a compute-unit limit."""
    payer, other, sink = funded(svm, 100 * SOL), funded(svm), funded(svm).pubkey()
    for name, (instructions, signers) in _fee_cases(payer, other, sink, svm.get_clock().slot).items():
        tx = signed(svm, payer, instructions, *signers)
        before = svm.get_balance(payer.pubkey())
        processed = svm.process(tx)
        svm.expire_blockhash()
        assert processed.err is None, (name, processed.err)
        charged = before - (svm.get_balance(payer.pubkey()) or 0)  # type: ignore[operator]
        assert charged == processed.fee == txmeta.compute_fee(tx.message) == EXPECTED_FEES[name], name


def test_invalid_compute_budget_is_refused_unpaid_and_not_priced(svm: Engine) -> None:
    payer = funded(svm)
    memo = Instruction(MEMO, b"fee", [AccountMeta(payer.pubkey(), True, False)])
    for instructions, err in (
        ([set_compute_unit_price(1), set_compute_unit_price(2), memo], {"DuplicateInstruction": 1}),
        (
            [Instruction(txmeta.COMPUTE_BUDGET_PROGRAM_ID, bytes([9]), []), memo],
            {"InstructionError": [0, "InvalidInstructionData"]},
        ),
    ):
        tx = signed(svm, payer, instructions)
        processed = svm.process(tx)
        svm.expire_blockhash()
        assert processed.err == err
        assert svm.get_balance(payer.pubkey()) == 10 * SOL
        # getFeeForMessage of such a message is null (measured on solana-test-validator 4.2.2).
        assert txmeta.compute_fee(tx.message) is None
