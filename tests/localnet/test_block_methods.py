"""The block, supply and economics methods (getBlock, getBlocks, getBlocksWithLimit, getBlockTime,
getBlockCommitment, getSupply, getLargestAccounts, getRecentPerformanceSamples, getFirstAvailableBlock,
getHighestSnapshotSlot, getInflationGovernor, getStakeMinimumDelegation, getVoteAccounts) read through
solana-py's typed responses (solders), or as raw JSON in web3.js's shapes where solana-py has no method;
the answers and errors are solana-test-validator 4.2.2's (tests/compat holds them against it)."""

from __future__ import annotations

import base64
import itertools
import json
import struct
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
import pytest_asyncio
from localnet_support import SOL, call, funded, send, transfer_ix
from solana.rpc.async_api import AsyncClient
from solana.rpc.commitment import Confirmed
from solana.rpc.core import RPCException
from solana.rpc.types import TxOpts
from solders.account import Account
from solders.keypair import Keypair
from solders.message import MessageV0
from solders.pubkey import Pubkey
from solders.rpc.responses import (
    GetBlockResp,
    GetBlocksWithLimitResp,
    GetLargestAccountsResp,
    RpcAccountBalance,
    RpcBlockCommitment,
)
from solders.signature import Signature
from solders.transaction import Legacy, VersionedTransaction
from solders.transaction_status import UiConfirmedBlock

from solgrid.localnet.server import LocalNode, NodeConfig
from solgrid.localnet.slot_hashes import empty_slot_hash
from solgrid.localnet.supply import NON_CIRCULATING_ACCOUNTS, STAKE_PROGRAM_ID

pytestmark = pytest.mark.asyncio(loop_scope="module")


def manual(**overrides: Any) -> NodeConfig:
    """A node whose slots move only when the test moves them."""
    settings: dict[str, Any] = {"rpc_port": 0, "ws_port": 0, "slot_ms": 60_000, **overrides}
    return NodeConfig(**settings)


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def quiet_node() -> AsyncIterator[LocalNode]:
    async with LocalNode(manual()) as running:
        yield running


def root_everything(node: LocalNode) -> None:
    """Produce blocks until everything so far is rooted (finalized)."""
    target = node.chain.slot
    while node.chain.root < target:
        node.chain.advance_slot()


async def v0_transfer(client: AsyncClient, payer: Keypair, to: Pubkey, lamports: int) -> Signature:
    blockhash = (await client.get_latest_blockhash(Confirmed)).value.blockhash
    message = MessageV0.try_compile(payer.pubkey(), [transfer_ix(payer, to, lamports)], [], blockhash)
    tx = VersionedTransaction(message, [payer])
    return (await client.send_transaction(tx, TxOpts(preflight_commitment=Confirmed))).value


async def block_with_both_versions(node: LocalNode, client: AsyncClient) -> tuple[int, list[Signature]]:
    """A rooted block holding a legacy and a v0 transfer (in that order)."""
    payer = await funded(client, 10 * SOL)
    node.chain.advance_slot()
    recipient = Keypair().pubkey()
    legacy = await send(client, payer, [transfer_ix(payer, recipient, SOL)])
    v0 = await v0_transfer(client, payer, recipient, SOL)
    slot = node.chain.slot
    root_everything(node)
    return slot, [legacy, v0]


async def error_of(node: LocalNode, method: str, params: list[Any]) -> dict[str, Any]:
    reply = await call(node.rpc_url, method, params)
    assert "error" in reply, reply
    error: dict[str, Any] = reply["error"]
    return error


