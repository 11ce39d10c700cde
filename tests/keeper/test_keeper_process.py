"""``solgrid keeper run`` as a real process: SIGTERM ends it cleanly after its last status, an
unreachable cluster is retried (not fatal), and ``--once`` on a market that does not exist ends with one
error line and exit code 1."""

from __future__ import annotations

import asyncio
import json
import signal
import sys
from pathlib import Path

from solders.keypair import Keypair
from solders.pubkey import Pubkey

from solgrid.sdk.keys import write_keypair

RUN = "from solgrid.cli.main import main; main()"


def config(directory: Path, url: str, extra: str = "") -> Path:
    write_keypair(directory / "payer.json", Keypair())
    path = directory / "keeper.toml"
    path.write_text(
        f'cluster = "{url}"\npayer = "payer.json"\nstatus_file = "status.json"\n'
        f"status_interval_secs = 0.2\npoll_secs = 0.1\ndiscover_secs = 0.2\n{extra}"
    )
    return path


async def keeper(path: Path, *extra: str) -> asyncio.subprocess.Process:
    return await asyncio.create_subprocess_exec(
        sys.executable,
        "-c",
        RUN,
        "keeper",
        "run",
        "--config",
        str(path),
        *extra,
        stderr=asyncio.subprocess.PIPE,
    )


async def status_when(path: Path, ready: str) -> dict[str, object]:
    """The status file once it shows ``ready`` (a key with a truthy value) or the markets listed."""
    for _ in range(300):
        if path.exists():
            document: dict[str, object] = json.loads(path.read_text())
            if document.get(ready):
                return document
        await asyncio.sleep(0.05)
    raise AssertionError(f"the status file never showed {ready}")


async def test_sigterm_writes_the_last_status_and_exits_0(fresh_rpc_url: str, tmp_path: Path) -> None:
    process = await keeper(config(tmp_path, fresh_rpc_url))
    await status_when(tmp_path / "status.json", "updated_at")
    process.send_signal(signal.SIGTERM)
    _, stderr = await asyncio.wait_for(process.communicate(), 30)
    assert process.returncode == 0
    lines = stderr.decode().splitlines()
    assert lines[-1] == "keeper stopped"
    assert any("every market" in line for line in lines)  # no markets configured: it keeps them all
    final = json.loads((tmp_path / "status.json").read_text())
    assert final["markets"] == {} and final["errors"] == 0 and final["payer_lamports"] == 0


async def test_an_unreachable_cluster_is_retried(tmp_path: Path) -> None:
    process = await keeper(config(tmp_path, "http://127.0.0.1:9", f'markets = ["{Pubkey.new_unique()}"]\n'))
    document = await status_when(tmp_path / "status.json", "retries")
    assert process.returncode is None  # still running
    process.send_signal(signal.SIGTERM)
    _, stderr = await asyncio.wait_for(process.communicate(), 30)
    assert process.returncode == 0 and int(str(document["retries"])) > 0
    assert "cannot read the chain" in stderr.decode()


async def test_once_on_a_market_that_does_not_exist_is_one_error(fresh_rpc_url: str, tmp_path: Path) -> None:
    market = Pubkey.new_unique()
    process = await keeper(config(tmp_path, fresh_rpc_url, f'markets = ["{market}"]\n'), "--once")
    _, stderr = await asyncio.wait_for(process.communicate(), 60)
    assert process.returncode == 1
    last = stderr.decode().splitlines()[-1]
    assert last.startswith(
        f"error: 1 market(s) not finished: {market}: {market} is not a market of the trading"
    )
    status = json.loads((tmp_path / "status.json").read_text())
    assert status["markets"][str(market)]["errors"] == 1 and status["errors"] == 1
