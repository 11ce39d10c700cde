"""The node's JSON-RPC methods, driven by solana-py's AsyncClient (and raw JSON-RPC where solana-py 0.36
has no method)."""

from __future__ import annotations

import base64
import json
import struct

import base58
import pytest
import zstandard
from localnet_support import NEW_ACCOUNT_MINIMUM, SOL, build_tx, call, funded, send, transfer_ix
from solana.rpc.async_api import AsyncClient
from solana.rpc.commitment import Finalized
from solders.address_lookup_table_account import AddressLookupTableAccount, derive_lookup_table_address
from solders.commitment_config import CommitmentLevel
from solders.compute_budget import set_compute_unit_limit, set_compute_unit_price
from solders.hash import Hash
from solders.instruction import AccountMeta, Instruction
from solders.keypair import Keypair
from solders.message import Message, MessageV0, to_bytes_versioned
from solders.pubkey import Pubkey
from solders.rpc.config import RpcContextConfig
from solders.rpc.requests import IsBlockhashValid
from solders.rpc.responses import IsBlockhashValidResp
from solders.system_program import ID as SYSTEM_PROGRAM
from solders.transaction import VersionedTransaction

from solgrid.localnet.server import LocalNode

pytestmark = pytest.mark.asyncio(loop_scope="module")

MEMO_PROGRAM = Pubkey.from_string("MemoSq4gqABAXKb96qnH8TysNcWxMyWCqXgDLGmfcHr")
ALT_PROGRAM = Pubkey.from_string("AddressLookupTab1e1111111111111111111111111")


async def test_cluster_information(node: LocalNode, client: AsyncClient) -> None:
    assert await client.is_connected()
    version = (await client.get_version()).value
    assert version.solana_core == "4.1.2"  # the engine's agave
    identity = (await client.get_identity()).value.identity
    assert identity == node.chain.identity.pubkey()
    assert (await client.get_slot_leader()).value == identity
    genesis = (await client.get_genesis_hash()).value
    assert genesis == node.chain.genesis_hash
    assert (await client.get_first_available_block()).value == 0
    assert (await client.get_minimum_ledger_slot()).value == 0
    (cluster_node,) = (await client.get_cluster_nodes()).value
    contact = json.loads(cluster_node.to_json())
    assert contact["pubkey"] == str(identity)
    assert contact["rpc"] == node.rpc_url.removeprefix("http://")
    assert contact["pubsub"] == node.ws_url.removeprefix("ws://")
    votes = (await client.get_vote_accounts()).value
    assert votes.current == [] and votes.delinquent == []
    fees = (await call(node.rpc_url, "getRecentPrioritizationFees", [[str(identity)]]))["result"]
    assert fees and all(entry["prioritizationFee"] == 0 for entry in fees)
    assert fees[-1]["slot"] <= (await client.get_slot()).value
    assert [entry["slot"] for entry in fees] == list(range(fees[0]["slot"], fees[-1]["slot"] + 1))


async def test_slot_block_height_and_epoch(client: AsyncClient) -> None:
    slot = (await client.get_slot()).value
    height = (await client.get_block_height()).value
    assert height >= slot  # every slot produces a block here, and the second call is not earlier
    info = (await client.get_epoch_info()).value
    assert info.epoch == info.absolute_slot // 432_000
    assert info.slot_index == info.absolute_slot % 432_000
    assert info.slots_in_epoch == 432_000
    schedule = (await client.get_epoch_schedule()).value
    assert schedule.slots_per_epoch == 432_000 and not schedule.warmup


async def test_latest_blockhash_is_valid_for_150_blocks(node: LocalNode, client: AsyncClient) -> None:
    latest = (await client.get_latest_blockhash()).value
    height = (await client.get_block_height()).value
    assert latest.last_valid_block_height - 150 <= height <= latest.last_valid_block_height
    # solana-py 0.36 has no method for isBlockhashValid: send solders' typed request through the
    # client's own provider, which parses the answer as solana-py does for every other method.
    processed = RpcContextConfig(CommitmentLevel.Processed)
    provider = client._provider
    valid = await provider.make_request(IsBlockhashValid(latest.blockhash, processed), IsBlockhashValidResp)
    assert valid.value is True and valid.context.slot >= height
    unknown = await provider.make_request(IsBlockhashValid(Hash.new_unique()), IsBlockhashValidResp)
    assert unknown.value is False