async def test_get_block_answers_the_blocks_transactions_in_order(quiet_node: LocalNode) -> None:
    async with AsyncClient(quiet_node.rpc_url, Confirmed) as client:
        slot, signatures = await block_with_both_versions(quiet_node, client)
        block = (await client.get_block(slot, max_supported_transaction_version=0)).value
        assert isinstance(block, UiConfirmedBlock)
        assert [tx.transaction.signatures[0] for tx in block.transactions or []] == signatures
        assert [tx.version for tx in block.transactions or []] == [Legacy.Legacy, 0]
        assert block.parent_slot == slot - 1 and block.block_height == slot
        assert block.rewards == []
        parent = (await client.get_block(slot - 1, max_supported_transaction_version=0)).value
        assert block.previous_blockhash == parent.blockhash
        assert block.block_time == (await client.get_block_time(slot)).value
        # What getTransaction answers for the same transaction is what the block holds.
        landed = (await client.get_transaction(signatures[1], max_supported_transaction_version=0)).value
        assert landed is not None and landed.slot == slot
        assert block.transactions is not None and landed.transaction.meta == block.transactions[1].meta
        config = {"maxSupportedTransactionVersion": 0}
        for index, signature in enumerate(signatures):  # its place in the block, as a validator says
            reply = await call(quiet_node.rpc_url, "getTransaction", [str(signature), config])
            assert reply["result"]["transactionIndex"] == index
        first, latest = (await client.get_blocks(0)).value, quiet_node.chain.root
        assert first == list(range(latest + 1))


async def test_get_block_details_encodings_and_rewards(quiet_node: LocalNode) -> None:
    async with AsyncClient(quiet_node.rpc_url, Confirmed) as client:
        slot, signatures = await block_with_both_versions(quiet_node, client)
    url = quiet_node.rpc_url
    config = {"maxSupportedTransactionVersion": 0}

    def typed(reply: dict[str, Any]) -> UiConfirmedBlock:
        value = GetBlockResp.from_json(json.dumps(reply)).value
        assert isinstance(value, UiConfirmedBlock)
        return value

    signatures_only = typed(await call(url, "getBlock", [slot, {"transactionDetails": "signatures"}]))
    assert signatures_only.signatures == signatures and signatures_only.transactions is None
    none = await call(url, "getBlock", [slot, {"transactionDetails": "none", "rewards": False}])
    assert set(none["result"]) == {"blockHeight", "blockTime", "blockhash", "parentSlot", "previousBlockhash"}
    accounts = (await call(url, "getBlock", [slot, {**config, "transactionDetails": "accounts"}]))["result"]
    v0 = accounts["transactions"][1]
    assert v0["version"] == 0 and v0["transaction"]["signatures"] == [str(signatures[1])]
    assert [k["signer"] for k in v0["transaction"]["accountKeys"]] == [True, False, False]
    assert set(v0["meta"]) == {
        "err", "status", "fee", "preBalances", "postBalances", "preTokenBalances", "postTokenBalances",
        "rewards",
    }  # fmt: skip
    base64_block = (await call(url, "getBlock", [slot, {**config, "encoding": "base64"}]))["result"]
    wire, encoding = base64_block["transactions"][1]["transaction"]
    assert encoding == "base64"
    assert VersionedTransaction.from_bytes(base64.b64decode(wire)).signatures[0] == signatures[1]
    parsed = (await call(url, "getBlock", [slot, {**config, "encoding": "jsonParsed"}]))["result"]
    (instruction,) = parsed["transactions"][0]["transaction"]["message"]["instructions"]
    assert instruction["parsed"]["type"] == "transfer" and instruction["parsed"]["info"]["lamports"] == SOL
    no_rewards = (await call(url, "getBlock", [slot, {**config, "rewards": False}]))["result"]
    assert "rewards" not in no_rewards and len(no_rewards["transactions"]) == 2
    assert [tx["meta"]["rewards"] for tx in no_rewards["transactions"]] == [None, None]
    legacy_form = (await call(url, "getBlock", [slot - 1, "base64"]))["result"]
    assert legacy_form["blockHeight"] == slot - 1


