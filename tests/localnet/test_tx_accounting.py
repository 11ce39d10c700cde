"""What a transaction costs and loads, with the numbers a solana-test-validator 4.2.2 reported for the
same transactions (the differential run): the cost model (``costUnits``), the loaded account data size
(SIMD-0186) and its limit, and the simulation fields that report them."""

from __future__ import annotations

import base64
from typing import Any

import pytest
from localnet_support import SOL, build_tx, call, funded, transfer_ix
from solana.rpc.async_api import AsyncClient
from solders.account import Account
from solders.hash import Hash
from solders.instruction import Instruction
from solders.keypair import Keypair
from solders.message import Message
from solders.pubkey import Pubkey

from solgrid.localnet import loaded_size, tx_cost, txmeta
from solgrid.localnet.server import LocalNode
from solgrid.sdk.registry import RegistryClient

COMPUTE_BUDGET = Pubkey.from_string("ComputeBudget111111111111111111111111111111")
SYSTEM_PROGRAM = Account(
    1, b"solana_system_program", Pubkey.from_string("NativeLoader1111111111111111111111111111111"), True, 0
)


def _limit(size: int) -> Instruction:
    return Instruction(COMPUTE_BUDGET, bytes([4]) + size.to_bytes(4, "little"), [])


def _message(instructions: list[Instruction], payer: Pubkey) -> Message:
    return Message.new_with_blockhash(instructions, payer, Hash.default())


def _transfer(source: Pubkey, to: Pubkey, lamports: int) -> Instruction:
    from solders.system_program import TransferParams, transfer

    return transfer(TransferParams(from_pubkey=source, to_pubkey=to, lamports=lamports))


# -- the cost model --------------------------------------------------------------------------------------


def test_cost_of_six_transfers_as_the_validator_reported() -> None:
    """1 signature, 7 writable accounts, 72 bytes of instruction data, 900 CU, 1 page: 3746."""
    payer = Pubkey.new_unique()
    message = _message([_transfer(payer, Pubkey.new_unique(), 10 * SOL) for _ in range(6)], payer)
    accounts = {
        payer: Account(1000 * SOL, b"", txmeta.SYSTEM_PROGRAM_ID),
        txmeta.SYSTEM_PROGRAM_ID: SYSTEM_PROGRAM,
    }
    size = loaded_size.loaded_accounts_data_size(message.account_keys, 0, accounts.get)
    assert size == 64 + 64 + 21  # the six recipients did not exist yet
    assert tx_cost.executed_cost(message, 7, 900, size) == 3746


def test_cost_of_a_transaction_over_its_loaded_data_limit() -> None:
    """Fee only, nothing executed: the loaded size is the limit (100 bytes, 1 page); 1331 on the validator."""
    alice = Pubkey.new_unique()
    verify = RegistryClient().verify_user(regulator=alice, wallet=Pubkey.new_unique())
    message = _message([_limit(100), verify], alice)
    assert tx_cost.executed_cost(message, 2, 0, 100) == 1331


def test_precompile_signatures_are_costed_per_declared_signature() -> None:
    payer = Pubkey.new_unique()
    ed25519 = Instruction(txmeta.ED25519_PROGRAM_ID, bytes([2, 0]), [])
    secp256k1 = Instruction(txmeta.SECP256K1_PROGRAM_ID, bytes([1]), [])
    secp256r1 = Instruction(txmeta.SECP256R1_PROGRAM_ID, bytes([3, 0]), [])
    message = _message([ed25519, secp256k1, secp256r1], payer)
    assert tx_cost.signature_cost(message) == 720 + 2 * 2400 + 6690 + 3 * 4800


def test_loaded_data_cost_is_eight_per_started_32_kib_page() -> None:
    assert [tx_cost.loaded_accounts_data_size_cost(n) for n in (0, 1, 32768, 32769)] == [0, 8, 8, 16]


# -- the loaded account data size ------------------------------------------------------------------------


def test_loader_v3_programdata_counts_once() -> None:
    program, programdata = Pubkey.new_unique(), Pubkey.new_unique()
    program_account = Account(
        1, (2).to_bytes(4, "little") + bytes(programdata), loaded_size.LOADER_V3, True, 0
    )
    data_account = Account(1, bytes(45 + 1000), loaded_size.LOADER_V3, False, 0)
    accounts = {program: program_account, programdata: data_account}
    alone = loaded_size.loaded_accounts_data_size([program], 0, accounts.get)
    assert alone == (64 + 36) + (64 + 1045)
    assert loaded_size.loaded_accounts_data_size([program, programdata, program], 0, accounts.get) == alone
    assert loaded_size.loaded_accounts_data_size([program], 2, accounts.get) == alone + 2 * 8248


