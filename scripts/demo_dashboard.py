"""The demo's dashboard: ``solgrid api run`` over the demo's indexer database and feed, checked through its
API once the demo's checks pass, its URL printed at the end; with ``--serve`` the node, the indexer and
the API stay up until Ctrl-C so that the dashboard can be looked at."""

from __future__ import annotations

import asyncio
import contextlib
import signal
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
from demo_support import SYNC_TIMEOUT_SECS, CommandFailed, Scene, banner, cli_env, solgrid_command

from solgrid.localnet.process import free_port_pair


@dataclass(frozen=True)
class DashboardOptions:
    serve: bool = False
    """Keep everything up after the checks until Ctrl-C."""
    port: int | None = None
    """The API's port (None: a free one)."""


@dataclass(frozen=True)
class Dashboard:
    url: str
    """http://127.0.0.1:PORT/ (the dashboard; the API under /api/v1, docs at /docs)."""


async def get_json(client: httpx.AsyncClient, path: str) -> Any:
    answer = await client.get(path)
    if answer.status_code != 200:
        raise CommandFailed(f"GET {path}: {answer.status_code} {answer.text[:200]}")
    return answer.json()


@contextlib.asynccontextmanager
async def dashboard(scene: Scene, db: Path, feed_url: str, port: int | None) -> AsyncIterator[Dashboard]:
    """``solgrid api run`` on the indexer's database and feed until the block exits (SIGTERM, exit 0)."""
    port = port or free_port_pair()
    banner("start the market data API and dashboard over the indexer's database")
    args = ["api", "run", "--db", f"sqlite+aiosqlite:///{db}", "--feed-url", feed_url]
    args += ["--rpc-url", scene.rpc_url, "--port", str(port)]
    print(f"$ solgrid {' '.join(args).replace(str(scene.workdir) + '/', '')}")
    process = await asyncio.create_subprocess_exec(*solgrid_command(), *args, env=cli_env(scene))
    url = f"http://127.0.0.1:{port}/"
    try:
        async with httpx.AsyncClient(base_url=url, timeout=5) as client:
            deadline = asyncio.get_running_loop().time() + SYNC_TIMEOUT_SECS
            while True:
                if process.returncode is not None:
                    raise CommandFailed(f"solgrid api run exited {process.returncode}")
                with contextlib.suppress(httpx.TransportError):
                    if (await client.get("/openapi.json")).status_code == 200:
                        break
                if asyncio.get_running_loop().time() > deadline:
                    raise CommandFailed("the API did not start")
                await asyncio.sleep(0.2)
        yield Dashboard(url)
    finally:
        if process.returncode is None:
            process.send_signal(signal.SIGTERM)
            await asyncio.wait_for(process.wait(), 30)
        if process.returncode != 0:
            raise CommandFailed(f"solgrid api run exited {process.returncode}")
        print("API stopped")


async def check_dashboard(board: Dashboard, zones: Sequence[int], markets: Sequence[str]) -> list[str]:
    """What the API serves of the demo: its zones with their markets; the mismatches."""
    banner(f"the API over the indexer ({board.url}api/v1)")
    problems = []
    async with httpx.AsyncClient(base_url=board.url, timeout=10) as client:
        served = {z["zone_id"]: z for z in await get_json(client, "/api/v1/zones")}
        for zone_id in zones:
            zone = served.get(zone_id)
            if zone is None:
                problems.append(f"the API lists no zone {zone_id}")
                continue
            print(f"  zone {zone_id} {zone['name']}: markets {', '.join(zone['markets']) or 'none'}")
        listed = {m for z in served.values() for m in z["markets"]}
        problems += [f"the API lists no market {m}" for m in markets if m not in listed]
    return problems


async def serve_until_interrupted(board: Dashboard) -> None:
    """Keep everything up until SIGINT (Ctrl-C) or SIGTERM."""
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    print(f"\ndashboard: {board.url} (API docs: {board.url}docs); Ctrl-C stops the node, indexer and API")
    try:
        await stop.wait()
    finally:
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.remove_signal_handler(sig)
