"""Commitment levels as solana-test-validator 4.2 answers them (measured there, see ``finality``): the
finalized slot trails the tip by 31; statuses read ``confirmed`` with 1, 2, ... confirmations, then
``finalized``; at finalized commitment (the RPC's default) reads, history, blockhashes, preflight and
simulation are the root's. A client that reads at finalized what it just confirmed sees nothing here, as
there; one that sends with a confirmed blockhash and the default preflight gets "Blockhash not found".

The module's node does not tick: warps decide the slot.
"""

from __future__ import annotations

import base64
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
import pytest_asyncio
from localnet_support import SOL, call, funded, send, transfer_ix
from solana.rpc.async_api import AsyncClient
from solana.rpc.commitment import Confirmed, Finalized
from solana.rpc.core import RPCException
from solana.rpc.types import TxOpts
from solders.keypair import Keypair
from solders.message import Message
from solders.pubkey import Pubkey
from solders.signature import Signature
from solders.system_program import ID as SYSTEM_PROGRAM
from solders.transaction import VersionedTransaction

from solgrid.localnet.finality import ROOT_DISTANCE
from solgrid.localnet.server import LocalNode, NodeConfig

pytestmark = pytest.mark.asyncio(loop_scope="module")


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def node() -> AsyncIterator[LocalNode]:
    async with LocalNode(NodeConfig(rpc_port=0, ws_port=0, slot_ms=600_000)) as running:
        yield running


async def warp(node: LocalNode, slot: int) -> None:
    assert (await call(node.rpc_url, "solgrid_warpSlot", [slot]))["result"] == {"slot": slot}


async def result(node: LocalNode, method: str, params: list[Any]) -> Any:
    answer = await call(node.rpc_url, method, params)
    assert "result" in answer, answer
    return answer["result"]


async def slots(node: LocalNode) -> tuple[int, int, int, int]:
    """getSlot at processed, confirmed, finalized, and without a commitment."""
    return (
        await result(node, "getSlot", [{"commitment": "processed"}]),
        await result(node, "getSlot", [{"commitment": "confirmed"}]),
        await result(node, "getSlot", [{"commitment": "finalized"}]),
        await result(node, "getSlot", []),
    )


async def status(client: AsyncClient, signature: Signature) -> tuple[str, int | None]:
    found = (await client.get_signature_statuses([signature])).value[0]
    assert found is not None and found.confirmation_status is not None
    return str(found.confirmation_status).rsplit(".", 1)[-1], found.confirmations


async def test_the_finalized_slot_trails_the_tip_by_31(node: LocalNode) -> None:
    assert await slots(node) == (1, 1, 0, 0)  # the genesis block is rooted, slot 1 is being produced
    await warp(node, 10)
    assert await slots(node) == (10, 10, 0, 0)  # a young chain: nothing but genesis is rooted
    await warp(node, 100)
    assert await slots(node) == (100, 100, 69, 69)  # no commitment: finalized, the RPC's default
    assert await result(node, "getBlockHeight", [{"commitment": "finalized"}]) == 69
    assert await result(node, "getBlockHeight", [{"commitment": "confirmed"}]) == 100
    epoch_info = await result(node, "getEpochInfo", [])
    assert (epoch_info["absoluteSlot"], epoch_info["blockHeight"]) == (69, 69)
    finalized = await result(node, "getLatestBlockhash", [{"commitment": "finalized"}])
    tip = await result(node, "getLatestBlockhash", [{"commitment": "confirmed"}])
    assert (finalized["context"]["slot"], finalized["value"]["lastValidBlockHeight"]) == (69, 219)
    assert (tip["context"]["slot"], tip["value"]["lastValidBlockHeight"]) == (100, 250)
    too_new = await call(node.rpc_url, "getSlot", [{"commitment": "finalized", "minContextSlot": 70}])
    assert too_new["error"]["code"] == -32016
    assert await result(node, "getSlot", [{"commitment": "confirmed", "minContextSlot": 70}]) == 100
    assert (await call(node.rpc_url, "getSlot", [{"commitment": "final"}]))["error"]["code"] == -32602