async def test_get_block_errors_are_the_validators(quiet_node: LocalNode) -> None:
    async with AsyncClient(quiet_node.rpc_url, Confirmed) as client:
        slot, _ = await block_with_both_versions(quiet_node, client)
    chain = quiet_node.chain
    v0_refused = await error_of(quiet_node, "getBlock", [slot])
    assert v0_refused["code"] == -32015
    assert v0_refused["message"].endswith('"maxSupportedTransactionVersion": 0')
    assert (await error_of(quiet_node, "getBlock", [slot, {"transactionDetails": "accounts"}]))[
        "code"
    ] == -32015
    future = chain.slot + 1000
    assert await error_of(quiet_node, "getBlock", [future]) == {
        "code": -32004,
        "message": f"Block not available for slot {future}",
    }
    unrooted = chain.slot - 1
    assert (await error_of(quiet_node, "getBlock", [unrooted]))["code"] == -32004
    assert "result" in await call(quiet_node.rpc_url, "getBlock", [unrooted, {"commitment": "confirmed"}])
    assert (await error_of(quiet_node, "getBlock", [chain.slot, {"commitment": "confirmed"}]))[
        "code"
    ] == -32014
    assert await error_of(quiet_node, "getBlock", [1, {"commitment": "processed"}]) == {
        "code": -32602,
        "message": "Method does not support commitment below `confirmed`",
    }
    for bad in ({"transactionDetails": "all"}, {"encoding": "hex"}, {"rewards": "yes"}):
        error = await error_of(quiet_node, "getBlock", [1, bad])
        assert error["code"] == -32602 and "RpcEncodingConfigWrapper" in error["message"], bad
    for bad_params in ([], ["1"], [-1], [1, {}, 2]):
        assert (await error_of(quiet_node, "getBlock", bad_params))["code"] == -32602, bad_params


async def test_warped_slots_are_empty_blocks_linked_by_their_blockhashes(quiet_node: LocalNode) -> None:
    chain = quiet_node.chain
    before = chain.slot
    chain.warp_to_slot(before + 100)
    root_everything(quiet_node)
    async with AsyncClient(quiet_node.rpc_url, Confirmed) as client:
        assert (await client.get_blocks(before, before + 100)).value == list(range(before, before + 101))
        blocks = [
            (await client.get_block(s, max_supported_transaction_version=0)).value
            for s in range(before, before + 101)
        ]
    for parent, child in itertools.pairwise(blocks):
        assert child.previous_blockhash == parent.blockhash
    passed_over = blocks[50]
    assert passed_over.blockhash == empty_slot_hash(before + 50)
    assert passed_over.transactions == [] and passed_over.block_height == before + 50


async def test_get_blocks_and_get_blocks_with_limit(quiet_node: LocalNode) -> None:
    chain = quiet_node.chain
    root, tip = chain.root, chain.slot
    async with AsyncClient(quiet_node.rpc_url, Confirmed) as client:
        assert (await client.get_blocks(root - 2, root + 50)).value == [root - 2, root - 1, root]
        assert (await client.get_blocks(root + 1)).value == []
        assert (await client.get_blocks(5, 2)).value == []
        assert (await client.get_blocks(0, 500_000)).value == list(range(root + 1))
    url = quiet_node.rpc_url
    confirmed = await call(url, "getBlocks", [root - 1, tip + 10, {"commitment": "confirmed"}])
    assert confirmed["result"] == list(range(root - 1, tip))  # the tip's block is not complete yet
    assert (await call(url, "getBlocks", [tip - 1, {"commitment": "confirmed"}]))["result"] == [tip - 1]
    # The end is capped at the newest block first: the range is too large only past it.
    assert (await call(url, "getBlocks", [0, 500_001]))["result"] == list(range(root + 1))
    chain.warp_to_slot(600_000)
    root_everything(quiet_node)
    assert await error_of(quiet_node, "getBlocks", [0, 500_001]) == {
        "code": -32602,
        "message": "Slot range too large; max 500000",
    }
    with_limit = await call(url, "getBlocksWithLimit", [3, 4])
    assert GetBlocksWithLimitResp.from_json(json.dumps(with_limit)).value == [3, 4, 5, 6]
    assert (await call(url, "getBlocksWithLimit", [chain.root, 5]))["result"] == [chain.root]
    assert (await call(url, "getBlocksWithLimit", [0, 0]))["result"] == []
    assert await error_of(quiet_node, "getBlocksWithLimit", [0, 500_001]) == {
        "code": -32602,
        "message": "Limit too large; max 500000",
    }
    assert (await error_of(quiet_node, "getBlocksWithLimit", [0]))["code"] == -32602
    assert (await error_of(quiet_node, "getBlocksWithLimit", [0, 5, {"commitment": "processed"}]))[
        "code"
    ] == -32602


