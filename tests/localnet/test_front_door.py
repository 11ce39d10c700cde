"""What the node refuses before any preflight, its error texts, and the accounts every validator has: as
solana-test-validator 4.2.2 does (each expectation was answered by one; tests/differential compares
them live)."""

from __future__ import annotations

import base64
import struct

import pytest
from localnet_support import SOL, build_tx, call, funded, transfer_ix
from solana.rpc.async_api import AsyncClient
from solders.account import Account
from solders.address_lookup_table_account import AddressLookupTable, AddressLookupTableAccount
from solders.compute_budget import request_heap_frame, set_compute_unit_limit, set_compute_unit_price
from solders.hash import Hash
from solders.instruction import Instruction
from solders.keypair import Keypair
from solders.message import MessageV0
from solders.pubkey import Pubkey
from solders.sysvar import CLOCK, RECENT_BLOCKHASHES, RENT, STAKE_HISTORY
from solders.transaction import VersionedTransaction

from solgrid.localnet import admission, native_accounts, txmeta
from solgrid.localnet.server import LocalNode
from solgrid.localnet.wire import deserialize_error
from solgrid.sdk.lookup_tables import v0_transaction

ON_THE_NODE = pytest.mark.asyncio(loop_scope="module")
COMPUTE_BUDGET = Pubkey.from_string("ComputeBudget111111111111111111111111111111")
NO_DEACTIVATION = 2**64 - 1


def _message(*instructions: Instruction) -> MessageV0:
    return MessageV0.try_compile(Keypair().pubkey(), list(instructions), [], Hash.default())


# -- pure rules ----------------------------------------------------------------------------------------


def test_a_repeated_compute_budget_kind_is_a_duplicate_instruction() -> None:
    transfer = transfer_ix(Keypair(), Keypair().pubkey(), 1)
    message = _message(set_compute_unit_limit(1000), transfer, set_compute_unit_limit(2000))
    assert admission.compute_budget_error(message) == {"DuplicateInstruction": 2}
    different_kinds = _message(set_compute_unit_limit(1000), set_compute_unit_price(5), transfer)
    assert admission.compute_budget_error(different_kinds) is None


def test_an_undecodable_compute_budget_instruction_is_invalid_data_and_values_are_not_checked() -> None:
    for data in (b"", b"\x00", b"\x02\x01", b"\x09" + bytes(8)):
        message = _message(Instruction(COMPUTE_BUDGET, data, []))
        expected = {"InstructionError": [0, "InvalidInstructionData"]}
        assert admission.compute_budget_error(message) == expected
    # A heap frame that is no multiple of 1024 decodes: it fails when the transaction executes.
    assert admission.compute_budget_error(_message(request_heap_frame(1000))) is None
    trailing = _message(Instruction(COMPUTE_BUDGET, bytes(set_compute_unit_limit(9).data) + b"xx", []))
    assert admission.compute_budget_error(trailing) is None


def _table(addresses: int, *, last_extended: int, start: int, deactivation: int = NO_DEACTIVATION) -> bytes:
    meta = struct.pack("<IQQBB", 1, deactivation, last_extended, start, 0) + bytes(34)
    return meta + b"".join(bytes(Keypair().pubkey()) for _ in range(addresses))


def test_a_table_offers_the_addresses_appended_before_the_current_slot() -> None:
    table = AddressLookupTable.deserialize(_table(3, last_extended=10, start=1))
    assert admission.active_addresses_len(table, 10, {9}) == 1
    assert admission.active_addresses_len(table, 11, {10}) == 3


def test_a_deactivated_table_exists_while_its_slot_is_in_slot_hashes() -> None:
    table = AddressLookupTable.deserialize(_table(2, last_extended=5, start=0, deactivation=20))
    assert admission.active_addresses_len(table, 20, {19}) == 2  # deactivated in this slot
    assert admission.active_addresses_len(table, 30, {20, 29}) == 2
    assert admission.active_addresses_len(table, 600, {599}) is None


