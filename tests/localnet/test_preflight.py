"""sendTransaction semantics: preflight failures commit nothing, failures without preflight are committed
with their fee (as on a cluster), duplicates and stale blockhashes are rejected, signatures are verified.

The node executes each transaction once; with preflight a failure is rolled back and answered as the
validator's -32002 preflight failure. These tests pin that this is indistinguishable for clients.
"""

from __future__ import annotations

import base64

import pytest
from localnet_support import NEW_ACCOUNT_MINIMUM, SOL, build_tx, call, funded, transfer_ix
from solana.rpc.async_api import AsyncClient
from solana.rpc.core import RPCException
from solana.rpc.types import TxOpts
from solders.hash import Hash
from solders.keypair import Keypair
from solders.message import Message
from solders.rpc.responses import SendTransactionPreflightFailureMessage
from solders.signature import Signature
from solders.transaction import VersionedTransaction
from solders.transaction_status import InstructionErrorCustom, TransactionErrorInstructionError

from solgrid.localnet.server import LocalNode

pytestmark = pytest.mark.asyncio(loop_scope="module")


async def test_failed_preflight_commits_nothing(node: LocalNode, client: AsyncClient) -> None:
    payer = await funded(client, SOL)
    recipient = Keypair().pubkey()
    tx = await build_tx(client, payer, [transfer_ix(payer, recipient, 2 * SOL)])
    count_before = (await client.get_transaction_count()).value

    with pytest.raises(RPCException) as raised:
        await client.send_transaction(tx)
    failure = raised.value.args[0]
    assert isinstance(failure, SendTransactionPreflightFailureMessage)
    assert failure.message.startswith("Transaction simulation failed: Error processing Instruction 0: ")
    assert failure.data.err == TransactionErrorInstructionError(0, InstructionErrorCustom(1))
    assert failure.data.logs is not None
    assert any("insufficient lamports" in line for line in failure.data.logs)
    assert failure.data.units_consumed == 150

    assert (await client.get_balance(payer.pubkey())).value == SOL  # not even the fee
    assert (await client.get_signature_statuses([tx.signatures[0]])).value[0] is None
    assert (await client.get_transaction_count()).value == count_before
    assert (await client.get_signatures_for_address(payer.pubkey())).value[0].signature != tx.signatures[0]

    # Nothing remembers the rejected signature: the very same bytes land once the payer can pay.
    await client.confirm_transaction((await client.request_airdrop(payer.pubkey(), 2 * SOL)).value)
    signature = (await client.send_transaction(tx)).value
    await client.confirm_transaction(signature)
    assert (await client.get_balance(recipient)).value == 2 * SOL


async def test_failure_without_preflight_is_committed_with_its_fee(client: AsyncClient) -> None:
    payer = await funded(client, SOL)
    tx = await build_tx(client, payer, [transfer_ix(payer, Keypair().pubkey(), 2 * SOL)])
    signature = (await client.send_transaction(tx, TxOpts(skip_preflight=True))).value
    assert signature == tx.signatures[0]
    status = (await client.get_signature_statuses([signature])).value[0]
    assert status is not None
    assert status.err == TransactionErrorInstructionError(0, InstructionErrorCustom(1))
    assert (await client.get_balance(payer.pubkey())).value == SOL - 5000

    result = (await client.get_transaction(signature)).value
    assert result is not None
    meta = result.transaction.meta
    assert meta is not None
    assert meta.err == TransactionErrorInstructionError(0, InstructionErrorCustom(1))
    assert meta.fee == 5000
    assert meta.post_balances[0] == SOL - 5000
    assert meta.post_balances[1] == 0
    assert meta.log_messages is not None and "custom program error: 0x1" in meta.log_messages[-1]
    history = (await client.get_signatures_for_address(payer.pubkey(), limit=1)).value
    assert history[0].signature == signature and history[0].err is not None


