"""``solgrid localnet`` as a child process, for the demo, benchmarks and tests that want a real node
process (its own Python interpreter, so clients and node do not share one thread)."""

from __future__ import annotations

import asyncio
import contextlib
import signal
import socket
import sys
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass

READY_TIMEOUT_SECONDS = 60.0
STOP_TIMEOUT_SECONDS = 20.0


def free_port_pair() -> int:
    """A port p such that p and p + 1 are free (the node's RPC and PubSub ports)."""
    for _attempt in range(50):
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            port = int(probe.getsockname()[1])
        if port >= 65535:
            continue
        with socket.socket() as second:
            try:
                second.bind(("127.0.0.1", port + 1))
            except OSError:
                continue
        return port
    raise RuntimeError("no free pair of ports found")


@dataclass(frozen=True)
class NodeProcess:
    rpc_url: str
    ws_url: str
    ready_line: str


@contextlib.asynccontextmanager
async def node_process(args: Sequence[str] = ()) -> AsyncIterator[NodeProcess]:
    """Run ``solgrid localnet --quiet <args>`` on free ports until the block exits, then stop it with
    SIGINT (a clean shutdown that flushes its ledger) and check it exited cleanly."""
    port = free_port_pair()
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-c",
        "from solgrid.cli.main import main; main()",
        "localnet",
        "--rpc-port",
        str(port),
        "--quiet",
        *args,
        stdout=asyncio.subprocess.PIPE,
    )
    try:
        assert process.stdout is not None
        line = (await asyncio.wait_for(process.stdout.readline(), READY_TIMEOUT_SECONDS)).decode().strip()
        if "ready" not in line:
            raise RuntimeError(f"the local node did not start: {line or 'no output'}")
        yield NodeProcess(f"http://127.0.0.1:{port}", f"ws://127.0.0.1:{port + 1}", line)
    finally:
        if process.returncode is None:
            process.send_signal(signal.SIGINT)
            try:
                await asyncio.wait_for(process.wait(), STOP_TIMEOUT_SECONDS)
            except TimeoutError:
                process.kill()
                await process.wait()