def test_lookups_fail_as_the_bank_resolves_them() -> None:
    table_key = Keypair().pubkey()
    alt = txmeta.ADDRESS_LOOKUP_TABLE_PROGRAM_ID
    payer = Keypair()
    data = _table(2, last_extended=3, start=0)
    addresses = AddressLookupTable.deserialize(data).addresses
    tx = v0_transaction(
        [transfer_ix(payer, addresses[1], 1)],
        payer,
        [],
        Hash.default(),
        [AddressLookupTableAccount(table_key, list(addresses))],
    )
    message = tx.message
    cases: list[tuple[Account | None, str | None]] = [
        (None, "AddressLookupTableNotFound"),
        (Account(1, data, Keypair().pubkey()), "InvalidAddressLookupTableOwner"),
        (Account(1, b"\x07" + bytes(60), alt), "InvalidAddressLookupTableData"),
        (Account(1, data[:-32], alt), "InvalidAddressLookupTableIndex"),
        (Account(1, data, alt), None),
    ]
    for account, expected in cases:
        assert admission.lookup_error(message, {table_key: account}.get, 10, {9}) == expected


def test_bytes_that_are_no_transaction_are_described_as_wincode_does() -> None:
    assert deserialize_error(b"") == "Attempting to read 1 bytes"
    assert deserialize_error(b"\x01" + bytes(100)) == "Attempting to read 1 bytes"  # the validator's text
    assert deserialize_error(b"\x02" + bytes(10)) == "Attempting to read 128 bytes"
    assert deserialize_error(b"\x90") == "Custom error: invalid transaction discriminator"
    assert deserialize_error(b"\x01" + bytes(64) + b"\x85") == "Invalid tag encoding: 5"
    assert deserialize_error(b"\x01" + bytes(64) + b"\x01\x00\x00\x80\x00") == (
        "Invalid value: short u16: non-canonical encoding"
    )
    payer = Keypair()
    tx = v0_transaction([transfer_ix(payer, Keypair().pubkey(), 1)], payer, [], Hash.default(), [])
    assert deserialize_error(bytes(tx)) is None
    assert deserialize_error(bytes(tx) + b"trailing") is None


def test_stored_token_balances_read_back_a_zero_ui_amount_as_null() -> None:
    assert txmeta.stored_ui_token_amount(0, 6)["uiAmount"] is None
    assert txmeta.stored_ui_token_amount(1, 18)["uiAmount"] is None  # within f64 epsilon of zero
    assert txmeta.stored_ui_token_amount(1500, 3) == {
        "amount": "1500",
        "decimals": 3,
        "uiAmount": 1.5,
        "uiAmountString": "1.5",
    }


def test_slot_history_and_recent_blockhashes_have_the_validators_layout() -> None:
    history = native_accounts.slot_history_data(35)
    assert len(history) == 131_097
    assert history[:9] == b"\x01" + struct.pack("<Q", 16384)
    assert history[9:17] == struct.pack("<Q", 2**36 - 1)  # slots 0..35
    assert history[-16:] == struct.pack("<QQ", 2**20, 36)
    wrapped = native_accounts.slot_history_data(2**20 + 5)  # the ring: slot 2^20 + k is bit k
    assert int.from_bytes(wrapped[9:-16], "little") == 2 ** (2**20) - 1
    hashes = [Hash.new_unique() for _ in range(200)]
    recent = native_accounts.recent_blockhashes_data(hashes)
    assert len(recent) == 6008 and recent[:8] == struct.pack("<Q", 150)
    assert recent[8:48] == bytes(hashes[0]) + struct.pack("<Q", 5000)
    assert native_accounts.recent_blockhashes_data(hashes[:2])[88:] == bytes(6008 - 88)


# -- through the node ----------------------------------------------------------------------------------


def _b64(tx: VersionedTransaction) -> str:
    return base64.b64encode(bytes(tx)).decode()


