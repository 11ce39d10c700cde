"""kill -9 of a ``solgrid oracle run`` process while it submits, then restarts: the on-chain totals equal
exactly the sum of the source readings (nothing lost, nothing applied twice).

The kills hit the worst moments on purpose: while a transaction is in flight (it has landed on the node,
its answer is held back by a proxy), and right after the queue recorded a batch while other lanes are
sending theirs.
"""

from __future__ import annotations

import asyncio
import os
import signal
import sqlite3
import sys
from pathlib import Path

from oracle_support import (
    FlakyProxy,
    OracleNode,
    add_meter,
    advance_time,
    meter_state,
    read_status,
    setup_market,
    write_config,
)
from solana.rpc.async_api import AsyncClient
from solana.rpc.commitment import Confirmed

from solgrid.oracle.config import load_config
from solgrid.oracle.simulator import simulate

WINDOW = 600
WINDOWS = 80
SEED = 11
RUN = "from solgrid.cli.main import main; main()"  # `solgrid oracle run ...` as a real process


def applied(queue: Path) -> int:
    if not queue.exists():
        return 0
    with sqlite3.connect(queue) as db:
        try:
            return int(db.execute("SELECT COUNT(*) FROM readings WHERE status = 'applied'").fetchone()[0])
        except sqlite3.OperationalError:
            return 0


async def start_worker(config: Path, *extra: str) -> asyncio.subprocess.Process:
    return await asyncio.create_subprocess_exec(
        sys.executable,
        "-c",
        RUN,
        "oracle",
        "run",
        "--config",
        str(config),
        *extra,
        stderr=asyncio.subprocess.DEVNULL,
    )


async def kill_9(process: asyncio.subprocess.Process) -> None:
    os.kill(process.pid, signal.SIGKILL)
    assert await process.wait() == -signal.SIGKILL


async def kill_when_applied(process: asyncio.subprocess.Process, queue: Path, at_least: int) -> int:
    """SIGKILL ``process`` as soon as ``at_least`` readings are marked applied; returns the count then."""
    while applied(queue) < at_least:
        assert process.returncode is None, "the worker exited before it was killed"
        await asyncio.sleep(0.01)
    await kill_9(process)
    return applied(queue)


async def kill_in_flight(process: asyncio.subprocess.Process, proxy: FlakyProxy, after_sends: int) -> None:
    """SIGKILL ``process`` while a transaction it sent (after ``after_sends`` more sends) has landed but
    its answer has not reached it."""
    proxy.hold_from = proxy.sends + after_sends
    while not proxy.holding.is_set():
        assert process.returncode is None, "the worker exited before it was killed"
        await asyncio.sleep(0.01)
    await kill_9(process)
    proxy.release()