async def test_statuses_and_history_until_the_slot_is_rooted(node: LocalNode, client: AsyncClient) -> None:
    payer = await funded(client)
    target = Keypair().pubkey()
    signature = await send(client, payer, [transfer_ix(payer, target, SOL)])
    slot = node.chain.slot
    assert await status(client, signature) == ("Confirmed", 1)
    count = await result(node, "getTransactionCount", [{"commitment": "confirmed"}])
    assert await result(node, "getTransactionCount", []) < count
    await warp(node, slot + 5)
    assert await status(client, signature) == ("Confirmed", 6)

    history = [str(target), {"commitment": "confirmed"}]
    listed = await result(node, "getSignaturesForAddress", history)
    assert [(s["signature"], s["confirmationStatus"]) for s in listed] == [(str(signature), "confirmed")]
    assert await result(node, "getSignaturesForAddress", [str(target)]) == []
    assert await result(node, "getTransaction", [str(signature), {"commitment": "finalized"}]) is None
    assert (await result(node, "getTransaction", [str(signature), {"commitment": "confirmed"}]))[
        "slot"
    ] == slot
    for method, params in (("getTransaction", [str(signature)]), ("getSignaturesForAddress", [str(target)])):
        refused = await call(node.rpc_url, method, [*params, {"commitment": "processed"}])
        assert refused["error"]["message"] == "Method does not support commitment below `confirmed`"

    await warp(node, slot + ROOT_DISTANCE)
    assert await status(client, signature) == ("Finalized", None)
    listed = await result(node, "getSignaturesForAddress", [str(target)])
    assert [(s["signature"], s["confirmationStatus"]) for s in listed] == [(str(signature), "finalized")]
    assert (await result(node, "getTransaction", [str(signature), {"commitment": "finalized"}]))[
        "slot"
    ] == slot
    assert await result(node, "getTransactionCount", []) == count


async def test_old_statuses_need_search_transaction_history(node: LocalNode, client: AsyncClient) -> None:
    """A validator's status cache holds the last 300 rooted slots: an older status is null unless
    searchTransactionHistory asks for the ledger (measured: found at root - 299, null at root - 300)."""
    payer = await funded(client)
    signature = await send(client, payer, [transfer_ix(payer, Keypair().pubkey(), SOL)])
    slot = node.chain.slot

    async def found(search: bool) -> bool:
        return (await client.get_signature_statuses([signature], search)).value[0] is not None

    await warp(node, slot + 299 + ROOT_DISTANCE)  # root = slot + 299
    assert await found(False) and await found(True)
    await warp(node, slot + 300 + ROOT_DISTANCE)  # root = slot + 300
    assert not await found(False)
    assert await found(True)


async def test_reads_at_finalized_see_the_roots_state(node: LocalNode, client: AsyncClient) -> None:
    payer = await funded(client, 3 * SOL)
    created, closed = Keypair(), Keypair()
    await send(client, payer, [transfer_ix(payer, closed.pubkey(), SOL)])
    await warp(node, node.chain.slot + ROOT_DISTANCE)  # `closed` exists at the root from here on
    before = node.chain.slot
    await send(client, payer, [transfer_ix(payer, created.pubkey(), SOL)])
    await send(client, closed, [transfer_ix(closed, payer.pubkey(), SOL - 5_000)])  # emptied: gone

    async def seen(commitment: Any, pubkey: Pubkey) -> int | None:
        info = (await client.get_account_info(pubkey, commitment)).value
        many = (await client.get_multiple_accounts([pubkey], commitment)).value[0]
        assert (info is None) == (many is None)
        return None if info is None else info.lamports

    assert await seen(Confirmed, created.pubkey()) == SOL
    assert await seen(Finalized, created.pubkey()) is None
    assert await seen(Confirmed, closed.pubkey()) is None
    assert await seen(Finalized, closed.pubkey()) == SOL
    assert (await client.get_balance(payer.pubkey(), Finalized)).value == 2 * SOL - 5_000

    data_size_zero = [{"dataSize": 0}]
    owned = await result(node, "getProgramAccounts", [str(SYSTEM_PROGRAM), {"filters": data_size_zero}])
    keys = {entry["pubkey"] for entry in owned}
    assert str(closed.pubkey()) in keys and str(created.pubkey()) not in keys

    await warp(node, before + ROOT_DISTANCE)
    assert await seen(Finalized, created.pubkey()) == SOL
    assert await seen(Finalized, closed.pubkey()) is None