async def test_fee_for_message(client: AsyncClient) -> None:
    payer, other = Keypair(), Keypair()
    blockhash = (await client.get_latest_blockhash()).value.blockhash
    one_signer = Message.new_with_blockhash(
        [transfer_ix(payer, other.pubkey(), 1)], payer.pubkey(), blockhash
    )
    assert (await client.get_fee_for_message(one_signer)).value == 5000
    two_signers = Message.new_with_blockhash(
        [transfer_ix(payer, other.pubkey(), 1), transfer_ix(other, payer.pubkey(), 1)],
        payer.pubkey(),
        blockhash,
    )
    assert (await client.get_fee_for_message(two_signers)).value == 10_000
    # The prioritization fee: 1,000 micro-lamports per CU of the requested limit, and of the default
    # limit (3,000 CU per builtin instruction: compute budget and system here), rounded up.
    priced = Message.new_with_blockhash(
        [
            set_compute_unit_limit(10_000),
            set_compute_unit_price(1_000),
            transfer_ix(payer, other.pubkey(), 1),
        ],
        payer.pubkey(),
        blockhash,
    )
    assert (await client.get_fee_for_message(priced)).value == 5000 + 10
    default_limit = Message.new_with_blockhash(
        [set_compute_unit_price(1_001), transfer_ix(payer, other.pubkey(), 1)], payer.pubkey(), blockhash
    )
    assert (await client.get_fee_for_message(default_limit)).value == 5000 + 7  # 6.006 lamports
    # Invalid compute-budget instructions (here a duplicate price): null, as on a validator.
    duplicate = Message.new_with_blockhash(
        [set_compute_unit_price(1), set_compute_unit_price(2), transfer_ix(payer, other.pubkey(), 1)],
        payer.pubkey(),
        blockhash,
    )
    assert (await client.get_fee_for_message(duplicate)).value is None
    stale = Message.new_with_blockhash(
        [transfer_ix(payer, other.pubkey(), 1)], payer.pubkey(), Hash.new_unique()
    )
    assert (await client.get_fee_for_message(stale)).value is None


async def test_rent_exemption(client: AsyncClient) -> None:
    assert (await client.get_minimum_balance_for_rent_exemption(0)).value == 890_880
    assert (await client.get_minimum_balance_for_rent_exemption(165)).value == 2_039_280


async def test_airdrop_is_a_recorded_transfer(node: LocalNode, client: AsyncClient) -> None:
    wallet = Keypair()
    signature = (await client.request_airdrop(wallet.pubkey(), 3 * SOL)).value
    await client.confirm_transaction(signature)
    assert (await client.get_balance(wallet.pubkey())).value == 3 * SOL
    tx = (await client.get_transaction(signature)).value
    assert tx is not None
    keys = tx.transaction.transaction.message.account_keys
    assert keys[0] == node.chain.faucet.pubkey()
    assert wallet.pubkey() in keys
    # Two equal airdrops in the same slot still get distinct signatures.
    first = (await client.request_airdrop(wallet.pubkey(), 1)).value
    second = (await client.request_airdrop(wallet.pubkey(), 1)).value
    assert first != second
    await client.confirm_transaction(second)
    assert (await client.get_balance(wallet.pubkey())).value == 3 * SOL + 2


async def test_transfer_meta_in_get_transaction(client: AsyncClient) -> None:
    payer = await funded(client)
    recipient = Keypair().pubkey()
    tx = await build_tx(client, payer, [transfer_ix(payer, recipient, 1_000_000)])
    signature = (await client.send_transaction(tx)).value
    await client.confirm_transaction(signature)

    result = (await client.get_transaction(signature, encoding="json")).value
    assert result is not None
    meta = result.transaction.meta
    assert meta is not None
    assert meta.err is None
    assert meta.fee == 5000
    assert meta.pre_balances[:2] == [10 * SOL, 0]
    assert meta.post_balances[:2] == [10 * SOL - 5000 - 1_000_000, 1_000_000]
    assert meta.log_messages == [
        "Program 11111111111111111111111111111111 invoke [1]",
        "Program 11111111111111111111111111111111 success",
    ]
    assert meta.compute_units_consumed == 150
    assert result.transaction.transaction.signatures[0] == signature
    assert result.block_time is not None and result.slot >= 0

    base64_form = (
        await client.get_transaction(signature, encoding="base64", max_supported_transaction_version=0)
    ).value
    assert base64_form is not None
    assert bytes(base64_form.transaction.transaction) == bytes(tx)
    assert str(base64_form.transaction.version) == "Legacy.Legacy"