@ON_THE_NODE
@pytest.mark.parametrize("skip_preflight", [False, True])
async def test_a_duplicate_compute_budget_instruction_is_refused_before_preflight(
    node: LocalNode, client: AsyncClient, skip_preflight: bool
) -> None:
    payer = await funded(client, SOL)
    ixs = [set_compute_unit_limit(1000), set_compute_unit_limit(2000), transfer_ix(payer, payer.pubkey(), 1)]
    tx = await build_tx(client, payer, ixs)
    config = {"encoding": "base64", "skipPreflight": skip_preflight}
    answer = await call(node.rpc_url, "sendTransaction", [_b64(tx), config])
    assert answer["error"] == {
        "code": -32602,
        "message": "invalid transaction: "
        "Transaction contains a duplicate instruction (1) that is not allowed",
    }
    simulated = await call(node.rpc_url, "simulateTransaction", [_b64(tx), {"encoding": "base64"}])
    assert simulated["error"] == answer["error"]


@ON_THE_NODE
async def test_an_unknown_lookup_table_is_refused_before_preflight(
    node: LocalNode, client: AsyncClient
) -> None:
    payer = await funded(client, SOL)
    blockhash = (await client.get_latest_blockhash()).value.blockhash
    recipient = Keypair().pubkey()
    table = AddressLookupTableAccount(Keypair().pubkey(), [recipient])
    tx = v0_transaction([transfer_ix(payer, recipient, SOL // 2)], payer, [], blockhash, [table])
    for skip_preflight in (False, True):
        config = {"encoding": "base64", "skipPreflight": skip_preflight}
        answer = await call(node.rpc_url, "sendTransaction", [_b64(tx), config])
        assert answer["error"] == {
            "code": -32602,
            "message": "invalid transaction: Transaction loads an address table account that doesn't exist",
        }


@ON_THE_NODE
async def test_transaction_text_errors_have_the_validators_wording(node: LocalNode) -> None:
    garbage = base64.b64encode(b"\x01" + bytes(100)).decode()
    answer = await call(node.rpc_url, "sendTransaction", [garbage, {"encoding": "base64"}])
    assert answer["error"] == {
        "code": -32602,
        "message": "failed to deserialize solana_transaction::versioned::VersionedTransaction: "
        "Attempting to read 1 bytes",
    }
    oversize = base64.b64encode(bytes(1638)).decode()
    answer = await call(node.rpc_url, "sendTransaction", [oversize, {"encoding": "base64"}])
    assert answer["error"]["message"] == (
        "base64 encoded solana_transaction::versioned::VersionedTransaction too large: 2184 bytes "
        "(max: encoded/raw 1644/1232)"
    )
    config = {"encoding": "base64", "sigVerify": True, "replaceRecentBlockhash": True}
    answer = await call(node.rpc_url, "simulateTransaction", [garbage, config])
    assert answer["error"]["message"].endswith("VersionedTransaction: Attempting to read 1 bytes")


@ON_THE_NODE
async def test_builtin_and_sysvar_accounts_are_the_validators(node: LocalNode, client: AsyncClient) -> None:
    system = (await client.get_account_info(Pubkey.from_string("11111111111111111111111111111111"))).value
    assert system is not None
    assert (bytes(system.data), system.lamports, system.executable) == (b"solana_system_program", 1, True)
    rent = (await client.get_minimum_balance_for_rent_exemption(17)).value
    assert (await client.get_balance(RENT)).value == rent
    clock = (await client.get_balance(CLOCK)).value
    assert clock == (await client.get_minimum_balance_for_rent_exemption(40)).value
    stake_history = (await client.get_account_info(STAKE_HISTORY)).value
    assert stake_history is not None and len(stake_history.data) == 16392
    fees = await client.get_account_info(Pubkey.from_string("SysvarFees111111111111111111111111111111111"))
    assert fees.value is None
    recent = (await client.get_account_info(RECENT_BLOCKHASHES)).value
    slot = (await client.get_slot()).value
    assert recent is not None and len(recent.data) == 6008
    count = struct.unpack_from("<Q", bytes(recent.data))[0]
    assert min(150, slot - 1) <= count <= min(150, slot + 1)  # the slot may have moved on meanwhile