async def test_block_time_and_commitment(quiet_node: LocalNode) -> None:
    chain = quiet_node.chain
    async with AsyncClient(quiet_node.rpc_url, Confirmed) as client:
        genesis_time = (await client.get_block_time(0)).value
        assert genesis_time is not None
        assert (await client.get_block_time(chain.slot)).value == chain.clock.unix_timestamp
        rooted = (await client.get_block_time(chain.root)).value
        assert rooted is not None and genesis_time <= rooted <= chain.clock.unix_timestamp
        commitment = (await client.get_block_commitment(chain.root)).value
        assert isinstance(commitment, RpcBlockCommitment)
        assert commitment.commitment is None and commitment.total_stake == 0
    assert await error_of(quiet_node, "getBlockTime", [chain.slot + 10]) == {
        "code": -32004,
        "message": f"Block not available for slot {chain.slot + 10}",
    }
    assert (await error_of(quiet_node, "getBlockTime", [1, {}]))["code"] == -32602
    assert (await error_of(quiet_node, "getBlockCommitment", []))["code"] == -32602


def locked_stake(lamports: int, unlocks_at: int) -> Account:
    """A StakeStateV2::Initialized account whose lockup lasts until ``unlocks_at`` (unix time)."""
    authority = bytes(Keypair().pubkey())
    data = struct.pack("<IQ", 1, 2_282_880) + authority + authority + struct.pack("<qQ", unlocks_at, 0)
    return Account(lamports, data + bytes(32) + bytes(200 - len(data) - 32), STAKE_PROGRAM_ID)


async def test_supply_and_largest_accounts(quiet_node: LocalNode) -> None:
    chain = quiet_node.chain
    stake = Keypair().pubkey()
    chain.set_account(stake, locked_stake(7 * SOL, chain.clock.unix_timestamp + 3600))
    async with AsyncClient(quiet_node.rpc_url, Confirmed) as client:
        supply = (await client.get_supply()).value
        assert supply.total == supply.circulating + supply.non_circulating
        assert supply.non_circulating == 7 * SOL
        assert set(supply.non_circulating_accounts) == {*NON_CIRCULATING_ACCOUNTS, stake}
        everything = sum(a.lamports for _, a in chain.all_accounts(at_root=False))
        assert supply.total == everything
        largest = (await client.get_largest_accounts()).value
        assert len(largest) == 20 and largest[0].address == chain.faucet.pubkey()
        assert [a.lamports for a in largest] == sorted((a.lamports for a in largest), reverse=True)
        # solana-py sends the filter as a second param, which the validator refuses too.
        with pytest.raises(RPCException):
            await client.get_largest_accounts(filter_opt="nonCirculating")
    url = quiet_node.rpc_url

    async def largest_of(kind: str) -> list[RpcAccountBalance]:
        reply = await call(url, "getLargestAccounts", [{"commitment": "confirmed", "filter": kind}])
        return GetLargestAccountsResp.from_json(json.dumps(reply)).value

    locked = await largest_of("nonCirculating")
    assert [(a.address, a.lamports) for a in locked] == [(stake, 7 * SOL)]
    assert stake not in {a.address for a in await largest_of("circulating")}
    excluded = await call(quiet_node.rpc_url, "getSupply", [{"excludeNonCirculatingAccountsList": True}])
    assert excluded["result"]["value"]["nonCirculatingAccounts"] == []
    assert (await error_of(quiet_node, "getLargestAccounts", [{"filter": "all"}]))["code"] == -32602
    chain.set_account(stake, locked_stake(7 * SOL, chain.clock.unix_timestamp - 1))  # the lockup is over
    assert (await call(quiet_node.rpc_url, "getSupply", [{"commitment": "confirmed"}]))["result"]["value"][
        "nonCirculating"
    ] == 0


