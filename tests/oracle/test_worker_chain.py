"""The worker against a real local node: simulated readings land in batches, totals match the source
exactly, surplus is settled into GRID, and an RPC outage (node restarted on its ledger) is ridden out."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import sqlite3
from pathlib import Path

import httpx
import pytest
from oracle_support import (
    FlakyProxy,
    OracleNode,
    add_meter,
    advance_time,
    market_with_meter,
    meter_state,
    planned_meter,
    read_status,
    setup_market,
    write_config,
)
from solana.rpc.async_api import AsyncClient
from solana.rpc.commitment import Confirmed
from solders.keypair import Keypair
from test_http_source import body as push_body

from solgrid.localnet.process import free_port_pair
from solgrid.oracle import worker as worker_module
from solgrid.oracle.config import load_config
from solgrid.oracle.simulator import simulate
from solgrid.oracle.submitter import Submitter
from solgrid.oracle.worker import COVERED_NOT_APPLIED, Worker
from solgrid.sdk.energy_token import EnergyTokenClient, wh_to_base_units
from solgrid.sdk.readings import Reading
from solgrid.sdk.transactions import send_and_confirm

WINDOW = 900
WINDOWS = 16
SEED = 7


def simulator_toml(windows: int = WINDOWS) -> str:
    simulator = f"[simulator]\nseed = {SEED}\nwindow_secs = {WINDOW}\nwindows = {windows}\n"
    return simulator + "[settle]\ninterval_secs = 0.5\n"


def expected_totals(config_path: Path, serial: str, start: int, windows: int) -> tuple[int, int]:
    meter = load_config(config_path).meters[serial]
    readings = [simulate(meter, SEED, start + i * WINDOW, WINDOW) for i in range(windows)]
    return sum(r.production_wh for r in readings), sum(r.consumption_wh for r in readings)


async def test_simulated_readings_land_and_surplus_is_minted(oracle_node: OracleNode, tmp_path: Path) -> None:
    url = oracle_node.rpc_url
    async with AsyncClient(url, Confirmed) as rpc:
        await setup_market(rpc, oracle_node.authority)
        meters = [
            await add_meter(rpc, oracle_node.authority, tmp_path, "SOLAR-A", "solar"),
            await add_meter(rpc, oracle_node.authority, tmp_path, "WIND-B", "wind"),
            await add_meter(rpc, oracle_node.authority, tmp_path, "HOME-C", "consumer"),
        ]
        starts = {m.serial: (await meter_state(rpc, m.serial)).last_window_end for m in meters}
        await advance_time(url, WINDOW * WINDOWS + 60)
        path = write_config(
            tmp_path, url, oracle_node.authority_file, meters, "lanes = 2\n" + simulator_toml()
        )

        await Worker(load_config(path), drain=True).run()

        token = EnergyTokenClient()
        for m in meters:
            state = await meter_state(rpc, m.serial)
            produced, consumed = expected_totals(path, m.serial, starts[m.serial], WINDOWS)
            assert (state.produced_wh, state.consumed_wh, state.reading_count) == (
                produced,
                consumed,
                WINDOWS,
            )
            assert state.last_window_end == starts[m.serial] + WINDOWS * WINDOW
            surplus = max(0, produced - consumed)
            assert state.settled_wh == surplus
            assert await token.fetch_balance(rpc, m.owner) == wh_to_base_units(surplus)
    with sqlite3.connect(tmp_path / "oracle-queue.sqlite") as db:
        assert db.execute("SELECT status, COUNT(*) FROM readings GROUP BY status").fetchall() == [
            ("applied", 3 * WINDOWS)
        ]
        # Batches are as full as the readings allow: 48 readings in (at most a few more than) 8 txs.
        txs = db.execute("SELECT COUNT(DISTINCT tx) FROM readings").fetchone()[0]
        assert txs <= 3 * WINDOWS // 6 + 2
    status = read_status(tmp_path / "oracle-status.json")
    assert status["applied_this_run"] == 3 * WINDOWS and status["pending"] == 0


async def test_worker_rides_out_a_node_restart(oracle_node: OracleNode, tmp_path: Path) -> None:
    """The node goes away mid-run (the proxy in front of it refuses everything while the node is
    stopped and restarted on its ledger): the worker backs off, retries and finishes exactly."""
    url = oracle_node.rpc_url
    async with AsyncClient(url, Confirmed) as rpc:
        meter, start = await market_with_meter(rpc, oracle_node.authority, tmp_path, "SOLAR-R", "solar")
    windows = 30
    await advance_time(url, WINDOW * windows + 60)
    proxy = FlakyProxy(url)
    proxied = await proxy.start()
    extra = "batch_size = 1\n" + simulator_toml(windows)
    path = write_config(tmp_path, proxied, oracle_node.authority_file, [meter], extra)
    worker = asyncio.create_task(Worker(load_config(path), drain=True).run())
    queue = tmp_path / "oracle-queue.sqlite"
    try:
        while _applied(queue) < 3:
            assert not worker.done()
            await asyncio.sleep(0.01)
        proxy.down = True  # from here on the worker cannot make progress
        await asyncio.to_thread(oracle_node.node.stop)
        await asyncio.to_thread(oracle_node.restart)
        await asyncio.sleep(1.0)  # a few failed attempts and backoffs
        assert _applied(queue) < windows
        proxy.down = False
        await asyncio.wait_for(worker, 120)
    finally:
        worker.cancel()
        await proxy.stop()

    async with AsyncClient(url, Confirmed) as rpc:
        state = await meter_state(rpc, meter.serial)
    assert (state.produced_wh, state.consumed_wh) == expected_totals(path, meter.serial, start, windows)
    assert state.reading_count == windows
    assert read_status(tmp_path / "oracle-status.json")["retries"] > 0  # type: ignore[operator]


async def test_lost_answers_are_checked_on_chain_not_resent(oracle_node: OracleNode, tmp_path: Path) -> None:
    """Every third sendTransaction lands but its answer is lost: the worker cannot know, retries after
    checking the chain, and nothing is applied twice."""
    url = oracle_node.rpc_url
    async with AsyncClient(url, Confirmed) as rpc:
        await setup_market(rpc, oracle_node.authority)
        meters = [
            await add_meter(rpc, oracle_node.authority, tmp_path, f"LOSS-{i}", "wind") for i in range(2)
        ]
        starts = {m.serial: (await meter_state(rpc, m.serial)).last_window_end for m in meters}
        windows = 20
        await advance_time(url, WINDOW * windows + 60)
        proxy = FlakyProxy(url)
        proxy.lose_every = 3
        proxied = await proxy.start()
        extra = "batch_size = 4\n" + simulator_toml(windows)
        path = write_config(tmp_path, proxied, oracle_node.authority_file, meters, extra)
        try:
            await asyncio.wait_for(Worker(load_config(path), drain=True).run(), 120)
        finally:
            await proxy.stop()
        assert proxy.lost >= 3
        for m in meters:
            state = await meter_state(rpc, m.serial)
            assert (state.produced_wh, state.consumed_wh) == expected_totals(
                path, m.serial, starts[m.serial], windows
            )
            assert state.reading_count == windows
    with sqlite3.connect(tmp_path / "oracle-queue.sqlite") as db:
        found = db.execute("SELECT COUNT(*) FROM readings WHERE note = 'found on chain'").fetchone()[0]
        assert found > 0
        assert db.execute("SELECT status, COUNT(*) FROM readings GROUP BY status").fetchall() == [
            ("applied", 2 * windows)
        ]


def _applied(queue: Path) -> int:
    with sqlite3.connect(queue) as db:
        try:
            return int(db.execute("SELECT COUNT(*) FROM readings WHERE status = 'applied'").fetchone()[0])
        except sqlite3.OperationalError:
            return 0


async def test_csv_and_pushed_readings_reach_the_chain(oracle_node: OracleNode, tmp_path: Path) -> None:
    url = oracle_node.rpc_url
    async with AsyncClient(url, Confirmed) as rpc:
        await setup_market(rpc, oracle_node.authority)
        from_csv = await add_meter(rpc, oracle_node.authority, tmp_path, "CSV-1", "solar")
        pushed = await add_meter(rpc, oracle_node.authority, tmp_path, "PUSH-1", "wind")
        csv_start = (await meter_state(rpc, from_csv.serial)).last_window_end
        push_start = (await meter_state(rpc, pushed.serial)).last_window_end
    await advance_time(url, 4 * WINDOW)
    rows = [(csv_start + i * WINDOW, 100 * (i + 1), 10 * i) for i in range(3)]
    (tmp_path / "in.csv").write_text(
        "meter,window_start,window_end,production_wh,consumption_wh\n"
        + "".join(f"CSV-1,{s},{s + WINDOW},{p},{c}\n" for s, p, c in rows[:2])
        + "CSV-1,not,a,row\n"
        + "".join(f"CSV-1,{s},{s + WINDOW},{p},{c}\n" for s, p, c in rows[2:])
    )
    port = free_port_pair()
    extra = f'csv = ["in.csv"]\n[http]\nlisten = "127.0.0.1:{port}"\n'
    path = write_config(tmp_path, url, oracle_node.authority_file, [from_csv, pushed], extra)
    worker = asyncio.create_task(Worker(load_config(path)).run())
    try:
        readings = [
            Reading(push_start + i * WINDOW, push_start + (i + 1) * WINDOW, 50 + i, 5) for i in range(2)
        ]
        bodies = [push_body(pushed.device, pushed.serial, r) for r in readings]
        bad = dict(bodies[0], production_wh=999)
        async with httpx.AsyncClient() as http:
            for _ in range(100):
                with contextlib.suppress(httpx.ConnectError):
                    answer = await http.post(f"http://127.0.0.1:{port}/readings", json=[*bodies, bad])
                    break
                await asyncio.sleep(0.1)
            assert answer.status_code == 400 and answer.json()["accepted"] == 2
            queue = tmp_path / "oracle-queue.sqlite"
            while _applied(queue) < 5:
                assert not worker.done()
                await asyncio.sleep(0.05)
            status = (await http.get(f"http://127.0.0.1:{port}/status")).json()
            assert status["rejected_at_intake"] == 2 and status["pending"] == 0
    finally:
        worker.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await worker
    async with AsyncClient(url, Confirmed) as rpc:
        csv_state = await meter_state(rpc, from_csv.serial)
        push_state = await meter_state(rpc, pushed.serial)
    assert (csv_state.produced_wh, csv_state.consumed_wh, csv_state.reading_count) == (600, 30, 3)
    assert (push_state.produced_wh, push_state.consumed_wh, push_state.reading_count) == (101, 10, 2)


async def test_windows_another_relayer_filled_are_rejected_and_an_overlap_too(
    oracle_node: OracleNode, tmp_path: Path
) -> None:
    """Readings another relayer already landed make the worker's batch fail with WindowNotAfterLast: no
    transaction of the worker carried them to the chain, so they are rejected as covered (not resent,
    never claimed as applied) and the rest of the batch still lands; a reading that overlaps an applied
    window is rejected with one log line."""
    url = oracle_node.rpc_url
    async with AsyncClient(url, Confirmed) as rpc:
        meter, start = await market_with_meter(rpc, oracle_node.authority, tmp_path, "REPLAY", "solar")
        await advance_time(url, 5 * WINDOW)
        path = write_config(tmp_path, url, oracle_node.authority_file, [meter], "[settle]\nenabled = false\n")
        worker = Worker(load_config(path), drain=True)
        submitter = Submitter(rpc, oracle_node.authority, [worker.registry.coder])
        readings = [Reading(start + i * WINDOW, start + (i + 1) * WINDOW, 100 + i, 7) for i in range(4)]
        signed = [worker.intake.sign("test", meter.serial, r, "csv") for r in readings]
        worker.intake.enqueue([s for s in signed if s is not None])
        table = await worker.table_for(submitter, [meter.serial])
        # Another relayer lands the first two readings, exactly as queued.
        relayed = worker.queue.next_batch([meter.serial], 2)
        await send_and_confirm(
            rpc, worker.batcher.instructions(relayed), oracle_node.authority, tables=[table]
        )
        # ... and the meter later re-sends its second window with a different length (an overlap).
        overlap = worker.intake.sign(
            "test", meter.serial, Reading(start + WINDOW + 60, start + 2 * WINDOW + 60, 1, 1), "csv"
        )
        assert overlap is not None
        worker.queue.add([overlap])
        worker.sources_done.set()
        await worker.run_lane(0, submitter, [meter.serial])
        state = await meter_state(rpc, meter.serial)
    assert (state.produced_wh, state.consumed_wh, state.reading_count) == (406, 28, 4)
    with sqlite3.connect(tmp_path / "oracle-queue.sqlite") as db:
        rows = db.execute(
            "SELECT window_start - ?, status, note FROM readings ORDER BY window_start", (start,)
        )
        assert rows.fetchall() == [
            (0, "rejected", COVERED_NOT_APPLIED),
            (WINDOW, "rejected", COVERED_NOT_APPLIED),
            (WINDOW + 60, "rejected", "its window overlaps one the meter already reported (not applied)"),
            (2 * WINDOW, "applied", None),
            (3 * WINDOW, "applied", None),
        ]


async def test_a_window_ending_after_the_cluster_clock_waits_without_blocking_its_lane(
    oracle_node: OracleNode, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """A meter with a fast clock pushes a window that ends an hour after the cluster's: it stays pending
    (sent once the cluster clock reaches it) while the other meter of the same lane lands its readings."""
    url = oracle_node.rpc_url
    async with AsyncClient(url, Confirmed) as rpc:
        await setup_market(rpc, oracle_node.authority)
        fast = await add_meter(rpc, oracle_node.authority, tmp_path, "FAST-CLOCK", "solar")
        steady = await add_meter(rpc, oracle_node.authority, tmp_path, "STEADY", "solar")
        fast_start = (await meter_state(rpc, fast.serial)).last_window_end
        steady_start = (await meter_state(rpc, steady.serial)).last_window_end
        await advance_time(url, 2 * WINDOW + 60)
        path = write_config(
            tmp_path,
            url,
            oracle_node.authority_file,
            [fast, steady],
            "lanes = 1\n[settle]\nenabled = false\n",
        )
        worker = Worker(load_config(path), drain=True)
        future = Reading(fast_start + 2 * WINDOW + 3600, fast_start + 3 * WINDOW + 3600, 10, 1)
        due = [Reading(steady_start + i * WINDOW, steady_start + (i + 1) * WINDOW, 100, 10) for i in range(2)]
        signed = [worker.intake.sign("test", fast.serial, future, "http")]
        signed += [worker.intake.sign("test", steady.serial, r, "http") for r in due]
        worker.intake.enqueue([s for s in signed if s is not None])
        with caplog.at_level(logging.WARNING, "solgrid.oracle"):
            await asyncio.wait_for(worker.run(), 60)
        assert "1 reading(s) left pending: their windows end after the cluster clock" in caplog.messages
        # The reading waits on purpose: it is pending, but not due, and it is no lag.
        status = read_status(tmp_path / "oracle-status.json")
        assert (status["pending"], status["pending_due"], status["lag_secs"]) == (1, 0, 0.0)
        state = await meter_state(rpc, steady.serial)
        assert (state.produced_wh, state.reading_count) == (200, 2)
        assert (await meter_state(rpc, fast.serial)).reading_count == 0
    with sqlite3.connect(tmp_path / "oracle-queue.sqlite") as db:
        rows = db.execute("SELECT serial, status FROM readings ORDER BY serial, window_start").fetchall()
    assert rows == [("FAST-CLOCK", "pending"), ("STEADY", "applied"), ("STEADY", "applied")]


async def test_a_restarted_worker_settles_surplus_already_on_chain(
    oracle_node: OracleNode, tmp_path: Path
) -> None:
    """Readings landed by an earlier run that did not settle (here: settlement off; in production, a
    kill before the next settle interval): a restarted worker settles them without waiting for a new
    reading of the meter."""
    url = oracle_node.rpc_url
    async with AsyncClient(url, Confirmed) as rpc:
        meter, start = await market_with_meter(rpc, oracle_node.authority, tmp_path, "SETTLE-LATER", "solar")
        await advance_time(url, 3 * WINDOW)
        off = write_config(tmp_path, url, oracle_node.authority_file, [meter], "[settle]\nenabled = false\n")
        first = Worker(load_config(off), drain=True)
        readings = [Reading(start + i * WINDOW, start + (i + 1) * WINDOW, 500, 100) for i in range(2)]
        signed = [first.intake.sign("test", meter.serial, r, "csv") for r in readings]
        first.intake.enqueue([s for s in signed if s is not None])
        await first.run()
        assert (await meter_state(rpc, meter.serial)).unsettled_wh == 800
        on = write_config(
            tmp_path, url, oracle_node.authority_file, [meter], "[settle]\ninterval_secs = 0.2\n"
        )
        worker = asyncio.create_task(Worker(load_config(on)).run())

        async def settled() -> None:
            while (await meter_state(rpc, meter.serial)).settled_wh < 800:
                assert not worker.done()
                await asyncio.sleep(0.1)

        try:
            await asyncio.wait_for(settled(), 30)  # a bound on a hang, not a timing claim
        finally:
            worker.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await worker
        state = await meter_state(rpc, meter.serial)
        assert (state.settled_wh, state.unsettled_wh) == (800, 0)
        assert await EnergyTokenClient().fetch_balance(rpc, meter.owner) == wh_to_base_units(800)


async def test_a_meter_registered_after_start_up_is_simulated(
    oracle_node: OracleNode, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The simulator has nothing to start a meter from until the chain has it: the worker checks such
    meters again while it runs, and simulates one as soon as it is registered and activated."""
    monkeypatch.setattr(worker_module, "UNREGISTERED_RECHECK_SECS", 0.2)
    url = oracle_node.rpc_url
    owner, device_pair = Keypair(), Keypair()
    planned = planned_meter(tmp_path, "LATE-SIM", "wind", owner, device_pair)
    windows = 3
    simulator = f"[simulator]\nseed = {SEED}\nwindow_secs = {WINDOW}\nwindows = {windows}\n"
    extra = simulator + "[settle]\nenabled = false\n"
    path = write_config(tmp_path, url, oracle_node.authority_file, [planned], extra)
    async with AsyncClient(url, Confirmed) as rpc:
        await setup_market(rpc, oracle_node.authority)
        worker = asyncio.create_task(Worker(load_config(path)).run())
        try:
            while not (tmp_path / "oracle-status.json").exists():  # started, found no meter on chain
                assert not worker.done()
                await asyncio.sleep(0.05)
            meter = await add_meter(
                rpc, oracle_node.authority, tmp_path, "LATE-SIM", "wind", owner=owner, device_pair=device_pair
            )
            start = (await meter_state(rpc, meter.serial)).last_window_end
            await advance_time(url, windows * WINDOW + 60)

            async def simulated() -> None:
                while (await meter_state(rpc, meter.serial)).reading_count < windows:
                    assert not worker.done()
                    await asyncio.sleep(0.1)

            await asyncio.wait_for(simulated(), 30)  # a bound on a hang, not a timing claim
        finally:
            worker.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await worker
        state = await meter_state(rpc, meter.serial)
    assert (state.produced_wh, state.consumed_wh) == expected_totals(path, meter.serial, start, windows)
