"""Queue commits (an fsync each) and signing run off the event loop: while a source is stuck in them,
the worker's other tasks (here: the HTTP endpoint, or the test itself) keep running.

Each test holds the blocking call until the test has observed that the event loop still runs; a
blocking call on the loop would stall the test until the call gives up waiting (the ``HOLD_SECS``
bound), by which time the source has finished and the test fails."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from aiohttp.test_utils import TestClient, TestServer
from solders.keypair import Keypair

from solgrid.oracle.config import load_config
from solgrid.oracle.http_source import build_app
from solgrid.oracle.worker import Worker
from solgrid.sdk.keys import write_keypair
from solgrid.sdk.readings import DeviceSigner, Reading

HOLD_SECS = 10.0


class Hold:
    """Wraps a blocking function: its first call signals :attr:`entered`, then waits for
    :meth:`release` (at most ``HOLD_SECS``) before doing its work."""

    def __init__(self, function: Callable[..., Any]) -> None:
        self.function = function
        self.entered = threading.Event()
        self._release = threading.Event()

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        if not self.entered.is_set():
            self.entered.set()
            self._release.wait(HOLD_SECS)
        return self.function(*args, **kwargs)

    async def wait_entered(self) -> None:
        assert await asyncio.to_thread(self.entered.wait, HOLD_SECS)

    def release(self) -> None:
        self._release.set()


def worker_config(tmp_path: Path, extra: str) -> tuple[Path, DeviceSigner]:
    device_pair = Keypair()
    write_keypair(tmp_path / "device.json", device_pair)
    write_keypair(tmp_path / "payer.json", Keypair())
    config = tmp_path / "o.toml"
    config.write_text(
        f'cluster = "http://127.0.0.1:1"\npayer = "payer.json"\npoll_secs = 0.05\n{extra}\n'
        f'[[meters]]\nserial = "M"\nowner = "{Keypair().pubkey()}"\nzone = 1\ndevice_key = "device.json"\n'
    )
    return config, DeviceSigner.from_seed(bytes(device_pair)[:32])


async def test_a_push_being_committed_does_not_stall_the_endpoint(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from test_http_source import body

    config, device = worker_config(tmp_path, "")
    worker = Worker(load_config(config))
    held = Hold(worker.queue.add)
    monkeypatch.setattr(worker.queue, "add", held)
    app = build_app(worker.intake, lambda: {"ok": True})
    try:
        async with TestClient(TestServer(app)) as client:
            push = asyncio.create_task(
                client.post("/readings", json=body(device, "M", Reading(0, 900, 5, 1)))
            )
            await held.wait_entered()
            status = await client.get("/status")
            assert await status.json() == {"ok": True}
            assert not push.done()  # answered while the push's commit was still held
            held.release()
            answer = await push
            assert answer.status == 202 and (await answer.json())["new"] == 1
    finally:
        held.release()
        worker.queue.close()


async def test_signing_csv_rows_does_not_stall_the_loop(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "in.csv").write_text("".join(f"M,{900 * i},{900 * (i + 1)},5,1\n" for i in range(3)))
    config, _ = worker_config(tmp_path, 'csv = ["in.csv"]\n')
    worker = Worker(load_config(config), drain=True)
    held = Hold(worker.intake.sign)
    monkeypatch.setattr(worker.intake, "sign", held)
    try:
        source = asyncio.create_task(worker.run_csv())
        await held.wait_entered()
        assert not source.done()  # the test runs while the CSV source's signing is held
        held.release()
        await source
        assert worker.queue.pending() == 3
    finally:
        held.release()
        worker.queue.close()


class Clock:
    """The submitter's one call the simulator makes: the cluster clock."""

    async def cluster_time(self) -> int:
        return 10 * 900


async def test_signing_simulated_windows_does_not_stall_the_loop(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    config, _ = worker_config(tmp_path, "[simulator]\nwindow_secs = 900\nwindows = 3\n")
    worker = Worker(load_config(config), drain=True)
    worker.chain_last_end["M"] = 0
    held = Hold(worker.intake.sign)
    monkeypatch.setattr(worker.intake, "sign", held)
    try:
        source = asyncio.create_task(worker.run_simulator(Clock()))  # type: ignore[arg-type]
        await held.wait_entered()
        assert not source.done()
        held.release()
        await source
        assert worker.queue.pending() == 3
    finally:
        held.release()
        worker.queue.close()
