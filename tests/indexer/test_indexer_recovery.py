"""Crash and outage recovery: kill -9 of `solgrid indexer run`, and a node restart (websocket gone) while
transactions keep landing. Afterwards every transaction is indexed exactly once, in chain order."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
from indexer_support import DbView, chain_events, eventually, indexed_events, running
from market import Market, MarketNode, node_config
from sqlalchemy import select

from pg_server import free_port
from solgrid.indexer import live
from solgrid.indexer.models import Checkpoint, Event, MeterReading
from solgrid.indexer.service import IndexerConfig
from solgrid.localnet.background import BackgroundNode
from solgrid.localnet.finality import ROOT_DISTANCE

REPO = Path(__file__).resolve().parents[2]


def start_indexer(db_url: str, node: MarketNode, log: Path) -> subprocess.Popen[bytes]:
    args = [
        str(Path(sys.executable).parent / "solgrid"),
        "indexer",
        "run",
        "--db",
        db_url,
        "--url",
        node.rpc_url,
        "--ws-url",
        node.ws_url,
        "--feed-port",
        "0",
        "--poll-interval",
        "1",
    ]
    with log.open("ab") as out:
        return subprocess.Popen(args, cwd=REPO, stdout=out, stderr=subprocess.STDOUT)


@pytest.mark.slow
async def test_kill_9_mid_stream_then_restart_loses_and_doubles_nothing(
    market_node: MarketNode, db_url: str, tmp_path: Path
) -> None:
    market = Market(market_node.rpc_url, market_node.authority)
    view = DbView(db_url)
    log = tmp_path / "indexer.log"
    process = start_indexer(db_url, market_node, log)
    try:
        p = await market.prosumer()
        first = len(market.signatures)

        async def keep_landing() -> None:
            for _ in range(12):
                await market.readings(p, 2)

        async def first_batches_indexed() -> bool:
            batches = market.signatures[first : first + 2]
            return len(batches) == 2 and await view.has_all(batches)

        lander = asyncio.create_task(keep_landing())
        await eventually(first_batches_indexed, "the first batches indexed")
        os.kill(process.pid, signal.SIGKILL)  # while it is indexing a stream of new transactions
        assert process.wait(30) == -signal.SIGKILL
        await lander
        await market.settle(p)
        assert not await view.has_all(market.signatures)  # a real gap for the restart to fill
        process = start_indexer(db_url, market_node, log)
        await eventually(lambda: view.has_all(market.signatures), "every transaction indexed after restart")
        ours = market.signatures[first:]
        assert await indexed_events(view, ours) == await chain_events(market_node.rpc_url, ours)
        readings = await view.rows(MeterReading, MeterReading.meter == str(p.meter))
        assert sorted(r.window_start for r in readings) == [p.next_window - 600 * (24 - i) for i in range(24)]

        async def ready() -> bool:  # every program caught up (the registry's rows can be in before that)
            return "indexer ready" in log.read_text()

        await eventually(ready, "the restarted indexer ready")
    finally:
        process.kill()
        process.wait(30)
        await view.close()
        await market.close()


@pytest.mark.slow
async def test_node_restart_gap_is_backfilled_before_the_checkpoint_moves_on(
    elf_of: Callable[[str], bytes], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Reconnect slowly so that transactions certainly land while the indexer has no subscription.
    monkeypatch.setattr(live, "RECONNECT_MIN", 6.0)
    monkeypatch.setattr(live, "RECONNECT_MAX", 6.0)
    from solders.keypair import Keypair

    authority = Keypair()
    config = node_config(
        elf_of, authority, rpc_port=free_port(), ws_port=free_port(), ledger=tmp_path / "ledger"
    )
    db_url = f"sqlite+aiosqlite:///{tmp_path / 'indexer.db'}"
    view = DbView(db_url)
    node = BackgroundNode(config)
    node.start()
    market = Market(node.rpc_url, authority)
    try:
        await market.setup()
        p = await market.prosumer()
        indexer_config = IndexerConfig(
            db_url=db_url, rpc_url=node.rpc_url, ws_url=node.ws_url, feed_port=0, poll_interval=600.0
        )
        async with running(indexer_config) as service:
            await market.readings(p, 2)
            await eventually(lambda: view.has_all(market.signatures), "live indexing before the outage")
            assert service.live.connections == 1

            await asyncio.to_thread(node.stop)
            await eventually(lambda: asyncio.sleep(0, not service.live.connected.is_set()), "the disconnect")
            node = BackgroundNode(config)  # same ledger, same ports
            await asyncio.to_thread(node.start)
            before_gap = len(market.signatures)
            await market.readings(p, 2)
            await market.readings(p, 3)
            await market.settle(p)
            assert not service.live.connected.is_set(), "the gap must happen while unsubscribed"
            gap = market.signatures[before_gap:]
            assert not (set(gap) & await view.signatures())

            # A catch-up the outage failed is retried every second, so the gap may be backfilled before
            # the subscription is back; either way it is, and the subscription reconnects.
            await eventually(lambda: view.has_all(market.signatures), "the gap backfilled")
            await eventually(lambda: asyncio.sleep(0, service.live.connections == 2), "the reconnect")
            # Everything so far becomes final (the checkpoint trails at the finalized slot, 31 behind).
            node.call(lambda chain: chain.warp_to_slot(chain.slot + ROOT_DISTANCE))
            final = market.signatures[-1]
            await market.readings(p, 1)  # and live again afterwards
            await eventually(lambda: view.has_all(market.signatures), "live indexing after the reconnect")

        ordered = list(dict.fromkeys(e[0] for e in await indexed_events(view, market.signatures)))
        with_events = [s for s in market.signatures if s in set(ordered)]
        assert ordered == with_events  # committed in chain order: no later tx before an earlier one
        assert await indexed_events(view, market.signatures) == await chain_events(
            node.rpc_url, market.signatures
        )
        async with view.sessions() as s:
            checkpoint = await s.scalar(
                select(Checkpoint).where(Checkpoint.program == str(market.registry.program_id))
            )
            assert checkpoint is not None and checkpoint.signature == final
            assert len(list(await s.scalars(select(Event.id)))) >= len(
                await indexed_events(view, market.signatures)
            )
    finally:
        await market.close()
        await view.close()
        node.stop()
