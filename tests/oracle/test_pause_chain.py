"""An emergency pause of readings (one regulator, in the meter's zone) holds the worker's readings in its
queue instead of rejecting them; once a quorum resumes, they land. Nothing is lost to the pause."""

from __future__ import annotations

import asyncio
import signal
import sqlite3
import sys
from pathlib import Path

from oracle_support import ZONE, OracleNode, add_meter, advance_time, meter_state, setup_market, write_config
from solana.rpc.async_api import AsyncClient
from solana.rpc.commitment import Confirmed

from solgrid.sdk.registry import RegistryClient
from solgrid.sdk.registry_governance import PauseFlag
from solgrid.sdk.transactions import send_and_confirm

WINDOW = 600
WINDOWS = 6
RUN = "from solgrid.cli.main import main; main()"


def statuses(queue: Path) -> dict[str, int]:
    if not queue.exists():
        return {}
    with sqlite3.connect(queue) as db:
        try:
            rows = db.execute("SELECT status, COUNT(*) FROM readings GROUP BY status").fetchall()
        except sqlite3.OperationalError:
            return {}
    return {str(status): int(count) for status, count in rows}


async def test_paused_readings_wait_in_the_queue_and_land_after_the_resume(
    oracle_node: OracleNode, tmp_path: Path
) -> None:
    url = oracle_node.rpc_url
    authority = oracle_node.authority
    registry = RegistryClient()
    async with AsyncClient(url, Confirmed) as rpc:
        await setup_market(rpc, authority)
        meter = await add_meter(rpc, authority, tmp_path, "PAUSE", "solar")
        pause = registry.pause_zone(regulator=authority.pubkey(), zone_id=ZONE, flags=PauseFlag.READINGS)
        await send_and_confirm(rpc, [pause], authority, coders=[registry.coder])
        await advance_time(url, WINDOW * WINDOWS + 60)
        extra = f"batch_size = 2\n[simulator]\nseed = 5\nwindow_secs = {WINDOW}\nwindows = {WINDOWS}\n"
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
        try:
            assert worker.stderr is not None
            seen: list[str] = []
            while not any("readings are paused" in line for line in seen):
                line = await asyncio.wait_for(worker.stderr.readline(), 60)
                assert line, f"the worker exited: {seen[-5:]}"
                seen.append(line.decode())
            assert statuses(queue) == {"pending": WINDOWS}
            assert (await meter_state(rpc, meter.serial)).reading_count == 0

            resume = registry.resume_zone(
                zone_id=ZONE, flags=PauseFlag.READINGS, cosigners=[authority.pubkey()]
            )
            await send_and_confirm(rpc, [resume], authority, coders=[registry.coder])
            for _ in range(600):
                if statuses(queue) == {"applied": WINDOWS}:
                    break
                await asyncio.sleep(0.1)
            assert statuses(queue) == {"applied": WINDOWS}
            assert (await meter_state(rpc, meter.serial)).reading_count == WINDOWS
        finally:
            if worker.returncode is None:
                worker.send_signal(signal.SIGTERM)
                await asyncio.wait_for(worker.communicate(), 30)
