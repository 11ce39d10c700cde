"""examples/push_reading.py, the meter side of the HTTP push protocol that docs/oracle.md documents:
its message is the registry's, the docs show its code verbatim, and a reading it pushes lands on chain."""

from __future__ import annotations

import asyncio
import contextlib
import importlib.util
import json
import re
import sqlite3
import sys
from pathlib import Path
from types import ModuleType

from oracle_support import OracleNode, advance_time, market_with_meter, meter_state, write_config
from solana.rpc.async_api import AsyncClient
from solana.rpc.commitment import Confirmed
from solders.keypair import Keypair
from solders.pubkey import Pubkey
from solders.signature import Signature

from solgrid.localnet.process import free_port_pair
from solgrid.oracle.config import load_config
from solgrid.oracle.worker import Worker
from solgrid.sdk.idl import load_idl_json
from solgrid.sdk.readings import DeviceSigner, Reading
from solgrid.sdk.registry import RegistryClient

REPO = Path(__file__).resolve().parents[2]
SCRIPT = REPO / "examples" / "push_reading.py"
DOCS = REPO / "docs" / "oracle.md"


def example() -> ModuleType:
    spec = importlib.util.spec_from_file_location("push_reading", SCRIPT)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_example_signs_what_the_registry_verifies() -> None:
    push = example()
    registry = RegistryClient()
    assert str(push.REGISTRY_PROGRAM_ID) == load_idl_json("registry")["address"] == str(registry.program_id)
    pair = Keypair()
    body = push.signed_reading(pair, "HOME-0003", 1_767_225_600, 1_767_226_500, 0, 412)
    reading = Reading(1_767_225_600, 1_767_226_500, 0, 412)
    expected = DeviceSigner.from_seed(bytes(pair)[:32]).sign(
        registry.program_id, registry.meter_pda("HOME-0003").address, reading
    )
    assert body["signature"] == str(Signature.from_bytes(expected.signature))
    assert body["device_pubkey"] == str(Pubkey(expected.public_key))


def test_the_docs_python_blocks_are_the_example_verbatim() -> None:
    blocks = re.findall(r"```python\n(.*?)```", DOCS.read_text(), re.DOTALL)
    assert blocks
    source = SCRIPT.read_text()
    for block in blocks:
        assert block in source, block


async def run_example(*args: str) -> tuple[int, dict[str, object]]:
    process = await asyncio.create_subprocess_exec(
        sys.executable, str(SCRIPT), *args, stdout=asyncio.subprocess.PIPE
    )
    stdout, _ = await asyncio.wait_for(process.communicate(), 30)
    assert process.returncode is not None
    return process.returncode, json.loads(stdout)


async def test_a_pushed_reading_lands(oracle_node: OracleNode, tmp_path: Path) -> None:
    url = oracle_node.rpc_url
    async with AsyncClient(url, Confirmed) as rpc:
        meter, start = await market_with_meter(rpc, oracle_node.authority, tmp_path, "HOME-0003", "consumer")
    await advance_time(url, 2 * 900)
    port = free_port_pair()
    push_only = (
        f'[http]\nlisten = "127.0.0.1:{port}"\n'
        f'[[meters]]\nserial = "{meter.serial}"\nowner = "{meter.owner}"\nzone = 1\n'
        f'device_pubkey = "{Pubkey(meter.device.public_key)}"\nprofile = "consumer"\n'
    )
    config = write_config(tmp_path, url, oracle_node.authority_file, [], push_only)
    worker = asyncio.create_task(Worker(load_config(config)).run())
    common = [
        "--oracle",
        f"http://127.0.0.1:{port}",
        "--device-key",
        str(meter.key_file),
        "--meter",
        meter.serial,
    ]
    try:
        for _ in range(100):
            with contextlib.suppress(Exception):
                answer = await run_example(*common, "--start", str(start), "--consumption", "412")
                break
            await asyncio.sleep(0.1)
        assert answer == (0, {"accepted": 1, "new": 1, "rejected": []})
        again = await run_example(*common, "--start", str(start), "--consumption", "412")
        assert again == (0, {"accepted": 1, "new": 0, "rejected": []})
        refused = await run_example(
            *common, "--start", str(start + 900), "--program-id", str(Keypair().pubkey())
        )
        assert refused == (
            1,
            {
                "accepted": 0,
                "new": 0,
                "rejected": [
                    {"index": 0, "error": f"bad signature for meter 'HOME-0003' window {start + 900}"}
                ],
            },
        )
        queue = tmp_path / "oracle-queue.sqlite"
        while True:
            with sqlite3.connect(queue) as db:
                if db.execute("SELECT status FROM readings").fetchall() == [("applied",)]:
                    break
            assert not worker.done()
            await asyncio.sleep(0.05)
    finally:
        worker.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await worker
    async with AsyncClient(url, Confirmed) as rpc:
        state = await meter_state(rpc, meter.serial)
    assert (state.consumed_wh, state.reading_count, state.last_window_end) == (412, 1, start + 900)