async def test_get_transaction_encodings_raw(node: LocalNode, client: AsyncClient) -> None:
    payer = await funded(client)
    signature = await send(client, payer, [transfer_ix(payer, Keypair().pubkey(), NEW_ACCOUNT_MINIMUM + 4)])
    confirmed = {"commitment": "confirmed"}  # not finalized yet
    parsed = (
        await call(node.rpc_url, "getTransaction", [str(signature), {**confirmed, "encoding": "jsonParsed"}])
    )["result"]
    keys = parsed["transaction"]["message"]["accountKeys"]
    assert keys[0] == {
        "pubkey": str(payer.pubkey()),
        "writable": True,
        "signer": True,
        "source": "transaction",
    }
    assert keys[2]["pubkey"] == str(SYSTEM_PROGRAM) and keys[2]["writable"] is False
    assert parsed["transaction"]["message"]["instructions"][0]["programId"] == str(SYSTEM_PROGRAM)
    base58_form = (
        await call(node.rpc_url, "getTransaction", [str(signature), {**confirmed, "encoding": "base58"}])
    )["result"]
    assert (
        VersionedTransaction.from_bytes(base58.b58decode(base58_form["transaction"][0])).signatures[0]
        == signature
    )
    processed = await call(node.rpc_url, "getTransaction", [str(signature), {"commitment": "processed"}])
    assert processed["error"]["code"] == -32602
    missing = await call(node.rpc_url, "getTransaction", [str(Keypair().sign_message(b"x"))])
    assert missing["result"] is None


async def test_signature_statuses(client: AsyncClient) -> None:
    payer = await funded(client)
    signature = await send(client, payer, [transfer_ix(payer, Keypair().pubkey(), NEW_ACCOUNT_MINIMUM)])
    unknown = Keypair().sign_message(b"never sent")
    statuses = (
        await client.get_signature_statuses([signature, unknown], search_transaction_history=True)
    ).value
    found, missing = statuses
    assert missing is None
    assert found is not None
    assert found.err is None
    # Confirmed at once; finalized 31 slots later (tests/localnet/test_commitment.py).
    assert str(found.confirmation_status) == "TransactionConfirmationStatus.Confirmed"
    assert found.confirmations is not None and 1 <= found.confirmations <= 31


async def test_account_info_encodings(node: LocalNode, client: AsyncClient) -> None:
    payer = await funded(client)
    owner = Keypair().pubkey()
    holder = Keypair()
    data = bytes(range(40))
    await call(
        node.rpc_url,
        "solgrid_setAccount",
        [
            str(holder.pubkey()),
            {"lamports": SOL, "owner": str(owner), "data": [base64.b64encode(data).decode(), "base64"]},
        ],
    )
    info = (await client.get_account_info(holder.pubkey())).value
    assert info is not None
    assert info.lamports == SOL and info.owner == owner and bytes(info.data) == data and not info.executable

    sliced = (await client.get_account_info(holder.pubkey(), data_slice=_slice(4, 8))).value
    assert sliced is not None and bytes(sliced.data) == data[4:12]

    confirmed = {"commitment": "confirmed"}  # not finalized yet
    raw = await call(
        node.rpc_url, "getAccountInfo", [str(holder.pubkey()), {**confirmed, "encoding": "base58"}]
    )
    value = raw["result"]["value"]
    assert base58.b58decode(value["data"][0]) == data and value["data"][1] == "base58"
    assert value["space"] == len(data)

    zstd = await call(
        node.rpc_url, "getAccountInfo", [str(holder.pubkey()), {**confirmed, "encoding": "base64+zstd"}]
    )
    packed, kind = zstd["result"]["value"]["data"]
    assert kind == "base64+zstd"
    assert zstandard.ZstdDecompressor().decompress(base64.b64decode(packed)) == data

    fallback = await call(
        node.rpc_url, "getAccountInfo", [str(holder.pubkey()), {**confirmed, "encoding": "jsonParsed"}]
    )
    assert fallback["result"]["value"]["data"] == [base64.b64encode(data).decode(), "base64"]

    assert (await client.get_account_info(Keypair().pubkey())).value is None
    assert (await client.get_account_info(payer.pubkey())).value is not None