async def test_economics_and_health(quiet_node: LocalNode) -> None:
    chain = quiet_node.chain
    async with AsyncClient(quiet_node.rpc_url, Confirmed) as client:
        governor = (await client.get_inflation_governor()).value
        assert (governor.initial, governor.terminal, governor.taper) == (0.08, 0.015, 0.15)
        assert (governor.foundation, governor.foundation_term) == (0.05, 7.0)
        assert (await client.get_first_available_block()).value == 0
        votes = (await client.get_vote_accounts()).value
        assert votes.current == [] and votes.delinquent == []
    url = quiet_node.rpc_url
    unknown = {"votePubkey": str(Keypair().pubkey()), "keepUnstakedDelinquents": True}
    assert (await call(url, "getVoteAccounts", [unknown]))["result"] == {"current": [], "delinquent": []}
    assert (await error_of(quiet_node, "getVoteAccounts", [{"votePubkey": "xx"}]))["code"] == -32602
    async with AsyncClient(quiet_node.rpc_url, Confirmed) as client:
        assert (await client.get_recent_performance_samples()).value == []
        await funded(client)
        chain.advance_slot()
        chain.record_performance_sample(60)
        (sample,) = (await client.get_recent_performance_samples(1)).value
        assert sample.slot == chain.slot and sample.sample_period_secs == 60
        # The first sample covers everything since the node started (slot 1, no transaction).
        assert (sample.num_slots, sample.num_transactions) == (chain.slot - 1, chain.store.transaction_count)
        assert sample.num_transactions > 0
    minimum = (await call(quiet_node.rpc_url, "getStakeMinimumDelegation", [{"commitment": "confirmed"}]))[
        "result"
    ]
    assert minimum == {
        "context": {"apiVersion": minimum["context"]["apiVersion"], "slot": chain.slot},
        "value": SOL,
    }
    assert await error_of(quiet_node, "getHighestSnapshotSlot", []) == {
        "code": -32008,
        "message": "No snapshot",
    }
    assert await error_of(quiet_node, "getRecentPerformanceSamples", [721]) == {
        "code": -32602,
        "message": "Invalid limit; max 720",
    }


async def test_blocks_survive_a_restart(tmp_path: Path) -> None:
    ledger = tmp_path / "ledger"
    async with LocalNode(manual(ledger=ledger)) as first, AsyncClient(first.rpc_url, Confirmed) as client:
        slot, signatures = await block_with_both_versions(first, client)
        before = (await client.get_block(slot, max_supported_transaction_version=0)).value
        first.chain.record_performance_sample(60)
        samples = (await client.get_recent_performance_samples()).value
        last_slot = first.chain.slot
    async with LocalNode(manual(ledger=ledger)) as second, AsyncClient(second.rpc_url, Confirmed) as client:
        assert (await client.get_block(slot, max_supported_transaction_version=0)).value == before
        assert [tx.transaction.signatures[0] for tx in before.transactions or []] == signatures
        assert (await client.get_block_time(slot)).value == before.block_time
        assert (await client.get_recent_performance_samples()).value == samples
        # The first block after the restart is built on the last one before it.
        root_everything(second)
        assert (await client.get_blocks(0)).value == list(range(second.chain.root + 1))
        restarted = (await client.get_block(last_slot + 1, max_supported_transaction_version=0)).value
        previous = (await client.get_block(last_slot, max_supported_transaction_version=0)).value
        assert restarted.parent_slot == last_slot and restarted.previous_blockhash == previous.blockhash
        assert restarted.block_height == last_slot + 1


async def test_pruned_blocks_are_cleaned_up() -> None:
    async with LocalNode(manual(history_slots=10)) as node:
        node.chain.warp_to_slot(100)
        root_everything(node)
        first = node.chain.first_available_slot
        assert first > 1
        assert await error_of(node, "getBlock", [1]) == {
            "code": -32001,
            "message": f"Block 1 cleaned up, does not exist on node. First available block: {first}",
        }
        assert (await error_of(node, "getBlockTime", [1]))["code"] == -32001
        assert (await call(node.rpc_url, "getBlockTime", [0]))["result"] == node.chain.genesis_time
        # Every block kept is newer than the root here: they are listed at confirmed.
        confirmed = {"commitment": "confirmed"}
        assert (await call(node.rpc_url, "getBlocks", [0, first + 2]))["result"] == []
        listed = await call(node.rpc_url, "getBlocks", [0, first + 2, confirmed])
        assert listed["result"] == [first, first + 1, first + 2]
        limited = await call(node.rpc_url, "getBlocksWithLimit", [0, 2, confirmed])
        assert limited["result"] == [first, first + 1]
        assert (await call(node.rpc_url, "getFirstAvailableBlock", []))["result"] == first