async def test_duplicates_are_already_processed(client: AsyncClient) -> None:
    payer = await funded(client, SOL)
    amount = NEW_ACCOUNT_MINIMUM + 999
    tx = await build_tx(client, payer, [transfer_ix(payer, Keypair().pubkey(), amount)])
    await client.confirm_transaction((await client.send_transaction(tx)).value)
    count = (await client.get_transaction_count()).value

    with pytest.raises(RPCException) as raised:
        await client.send_transaction(tx)
    failure = raised.value.args[0]
    assert isinstance(failure, SendTransactionPreflightFailureMessage)
    assert str(failure.data.err) == "TransactionErrorFieldless.AlreadyProcessed"

    # Without preflight a validator accepts the duplicate and never lands it a second time.
    again = (await client.send_transaction(tx, TxOpts(skip_preflight=True))).value
    assert again == tx.signatures[0]
    assert (await client.get_transaction_count()).value == count
    assert (await client.get_balance(payer.pubkey())).value == SOL - 5000 - amount


async def test_unknown_blockhash_is_rejected(client: AsyncClient) -> None:
    payer = await funded(client, SOL)
    message = Message.new_with_blockhash(
        [transfer_ix(payer, Keypair().pubkey(), NEW_ACCOUNT_MINIMUM)], payer.pubkey(), Hash.new_unique()
    )
    tx = VersionedTransaction(message, [payer])
    with pytest.raises(RPCException) as raised:
        await client.send_transaction(tx)
    failure = raised.value.args[0]
    assert isinstance(failure, SendTransactionPreflightFailureMessage)
    assert str(failure.data.err) == "TransactionErrorFieldless.BlockhashNotFound"
    assert failure.message == "Transaction simulation failed: Blockhash not found"
    skipped = (await client.send_transaction(tx, TxOpts(skip_preflight=True))).value
    assert (await client.get_signature_statuses([skipped])).value[0] is None


async def test_signatures_are_verified(node: LocalNode, client: AsyncClient) -> None:
    payer = await funded(client, SOL)
    blockhash = (await client.get_latest_blockhash()).value.blockhash
    message = Message.new_with_blockhash(
        [transfer_ix(payer, Keypair().pubkey(), NEW_ACCOUNT_MINIMUM)], payer.pubkey(), blockhash
    )
    forged = VersionedTransaction.populate(message, [Keypair().sign_message(bytes(message))])
    unsigned = VersionedTransaction.populate(message, [Signature.default()])
    for tx in (forged, unsigned):
        encoded = base64.b64encode(bytes(tx)).decode()
        answer = await call(node.rpc_url, "sendTransaction", [encoded, {"encoding": "base64"}])
        # As agave 4.2: a preflight failure whose simulation never ran (no logs, no units).
        error = answer["error"]
        assert (error["code"], error["message"]) == (
            -32002,
            "Transaction simulation failed: Transaction did not pass signature verification",
        )
        assert (error["data"]["err"], error["data"]["logs"], error["data"]["unitsConsumed"]) == (
            "SignatureFailure",
            [],
            0,
        )
        skipped = await call(
            node.rpc_url, "sendTransaction", [encoded, {"encoding": "base64", "skipPreflight": True}]
        )
        assert skipped["result"] == str(tx.signatures[0])
    assert (await client.get_balance(payer.pubkey())).value == SOL
    assert (await client.get_signature_statuses([forged.signatures[0]])).value[0] is None


async def test_signature_count_must_match_the_header(node: LocalNode, client: AsyncClient) -> None:
    payer = await funded(client, SOL)
    blockhash = (await client.get_latest_blockhash()).value.blockhash
    message = Message.new_with_blockhash(
        [transfer_ix(payer, Keypair().pubkey(), NEW_ACCOUNT_MINIMUM)], payer.pubkey(), blockhash
    )
    no_signatures = VersionedTransaction.populate(message, [])
    answer = await call(
        node.rpc_url,
        "sendTransaction",
        [base64.b64encode(bytes(no_signatures)).decode(), {"encoding": "base64"}],
    )
    assert answer["error"]["code"] == -32602
    assert answer["error"]["message"].startswith("invalid transaction")


async def test_base58_is_the_default_encoding(node: LocalNode, client: AsyncClient) -> None:
    import base58

    payer = await funded(client, SOL)
    tx = await build_tx(client, payer, [transfer_ix(payer, Keypair().pubkey(), NEW_ACCOUNT_MINIMUM)])
    confirmed = {"preflightCommitment": "confirmed"}  # the payer's airdrop is not finalized yet
    answer = await call(node.rpc_url, "sendTransaction", [base58.b58encode(bytes(tx)).decode(), confirmed])
    assert answer["result"] == str(tx.signatures[0])