def transfer_tx(payer: Keypair, to: Pubkey, lamports: int, blockhash: Any) -> VersionedTransaction:
    message = Message.new_with_blockhash([transfer_ix(payer, to, lamports)], payer.pubkey(), blockhash)
    return VersionedTransaction(message, [payer])


async def preflight_error(client: AsyncClient, tx: VersionedTransaction, commitment: Any) -> str:
    with pytest.raises(RPCException) as raised:
        await client.send_transaction(tx, TxOpts(preflight_commitment=commitment))
    return str(raised.value)


async def test_preflight_and_simulation_at_finalized_run_in_the_roots_bank(
    node: LocalNode, client: AsyncClient
) -> None:
    """What solana-test-validator answers a client that confirmed an airdrop and spends it at once with
    the default (finalized) preflight: "Blockhash not found" with a confirmed blockhash; with the root's
    blockhash, the payer does not exist yet."""
    payer = await funded(client)
    recipient = Keypair().pubkey()
    confirmed_hash = (await client.get_latest_blockhash(Confirmed)).value.blockhash
    finalized_hash = (await client.get_latest_blockhash(Finalized)).value.blockhash
    assert confirmed_hash != finalized_hash

    newer = transfer_tx(payer, recipient, SOL, confirmed_hash)
    assert "Blockhash not found" in await preflight_error(client, newer, Finalized)
    encoded = base64.b64encode(bytes(newer)).decode()
    simulated = await result(node, "simulateTransaction", [encoded, {"encoding": "base64"}])
    assert simulated["value"]["err"] == "BlockhashNotFound"
    assert simulated["context"]["slot"] == node.chain.root
    older = transfer_tx(payer, recipient, SOL, finalized_hash)
    assert "AccountNotFound" in await preflight_error(client, older, Finalized)
    simulated = await result(
        node, "simulateTransaction", [encoded, {"encoding": "base64", "commitment": "confirmed"}]
    )
    assert simulated["value"]["err"] is None
    assert (await client.get_balance(recipient, Confirmed)).value == 0  # simulations change nothing

    sent = (await client.send_transaction(newer, TxOpts(preflight_commitment=Confirmed))).value
    await client.confirm_transaction(sent, Confirmed)
    assert (await client.get_balance(recipient, Confirmed)).value == SOL


async def test_a_transaction_that_passes_a_finalized_preflight_can_fail_at_the_tip(
    node: LocalNode, client: AsyncClient
) -> None:
    """The preflight ran in the root's bank, where the payer still had its SOL; at the tip it has not:
    the transaction lands, fails and pays its fee, as on a cluster."""
    payer = await funded(client, 2 * SOL)
    await warp(node, node.chain.slot + ROOT_DISTANCE)
    await send(client, payer, [transfer_ix(payer, Keypair().pubkey(), SOL + SOL // 2)])
    finalized_hash = (await client.get_latest_blockhash(Finalized)).value.blockhash
    late = transfer_tx(payer, Keypair().pubkey(), SOL, finalized_hash)
    signature = (await client.send_transaction(late, TxOpts(preflight_commitment=Finalized))).value
    landed = (await client.get_signature_statuses([signature])).value[0]
    assert landed is not None and landed.err is not None
    assert (await client.get_balance(payer.pubkey(), Confirmed)).value == SOL // 2 - 2 * 5_000


async def test_a_restarted_node_has_rooted_what_it_restored(tmp_path: Path) -> None:
    config = NodeConfig(rpc_port=0, ws_port=0, slot_ms=600_000, ledger=tmp_path / "ledger")
    async with LocalNode(config) as first, AsyncClient(first.rpc_url, Confirmed) as client:
        await warp(first, 200)
        payer = await funded(client)
        signature = await send(client, payer, [transfer_ix(payer, Keypair().pubkey(), SOL)])
        assert await status(client, signature) == ("Confirmed", 1)
    async with LocalNode(config) as second, AsyncClient(second.rpc_url, Confirmed) as client:
        assert await slots(second) == (201, 201, 200, 200)
        assert await status(client, signature) == ("Finalized", None)
        assert (await client.get_balance(payer.pubkey(), Finalized)).value == 9 * SOL - 5_000
