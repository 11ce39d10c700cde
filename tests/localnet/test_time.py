"""Slots advance with wall-clock time, the Clock sysvar follows real time, warps and time controls work,
and blockhashes expire after 150 blocks like on a validator."""

from __future__ import annotations

import asyncio
import struct
import time
from collections.abc import AsyncIterator

import pytest
import pytest_asyncio
from localnet_support import NEW_ACCOUNT_MINIMUM, SOL, build_tx, call, funded, transfer_ix
from solana.rpc.async_api import AsyncClient
from solana.rpc.commitment import Confirmed
from solana.rpc.core import RPCException
from solders.keypair import Keypair
from solders.pubkey import Pubkey

from solgrid.localnet.server import LocalNode, NodeConfig

pytestmark = pytest.mark.asyncio(loop_scope="module")

CLOCK_SYSVAR = Pubkey.from_string("SysvarC1ock11111111111111111111111111111111")


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def node() -> AsyncIterator[LocalNode]:
    """A node whose slots do not tick during the test (warps decide the slot)."""
    async with LocalNode(NodeConfig(rpc_port=0, ws_port=0, slot_ms=600_000)) as running:
        yield running


async def clock_sysvar(client: AsyncClient) -> tuple[int, int, int, int, int]:
    account = (await client.get_account_info(CLOCK_SYSVAR)).value
    assert account is not None
    slot, epoch_start, epoch, leader_epoch, unix_timestamp = struct.unpack("<QqQQq", bytes(account.data))
    return slot, epoch_start, epoch, leader_epoch, unix_timestamp


async def test_slots_follow_wall_clock_time() -> None:
    async with (
        LocalNode(NodeConfig(rpc_port=0, ws_port=0, slot_ms=40)) as fast,
        AsyncClient(fast.rpc_url, Confirmed) as client,
    ):
        first_slot = (await client.get_slot()).value
        first_hash = (await client.get_latest_blockhash()).value
        await asyncio.sleep(0.4)
        later_slot = (await client.get_slot()).value
        later_hash = (await client.get_latest_blockhash()).value
        assert later_slot > first_slot
        assert later_hash.blockhash != first_hash.blockhash
        assert (
            later_hash.last_valid_block_height - first_hash.last_valid_block_height == later_slot - first_slot
        )
        clock_slot, *_ = await clock_sysvar(client)
        assert clock_slot >= later_slot


async def test_clock_follows_real_time(node: LocalNode, client: AsyncClient) -> None:
    await call(
        node.rpc_url, "solgrid_warpSlot", [(await client.get_slot()).value + 1]
    )  # refresh the clock now
    slot, _start, epoch, _leader, unix_timestamp = await clock_sysvar(client)
    assert abs(unix_timestamp - time.time()) <= 2
    assert slot == (await client.get_slot()).value
    assert epoch == slot // 432_000
    clock = (await call(node.rpc_url, "solgrid_getClock"))["result"]
    assert clock["slot"] == slot and clock["unixTimestamp"] == unix_timestamp


async def test_time_controls(node: LocalNode, client: AsyncClient) -> None:
    before = (await call(node.rpc_url, "solgrid_getClock"))["result"]["unixTimestamp"]
    advanced = (await call(node.rpc_url, "solgrid_advanceTime", [3600]))["result"]["unixTimestamp"]
    assert 3600 <= advanced - before <= 3602
    *_, sysvar_time = await clock_sysvar(client)
    assert sysvar_time == advanced
    target = advanced + 86_400
    assert (await call(node.rpc_url, "solgrid_setClock", [{"unixTimestamp": target}]))["result"] == {
        "unixTimestamp": target
    }
    *_, sysvar_time = await clock_sysvar(client)
    assert sysvar_time == target
    into_the_past = await call(node.rpc_url, "solgrid_setClock", [{"unixTimestamp": target - 10}])
    assert into_the_past["error"]["code"] == -32602
    # The Python API does the same.
    assert node.chain.advance_time(60) >= target + 60


async def test_warp_crosses_epochs(node: LocalNode, client: AsyncClient) -> None:
    slot = (await client.get_slot()).value
    warped = (await call(node.rpc_url, "solgrid_warpSlot", [432_000 + 5]))["result"]
    assert warped == {"slot": 432_005} and slot < 432_005
    info = (await client.get_epoch_info()).value
    assert (info.epoch, info.slot_index, info.absolute_slot, info.block_height) == (1, 5, 432_005, 432_005)
    clock_slot, epoch_start, epoch, leader_epoch, unix_timestamp = await clock_sysvar(client)
    assert (clock_slot, epoch, leader_epoch) == (432_005, 1, 2)
    assert epoch_start == unix_timestamp  # the epoch started at this warp
    backwards = await call(node.rpc_url, "solgrid_warpSlot", [10])
    assert backwards["error"]["code"] == -32602
    assert node.chain.warp_to_slot(432_010) == 432_010


async def test_blockhash_expires_after_150_blocks(node: LocalNode, client: AsyncClient) -> None:
    payer = await funded(client, SOL)
    latest = (await client.get_latest_blockhash()).value
    slot = (await client.get_slot()).value
    assert latest.last_valid_block_height == slot + 150
    early_tx = await build_tx(client, payer, [transfer_ix(payer, Keypair().pubkey(), NEW_ACCOUNT_MINIMUM)])
    late_tx = await build_tx(client, payer, [transfer_ix(payer, Keypair().pubkey(), NEW_ACCOUNT_MINIMUM + 1)])
    assert late_tx.message.recent_blockhash == latest.blockhash

    async def valid(commitment: str) -> bool:
        answer = await call(
            node.rpc_url, "isBlockhashValid", [str(latest.blockhash), {"commitment": commitment}]
        )
        return bool(answer["result"]["value"])

    await call(node.rpc_url, "solgrid_warpSlot", [slot + 150])
    assert await valid("confirmed")
    await client.confirm_transaction((await client.send_transaction(early_tx)).value)

    await call(node.rpc_url, "solgrid_warpSlot", [slot + 151])
    assert not await valid("confirmed")
    assert await valid("finalized")  # the root's bank, 31 blocks back, still accepts it
    assert (await client.get_block_height()).value > latest.last_valid_block_height
    with pytest.raises(RPCException) as raised:
        await client.send_transaction(late_tx)
    assert "BlockhashNotFound" in str(raised.value)
    assert (await client.get_fee_for_message(late_tx.message)).value is None
