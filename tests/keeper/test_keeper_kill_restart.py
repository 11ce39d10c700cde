"""kill -9 of ``solgrid keeper run`` processes in the middle of a chunked settlement, then restarts: the
epoch ends settled exactly once (one ``EpochCleared``, every order settled once, settlement chunks
contiguous from order 0), and every token is where it should be.

The epoch is big (160 orders) and the chunks small (2 orders), so a settlement takes 80 transactions.
The first keeper is killed a few dozen orders in; then two keepers with payers of their own crank the
same epoch at once (racing: one's chunk lands, the other's is refused as ``ChunkOutOfOrder`` and it
reads the cursor again) and both are killed further on; a last one (``--once``) finishes it.
"""

from __future__ import annotations

import asyncio
import os
import random
import signal
import sys
from collections.abc import Awaitable, Callable
from itertools import pairwise
from pathlib import Path

from keeper_support import (
    AuctionScene,
    auction_scene,
    check_conservation,
    market_events,
    place_orders,
    settled_once,
    start_of_next_epoch,
    write_keeper_config,
)
from solana.rpc.async_api import AsyncClient
from solana.rpc.commitment import Confirmed
from solders.keypair import Keypair

from node_market import funded
from solgrid.automation.status import read_status
from solgrid.sdk.trading import AuctionEpoch
from solgrid.sdk.trading.units import EpochState

EPOCH_SECS = 120
ORDERS = 160
CHUNK = 2
SEED = 9_090
RUN = "from solgrid.cli.main import main; main()"  # `solgrid keeper run ...` as a real process


async def start_keeper(config: Path, *extra: str) -> asyncio.subprocess.Process:
    log = (config.parent / "keeper.log").open("ab")
    try:
        return await asyncio.create_subprocess_exec(
            sys.executable, "-c", RUN, "keeper", "run", "--config", str(config), *extra, stderr=log
        )
    finally:
        log.close()


async def kill_9(process: asyncio.subprocess.Process) -> None:
    os.kill(process.pid, signal.SIGKILL)
    assert await process.wait() == -signal.SIGKILL


async def epoch_account(rpc: AsyncClient, scene: AuctionScene, epoch: int) -> AuctionEpoch:
    state = await scene.trading.fetch_market(rpc, scene.market)
    assert state is not None
    account = await scene.trading.fetch_epoch(rpc, state, epoch)
    assert account is not None
    return account


async def kill_when(
    processes: list[asyncio.subprocess.Process],
    reached: Callable[[], Awaitable[bool]],
    timeout: float = 180.0,
) -> None:
    deadline = asyncio.get_running_loop().time() + timeout
    while not await reached():
        assert all(p.returncode is None for p in processes), "a keeper exited before it was killed"
        assert asyncio.get_running_loop().time() < deadline, "the keepers made no progress"
        await asyncio.sleep(0.02)
    for process in processes:
        await kill_9(process)


async def test_kill_9_in_a_chunked_settlement_and_restart(
    fresh_rpc_url: str, upgrade_authority: Keypair, tmp_path: Path
) -> None:
    rng = random.Random(SEED)
    url = fresh_rpc_url
    async with AsyncClient(url, Confirmed) as rpc:
        scene = await auction_scene(rpc, url, upgrade_authority, traders=12, epoch_secs=EPOCH_SECS)
        epoch = await start_of_next_epoch(rpc, url, EPOCH_SECS)
        await place_orders(rpc, scene, rng, ORDERS, epoch)
        assert (await epoch_account(rpc, scene, epoch)).header.order_count == ORDERS
        configs = []
        payers = []
        for name in ("a", "b", "c"):
            (tmp_path / name).mkdir()
            payers.append(await funded(rpc))
            configs.append(
                write_keeper_config(
                    tmp_path / name, url, payers[-1], scene.market, f"max_orders_per_chunk = {CHUNK}\n"
                )
            )
        await start_of_next_epoch(rpc, url, EPOCH_SECS)  # the epoch ends: its auction is closed

        async def cursor_at(at_least: int) -> bool:
            header = (await epoch_account(rpc, scene, epoch)).header
            return header.state is EpochState.PRICE_FIXED and header.cursor >= at_least

        await kill_when([await start_keeper(configs[0])], lambda: cursor_at(30))
        header = (await epoch_account(rpc, scene, epoch)).header
        assert header.state is EpochState.PRICE_FIXED and header.cursor < ORDERS, "killed too late"

        racing = [await start_keeper(configs[1]), await start_keeper(configs[2])]
        await kill_when(racing, lambda: cursor_at(100))
        header = (await epoch_account(rpc, scene, epoch)).header
        assert header.state is EpochState.PRICE_FIXED and header.cursor < ORDERS, "killed too late"

        final = await start_keeper(configs[0], "--once")
        assert await asyncio.wait_for(final.wait(), 180) == 0, (tmp_path / "a" / "keeper.log").read_text()

        header = (await epoch_account(rpc, scene, epoch)).header
        assert header.state is EpochState.SETTLED and header.cursor == ORDERS
        cleared, settled = await market_events(rpc, scene)
        assert [c.epoch for c in cleared] == [epoch]  # cleared exactly once
        mine = [c for c in settled if c.epoch == epoch]
        counts = settled_once(mine)
        assert sorted(counts) == [(epoch, i) for i in range(ORDERS)] and set(counts.values()) == {1}
        chunks = sorted((c.from_index, c.to_index) for c in mine)
        assert chunks[0][0] == 0 and chunks[-1][1] == ORDERS
        assert all(a[1] == b[0] for a, b in pairwise(chunks))  # contiguous: none skipped, none twice
        assert sum(c.done for c in mine) == 1
        assert {c.payer for c in mine} <= {p.pubkey() for p in payers}
        assert sum(s.filled_lots for c in mine for s in c.settlements) == 2 * header.volume_lots
        state = await scene.trading.fetch_market(rpc, scene.market)
        assert state is not None
        assert (state.header.auctions_settled, state.header.last_settled_epoch) == (1, epoch)
        await check_conservation(rpc, scene)

    status = read_status(tmp_path / "a" / "keeper-status.json", "keeper")
    market = status["markets"][str(scene.market)]
    assert market["last_settled"]["epoch"] == epoch and market["errors"] == 0
    assert market["epochs_cleared_this_run"] == 0  # the restarted keepers never cleared it again
    assert 0 < market["chunks_this_run"] < ORDERS // CHUNK