async def test_kill_9_and_restart_lose_and_double_nothing(oracle_node: OracleNode, tmp_path: Path) -> None:
    url = oracle_node.rpc_url
    async with AsyncClient(url, Confirmed) as rpc:
        await setup_market(rpc, oracle_node.authority)
        meters = [
            await add_meter(rpc, oracle_node.authority, tmp_path, f"KILL-{i}", profile)
            for i, profile in enumerate(("solar", "wind", "consumer"))
        ]
        starts = {m.serial: (await meter_state(rpc, m.serial)).last_window_end for m in meters}
    await advance_time(url, WINDOW * WINDOWS + 60)
    proxy = FlakyProxy(url)
    extra = f"lanes = 3\n[simulator]\nseed = {SEED}\nwindow_secs = {WINDOW}\nwindows = {WINDOWS}\n"
    config = write_config(tmp_path, await proxy.start(), oracle_node.authority_file, meters, extra)
    queue = tmp_path / "oracle-queue.sqlite"
    total = len(meters) * WINDOWS

    try:
        # Past the lookup-table transactions of the first run: a batch of readings in flight.
        await kill_in_flight(await start_worker(config), proxy, after_sends=10)
        first = applied(queue)
        await kill_when_applied(await start_worker(config), queue, first + total // 3)
        await kill_in_flight(await start_worker(config), proxy, after_sends=3)
        assert applied(queue) < total, "the worker finished before the last kill; the test proves nothing"

        final = await start_worker(config, "--drain")
        assert await asyncio.wait_for(final.wait(), 180) == 0
    finally:
        await proxy.stop()

    settings = load_config(config)
    async with AsyncClient(url, Confirmed) as rpc:
        for m in meters:
            readings = [
                simulate(settings.meters[m.serial], SEED, starts[m.serial] + i * WINDOW, WINDOW)
                for i in range(WINDOWS)
            ]
            state = await meter_state(rpc, m.serial)
            assert state.reading_count == WINDOWS
            assert state.produced_wh == sum(r.production_wh for r in readings)
            assert state.consumed_wh == sum(r.consumption_wh for r in readings)
    with sqlite3.connect(queue) as db:
        assert db.execute("SELECT status, COUNT(*) FROM readings GROUP BY status").fetchall() == [
            ("applied", total)
        ]
        # The transactions killed in flight had landed: the restarted worker found them on chain.
        found = db.execute("SELECT COUNT(*) FROM readings WHERE note = 'found on chain'").fetchone()[0]
        assert found >= 1


async def test_a_landed_but_unmarked_batch_is_found_on_chain(oracle_node: OracleNode, tmp_path: Path) -> None:
    """The crash between "transaction confirmed" and "queue updated": the restarted worker must see the
    readings on chain and not send them again."""
    url = oracle_node.rpc_url
    async with AsyncClient(url, Confirmed) as rpc:
        await setup_market(rpc, oracle_node.authority)
        meter = await add_meter(rpc, oracle_node.authority, tmp_path, "UNMARKED", "solar")
        await advance_time(url, WINDOW * 12 + 60)
        extra = (
            f"[settle]\nenabled = false\n[simulator]\nseed = {SEED}\nwindow_secs = {WINDOW}\nwindows = 12\n"
        )
        config = write_config(tmp_path, url, oracle_node.authority_file, [meter], extra)
        first = await start_worker(config, "--drain")
        assert await first.wait() == 0
        before = await meter_state(rpc, meter.serial)
        queue = tmp_path / "oracle-queue.sqlite"
        with sqlite3.connect(queue) as db:
            db.execute(
                "UPDATE readings SET status = 'pending', tx = NULL WHERE window_start >= ?",
                (before.last_window_end - 5 * WINDOW,),
            )
        second = await start_worker(config, "--drain")
        assert await second.wait() == 0
        after = await meter_state(rpc, meter.serial)
        assert (after.produced_wh, after.consumed_wh, after.reading_count) == (
            before.produced_wh,
            before.consumed_wh,
            12,
        )
        with sqlite3.connect(queue) as db:
            notes = db.execute("SELECT status, note, COUNT(*) FROM readings GROUP BY status, note").fetchall()
        assert notes == [("applied", None, 7), ("applied", "found on chain", 5)]


async def test_sigterm_stops_the_worker_cleanly(oracle_node: OracleNode, tmp_path: Path) -> None:
    """SIGTERM (a service manager stopping the worker) ends ``solgrid oracle run`` with exit code 0 after
    it wrote its last status; a restart then finishes the rest."""
    url = oracle_node.rpc_url
    async with AsyncClient(url, Confirmed) as rpc:
        await setup_market(rpc, oracle_node.authority)
        meter = await add_meter(rpc, oracle_node.authority, tmp_path, "TERM", "wind")
        await advance_time(url, WINDOW * 40 + 60)
        extra = f"batch_size = 1\n[simulator]\nseed = {SEED}\nwindow_secs = {WINDOW}\nwindows = 40\n"
        config = write_config(tmp_path, url, oracle_node.authority_file, [meter], extra)
        queue = tmp_path / "oracle-queue.sqlite"
        worker = await asyncio.create_subprocess_exec(
            sys.executable,
            "-c",
            RUN,
            "oracle",
            "run",
            "--config",
            str(config),
            stderr=asyncio.subprocess.PIPE,
        )
        while applied(queue) < 3:
            assert worker.returncode is None
            await asyncio.sleep(0.01)
        worker.send_signal(signal.SIGTERM)
        _, stderr = await asyncio.wait_for(worker.communicate(), 30)
        assert worker.returncode == 0
        assert stderr.decode().splitlines()[-1] == "oracle stopped"
        status = read_status(tmp_path / "oracle-status.json")
        assert status["applied_this_run"] == applied(queue) < 40
        again = await start_worker(config, "--drain")
        assert await asyncio.wait_for(again.wait(), 60) == 0
        assert (await meter_state(rpc, meter.serial)).reading_count == 40