def _slice(offset: int, length: int) -> object:
    from solana.rpc.types import DataSliceOpts

    return DataSliceOpts(offset=offset, length=length)


async def test_get_multiple_accounts_keeps_order(client: AsyncClient) -> None:
    first, second = await funded(client, SOL), await funded(client, 2 * SOL)
    missing = Keypair().pubkey()
    accounts = (await client.get_multiple_accounts([second.pubkey(), missing, first.pubkey()])).value
    assert [a.lamports if a else None for a in accounts] == [2 * SOL, None, SOL]


async def test_simulate_does_not_change_state(node: LocalNode, client: AsyncClient) -> None:
    payer = await funded(client)
    recipient = Keypair().pubkey()
    blockhash = (await client.get_latest_blockhash()).value.blockhash
    message = Message.new_with_blockhash(
        [transfer_ix(payer, recipient, NEW_ACCOUNT_MINIMUM + 777)], payer.pubkey(), blockhash
    )
    unsigned = VersionedTransaction.populate(message, [payer.sign_message(b"not the message")])

    simulated = (await client.simulate_transaction(unsigned)).value
    assert simulated.err is None
    assert simulated.units_consumed == 150
    assert simulated.logs[-1] == "Program 11111111111111111111111111111111 success"
    assert (await client.get_balance(recipient)).value == 0

    verified = await call(
        node.rpc_url,
        "simulateTransaction",
        [base64.b64encode(bytes(unsigned)).decode(), {"encoding": "base64", "sigVerify": True}],
    )
    # agave 4.2.2 answers a result, not an RPC error: nothing ran, nothing loaded, no balances
    failure = verified["result"]["value"]
    assert (failure["err"], failure["fee"], failure["loadedAccountsDataSize"]) == (
        "SignatureFailure",
        None,
        0,
    )
    assert failure["preBalances"] is None and failure["logs"] == []
    assert failure["unitsConsumed"] == 0

    with_accounts = await call(
        node.rpc_url,
        "simulateTransaction",
        [
            base64.b64encode(bytes(unsigned)).decode(),
            {
                "encoding": "base64",
                "commitment": "confirmed",
                "accounts": {"addresses": [str(recipient), str(Keypair().pubkey())]},
            },
        ],
    )
    post_recipient, untouched = with_accounts["result"]["value"]["accounts"]
    assert post_recipient["lamports"] == NEW_ACCOUNT_MINIMUM + 777 and untouched is None


async def test_simulate_replaces_a_stale_blockhash(node: LocalNode, client: AsyncClient) -> None:
    payer = await funded(client)
    message = Message.new_with_blockhash(
        [transfer_ix(payer, Keypair().pubkey(), NEW_ACCOUNT_MINIMUM)], payer.pubkey(), Hash.new_unique()
    )
    tx = VersionedTransaction(message, [payer])
    encoded = base64.b64encode(bytes(tx)).decode()
    config = {"encoding": "base64", "commitment": "confirmed"}  # the airdrop is not finalized yet
    stale = await call(node.rpc_url, "simulateTransaction", [encoded, config])
    assert stale["result"]["value"]["err"] == "BlockhashNotFound"
    replaced = await call(
        node.rpc_url, "simulateTransaction", [encoded, {**config, "replaceRecentBlockhash": True}]
    )
    value = replaced["result"]["value"]
    assert value["err"] is None
    assert value["replacementBlockhash"]["blockhash"] == str(
        (await client.get_latest_blockhash()).value.blockhash
    )


