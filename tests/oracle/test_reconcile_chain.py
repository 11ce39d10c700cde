"""What the chain's ``last_window_end`` proves and what it does not: a pending reading whose window the
meter's record already covers is applied only if one of the worker's own transactions carrying it
landed; otherwise it never can land and is rejected (listed by ``solgrid oracle rejected``)."""

from __future__ import annotations

import asyncio
import json
import sqlite3
from pathlib import Path

from click.testing import CliRunner
from oracle_support import OracleNode, advance_time, market_with_meter, meter_state, write_config
from solana.rpc.async_api import AsyncClient
from solana.rpc.commitment import Confirmed

from solgrid.cli.main import cli
from solgrid.oracle.config import load_config
from solgrid.oracle.worker import Worker
from solgrid.sdk.readings import Reading
from solgrid.sdk.registry import MeterStatus, RegistryClient
from solgrid.sdk.transactions import send_and_confirm

WINDOW = 900
COVERED = "window already covered on chain; not applied by this worker"


def queue_rows(queue: Path) -> list[tuple[str, int, str, str | None]]:
    with sqlite3.connect(queue) as db:
        rows = db.execute(
            "SELECT serial, window_start, status, note FROM readings ORDER BY serial, window_start"
        )
        return [(serial, start, status, note) for serial, start, status, note in rows.fetchall()]


def enqueue(worker: Worker, serial: str, readings: list[Reading]) -> None:
    signed = [worker.intake.sign("test", serial, r, "csv") for r in readings]
    assert worker.intake.enqueue([s for s in signed if s is not None]) == len(readings)


async def test_windows_older_than_a_reactivation_are_rejected_not_applied(
    oracle_node: OracleNode, tmp_path: Path
) -> None:
    """Readings wait in the queue while their meter is taken into maintenance and activated again:
    activation moves the meter's record to the cluster time, past their windows. They are rejected
    with the reason, and nothing claims they landed."""
    url = oracle_node.rpc_url
    registry = RegistryClient()
    regulator = oracle_node.authority
    async with AsyncClient(url, Confirmed) as rpc:
        meter, start = await market_with_meter(rpc, regulator, tmp_path, "REACTIVATED", "solar")
        await advance_time(url, 4 * WINDOW)
        config = write_config(
            tmp_path, url, oracle_node.authority_file, [meter], "[settle]\nenabled = false\n"
        )
        worker = Worker(load_config(config), drain=True)
        enqueue(
            worker,
            meter.serial,
            [Reading(start + i * WINDOW, start + (i + 1) * WINDOW, 100 + i, 7) for i in range(3)],
        )
        address = registry.meter_pda(meter.serial).address
        cycle = [
            registry.set_meter_status(
                regulator=regulator.pubkey(), meter=address, status=MeterStatus.MAINTENANCE
            ),
            registry.activate_meter(regulator=regulator.pubkey(), meter=address),
        ]
        await send_and_confirm(rpc, cycle, regulator, coders=[registry.coder])
        await worker.run()
        state = await meter_state(rpc, meter.serial)
    assert state.reading_count == 0 and state.last_window_end >= start + 4 * WINDOW
    assert queue_rows(tmp_path / "oracle-queue.sqlite") == [
        (meter.serial, start + i * WINDOW, "rejected", COVERED) for i in range(3)
    ]
    listed = await asyncio.to_thread(
        CliRunner().invoke, cli, ["oracle", "rejected", "--config", str(config), "--json"]
    )
    assert listed.exit_code == 0, listed.output
    assert [(r["window_start"] - start, r["reason"]) for r in json.loads(listed.stdout)] == [
        (i * WINDOW, COVERED) for i in range(3)
    ]


async def test_a_reading_arriving_after_a_later_one_landed_is_rejected(
    oracle_node: OracleNode, tmp_path: Path
) -> None:
    """Out-of-order input: the second window lands first, the first one arrives afterwards. The chain
    has moved past it, so it is rejected; the reading that did land stays applied."""
    url = oracle_node.rpc_url
    async with AsyncClient(url, Confirmed) as rpc:
        meter, start = await market_with_meter(rpc, oracle_node.authority, tmp_path, "LATE-PUSH", "wind")
        await advance_time(url, 3 * WINDOW)
        config = write_config(
            tmp_path, url, oracle_node.authority_file, [meter], "[settle]\nenabled = false\n"
        )
        first = Worker(load_config(config), drain=True)
        enqueue(first, meter.serial, [Reading(start + WINDOW, start + 2 * WINDOW, 300, 10)])
        await first.run()
        late = Worker(load_config(config), drain=True)
        enqueue(late, meter.serial, [Reading(start, start + WINDOW, 200, 10)])
        await late.run()
        state = await meter_state(rpc, meter.serial)
    assert (state.reading_count, state.produced_wh) == (1, 300)
    rows = queue_rows(tmp_path / "oracle-queue.sqlite")
    assert [(s - start, status, note) for _, s, status, note in rows] == [
        (0, "rejected", COVERED),
        (WINDOW, "applied", None),
    ]
