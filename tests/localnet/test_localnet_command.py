"""``solgrid localnet`` as a process: ready line, genesis from the workspace, clean shutdown with the
ledger flushed, one-line errors."""

from __future__ import annotations

import asyncio
import json
import signal
import struct
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import pytest
from localnet_support import NEW_ACCOUNT_MINIMUM, SOL, invoke_logs, program_ran
from solana.rpc.async_api import AsyncClient
from solana.rpc.commitment import Confirmed
from solders.keypair import Keypair

from solgrid.localnet.process import free_port_pair
from solgrid.sdk import loader

pytestmark = pytest.mark.asyncio(loop_scope="module")

MAIN = "from solgrid.cli.main import main; main()"
SIGINT_AIRDROP = NEW_ACCOUNT_MINIMUM + 42


@asynccontextmanager
async def localnet(*args: str, cwd: Path) -> AsyncIterator[tuple[asyncio.subprocess.Process, str, list[str]]]:
    """A running ``solgrid localnet``; yields (process, rpc url, lines printed before the ready line)."""
    port = free_port_pair()
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-c",
        MAIN,
        "localnet",
        "--rpc-port",
        str(port),
        *args,
        cwd=cwd,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    assert process.stdout is not None
    lines: list[str] = []
    try:
        while True:
            line = (await asyncio.wait_for(process.stdout.readline(), timeout=60)).decode()
            assert line, f"the node exited: {lines}"
            if "ready" in line:
                assert f"rpc http://127.0.0.1:{port}" in line and f"ws ws://127.0.0.1:{port + 1}" in line
                break
            lines.append(line.rstrip())
        yield process, f"http://127.0.0.1:{port}", lines
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()


async def stop(process: asyncio.subprocess.Process, sig: int) -> tuple[int, str]:
    process.send_signal(sig)
    out, _err = await asyncio.wait_for(process.communicate(), timeout=30)
    assert process.returncode is not None
    return process.returncode, out.decode()


def workspace(root: Path, programs: dict[str, Keypair], elf: bytes | None, wallet: Keypair) -> None:
    (root / "target" / "deploy").mkdir(parents=True)
    (root / "wallet.json").write_text(json.dumps(list(bytes(wallet))))
    entries = "\n".join(f'{name} = "{kp.pubkey()}"' for name, kp in programs.items())
    (root / "Anchor.toml").write_text(
        f"[programs.localnet]\n{entries}\n\n"
        f'[provider]\ncluster = "localnet"\nwallet = "{root / "wallet.json"}"\n'
    )
    if elf is not None:
        for name in programs:
            (root / "target" / "deploy" / f"{name}.so").write_bytes(elf)


async def test_ready_line_and_sigterm(tmp_path: Path) -> None:
    async with localnet("--quiet", "--no-programs", cwd=tmp_path) as (process, url, lines):
        assert lines == []
        async with AsyncClient(url) as client:
            assert await client.is_connected()
        code, out = await stop(process, signal.SIGTERM)
    assert code == 0 and out == ""


async def test_genesis_from_the_workspace(tmp_path: Path, program_elf: bytes) -> None:
    wallet, program = Keypair(), Keypair()
    workspace(tmp_path, {"demo": program}, program_elf, wallet)
    async with localnet("--slot-ms", "50", cwd=tmp_path) as (process, url, lines):
        assert any(f"loading demo {program.pubkey()}" in line for line in lines)
        async with AsyncClient(url) as client:
            assert (await client.get_balance(wallet.pubkey())).value == 500_000_000 * SOL
            account = (await client.get_account_info(program.pubkey())).value
            assert account is not None and account.executable and account.owner == loader.LOADER_V3
            programdata = (await client.get_account_info(loader.programdata_address(program.pubkey()))).value
            assert programdata is not None
            data = bytes(programdata.data)
            assert struct.unpack_from("<IQB", data) == (3, 0, 1) and data[13:45] == bytes(wallet.pubkey())
            assert program_ran(await invoke_logs(client, wallet, program.pubkey()), program.pubkey())
        await asyncio.sleep(0.3)  # a slot boundary prints the slot's activity
        code, out = await stop(process, signal.SIGINT)
    assert code == 0
    assert "transaction(s) ok" in out and "stopped" in out


async def test_ledger_survives_sigint(tmp_path: Path) -> None:
    ledger = tmp_path / "ledger"
    wallet = Keypair()
    async with localnet(
        "--quiet", "--no-programs", "--ledger", str(ledger), "--slot-ms", "60000", cwd=tmp_path
    ) as (
        process,
        url,
        _lines,
    ):
        async with AsyncClient(url, Confirmed) as client:  # (its slots do not tick: nothing is rooted)
            await client.confirm_transaction(
                (await client.request_airdrop(wallet.pubkey(), SIGINT_AIRDROP)).value
            )
        code, _out = await stop(process, signal.SIGINT)  # before any slot boundary: only shutdown flushes
    assert code == 0
    async with localnet("--quiet", "--no-programs", "--ledger", str(ledger), cwd=tmp_path) as (
        process,
        url,
        _lines,
    ):
        async with AsyncClient(url) as client:
            assert (await client.get_balance(wallet.pubkey())).value == SIGINT_AIRDROP
        await stop(process, signal.SIGTERM)


async def test_missing_program_is_a_clear_error(tmp_path: Path) -> None:
    workspace(tmp_path, {"demo": Keypair()}, None, Keypair())
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-c",
        MAIN,
        "localnet",
        "--rpc-port",
        str(free_port_pair()),
        cwd=tmp_path,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    _out, err = await asyncio.wait_for(process.communicate(), timeout=60)
    message = err.decode().strip()
    assert process.returncode == 1
    assert message.startswith("error: ") and "demo.so is missing" in message and "--no-programs" in message
    assert len(message.splitlines()) == 1


async def test_port_in_use_is_a_clear_error(tmp_path: Path) -> None:
    async with localnet("--quiet", "--no-programs", cwd=tmp_path) as (process, url, _lines):
        port = url.rsplit(":", 1)[1]
        second = await asyncio.create_subprocess_exec(
            sys.executable,
            "-c",
            MAIN,
            "localnet",
            "--rpc-port",
            port,
            "--quiet",
            "--no-programs",
            cwd=tmp_path,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
        )
        _out, err = await asyncio.wait_for(second.communicate(), timeout=60)
        assert second.returncode == 1
        assert err.decode().startswith(f"error: cannot listen on 127.0.0.1:{port}")
        await stop(process, signal.SIGTERM)