async def test_signatures_for_address_paging(node: LocalNode, client: AsyncClient) -> None:
    payer = await funded(client)
    target = Keypair().pubkey()
    sent = [
        await send(client, payer, [transfer_ix(payer, target, NEW_ACCOUNT_MINIMUM + i)]) for i in range(5)
    ]
    memo = await send(
        client, payer, [Instruction(MEMO_PROGRAM, b"meter 7", [AccountMeta(payer.pubkey(), True, False)])]
    )

    newest_first = (await client.get_signatures_for_address(target)).value
    assert [s.signature for s in newest_first] == list(reversed(sent))
    assert all(s.err is None and s.block_time is not None for s in newest_first)

    assert [s.signature for s in (await client.get_signatures_for_address(target, limit=2)).value] == [
        sent[4],
        sent[3],
    ]
    page = (await client.get_signatures_for_address(target, before=sent[3], limit=10)).value
    assert [s.signature for s in page] == [sent[2], sent[1], sent[0]]
    window = (await client.get_signatures_for_address(target, before=sent[4], until=sent[1])).value
    assert [s.signature for s in window] == [sent[3], sent[2]]

    payer_history = (await client.get_signatures_for_address(payer.pubkey(), limit=1)).value
    assert payer_history[0].signature == memo
    assert payer_history[0].memo == "[7] meter 7"
    too_many = await call(node.rpc_url, "getSignaturesForAddress", [str(target), {"limit": 1001}])
    assert too_many["error"]["code"] == -32602


async def test_transaction_count_increases(client: AsyncClient) -> None:
    before = (await client.get_transaction_count()).value
    payer = await funded(client)
    await send(client, payer, [transfer_ix(payer, Keypair().pubkey(), NEW_ACCOUNT_MINIMUM)])
    assert (await client.get_transaction_count()).value == before + 2  # airdrop + transfer


async def test_v0_transaction_with_a_lookup_table(node: LocalNode, client: AsyncClient) -> None:
    payer = await funded(client)
    recipient = Keypair().pubkey()
    recent_slot = (await client.get_slot(Finalized)).value  # the tip is not in its own SlotHashes
    table, bump = derive_lookup_table_address(payer.pubkey(), recent_slot)
    meta = [
        AccountMeta(table, False, True),
        AccountMeta(payer.pubkey(), True, False),
        AccountMeta(payer.pubkey(), True, True),
        AccountMeta(SYSTEM_PROGRAM, False, False),
    ]
    create = Instruction(ALT_PROGRAM, struct.pack("<IQB", 0, recent_slot, bump), meta)
    extend = Instruction(ALT_PROGRAM, struct.pack("<IQ", 2, 1) + bytes(recipient), meta)
    await send(client, payer, [create, extend])
    slot = (await client.get_slot()).value
    await call(
        node.rpc_url, "solgrid_warpSlot", [slot + 2]
    )  # extended addresses are usable from the next slot

    blockhash = (await client.get_latest_blockhash()).value.blockhash
    message = MessageV0.try_compile(
        payer.pubkey(),
        [transfer_ix(payer, recipient, NEW_ACCOUNT_MINIMUM + 4242)],
        [AddressLookupTableAccount(table, [recipient])],
        blockhash,
    )
    tx = VersionedTransaction(message, [payer])
    assert len(message.address_table_lookups) == 1
    signature = (await client.send_transaction(tx)).value
    await client.confirm_transaction(signature)
    assert (await client.get_balance(recipient)).value == NEW_ACCOUNT_MINIMUM + 4242

    refused = await call(node.rpc_url, "getTransaction", [str(signature), {"commitment": "confirmed"}])
    assert refused["error"]["code"] == -32015
    result = (await client.get_transaction(signature, max_supported_transaction_version=0)).value
    assert result is not None and result.transaction.version == 0
    assert result.transaction.meta is not None
    loaded = result.transaction.meta.loaded_addresses
    assert loaded is not None and loaded.writable == [recipient]
    assert result.transaction.meta.post_balances[-1] == NEW_ACCOUNT_MINIMUM + 4242
    # getSignaturesForAddress indexes looked-up addresses too.
    assert (await client.get_signatures_for_address(recipient)).value[0].signature == signature
    assert bytes(to_bytes_versioned(message))[0] == 0x80