def test_the_limit_comes_from_the_compute_budget() -> None:
    payer = Pubkey.new_unique()
    assert loaded_size.data_size_limit(_message([], payer)) == 64 * 1024 * 1024
    assert loaded_size.data_size_limit(_message([_limit(100)], payer)) == 100
    assert loaded_size.data_size_limit(_message([_limit(2**32 - 1)], payer)) == 64 * 1024 * 1024
    assert loaded_size.data_size_limit(_message([_limit(0)], payer)) is None


# -- through the node ------------------------------------------------------------------------------------

pytestmark_node = pytest.mark.asyncio(loop_scope="module")


def _b64(tx: Any) -> str:
    return base64.b64encode(bytes(tx)).decode()


@pytestmark_node
async def test_transaction_over_its_loaded_data_limit_pays_and_does_not_run(
    node: LocalNode, client: AsyncClient
) -> None:
    payer = await funded(client, SOL)
    recipient = Keypair().pubkey()
    tx = await build_tx(client, payer, [_limit(100), transfer_ix(payer, recipient, SOL // 10)])

    simulated = (
        await call(
            node.rpc_url,
            "simulateTransaction",
            [_b64(tx), {"encoding": "base64", "commitment": "confirmed"}],
        )
    )["result"]
    value = simulated["value"]
    assert value["err"] == "MaxLoadedAccountsDataSizeExceeded"
    assert (value["fee"], value["loadedAccountsDataSize"], value["unitsConsumed"]) == (5000, 100, 0)
    assert value["preBalances"] == [SOL, 0, 1, 1]
    assert value["postBalances"] == [SOL - 5000, 0, 1, 1]

    preflight = await call(
        node.rpc_url,
        "sendTransaction",
        [_b64(tx), {"encoding": "base64", "preflightCommitment": "confirmed"}],
    )
    assert preflight["error"]["code"] == -32002
    data = preflight["error"]["data"]
    assert (data["err"], data["fee"], data["loadedAccountsDataSize"]) == (
        "MaxLoadedAccountsDataSizeExceeded",
        5000,
        100,
    )
    assert data["preBalances"] is None and data["loadedAddresses"] is None
    assert (await client.get_balance(payer.pubkey())).value == SOL

    sent = await call(
        node.rpc_url, "sendTransaction", [_b64(tx), {"encoding": "base64", "skipPreflight": True}]
    )
    await client.confirm_transaction(tx.signatures[0])
    got = await call(node.rpc_url, "getTransaction", [sent["result"], {"commitment": "confirmed"}])
    meta = got["result"]["meta"]
    assert meta["err"] == "MaxLoadedAccountsDataSizeExceeded"
    assert (meta["logMessages"], meta["innerInstructions"], meta["computeUnitsConsumed"]) == (None, None, 0)
    assert meta["postBalances"][:2] == [SOL - 5000, 0]
    # 720 (1 signature) + 600 (payer, recipient) + 17 bytes / 4 + 0 CU + 8 (100 bytes: one page)
    assert meta["costUnits"] == 720 + 600 + 4 + 8
    assert (await client.get_balance(recipient)).value == 0


@pytestmark_node
async def test_simulation_reports_fee_size_and_balances(node: LocalNode, client: AsyncClient) -> None:
    payer = await funded(client, SOL)
    recipient = await funded(client, SOL)
    tx = await build_tx(client, payer, [transfer_ix(payer, recipient.pubkey(), 41)])
    config = {"encoding": "base64", "commitment": "confirmed", "sigVerify": True, "innerInstructions": True}
    value = (await call(node.rpc_url, "simulateTransaction", [_b64(tx), config]))["result"]["value"]
    assert value["err"] is None
    system_program = (await client.get_account_info(txmeta.SYSTEM_PROGRAM_ID)).value
    assert system_program is not None
    # 3 x 64 + the system program's data (on the validator "solana_system_program": 213 in all)
    assert (value["fee"], value["loadedAccountsDataSize"]) == (5000, 3 * 64 + len(system_program.data))
    assert value["loadedAddresses"] == {"readonly": [], "writable": []}
    assert value["preBalances"] == [SOL, SOL, 1]
    assert value["postBalances"] == [SOL - 5041, SOL + 41, 1]
    assert value["preTokenBalances"] == value["postTokenBalances"] == []
    assert value["innerInstructions"] == []

    signature = (await client.send_transaction(tx)).value
    await client.confirm_transaction(signature)
    got = await call(node.rpc_url, "getTransaction", [str(signature), {"commitment": "confirmed"}])
    assert got["result"]["meta"]["costUnits"] == 720 + 2 * 300 + 12 // 4 + 150 + 8  # 1481, as the validator
