"""Shared helpers of the wallet CLI tests: running ``solgrid`` (in-process through click's CliRunner or
as a real subprocess) and the market on the shared node (``tests/node_market.py``'s convention:
the node's upgrade authority is the only regulator, zone 1 exists), plus the GRID mint."""

from __future__ import annotations

import asyncio
import http.server
import json
import os
import subprocess
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
from click.testing import CliRunner, Result
from solana.rpc.async_api import AsyncClient
from solana.rpc.commitment import Confirmed
from solders.keypair import Keypair

import node_market
from solgrid.cli.main import cli
from solgrid.sdk.energy_token import EnergyTokenClient
from solgrid.sdk.registry import RegistryClient
from solgrid.sdk.transactions import send_and_confirm

REPO = Path(__file__).resolve().parents[2]


ZONE_ID: int = node_market.NODE_ZONE_ID


def invoke(*args: str, input: str | None = None) -> Result:
    """``solgrid ARGS`` in-process; the caller's environment (HOME, SOLGRID_*) applies."""
    return CliRunner().invoke(cli, list(args), input=input, catch_exceptions=False)


def invoke_json(*args: str) -> Any:
    result = invoke(*args, "--json")
    assert result.exit_code == 0, result.stderr
    return json.loads(result.stdout)


def one_line_error(result: Result | subprocess.CompletedProcess[str], code: int, fragment: str) -> str:
    """Asserts the command failed with exit ``code`` and exactly one ``error:`` line naming ``fragment``."""
    exit_code = result.exit_code if isinstance(result, Result) else result.returncode
    assert exit_code == code, (exit_code, result.stdout, result.stderr)
    lines = result.stderr.strip().splitlines()
    errors = [line for line in lines if line.startswith("error: ")]
    assert len(errors) == 1 and lines[-1] == errors[0], result.stderr  # progress lines may precede it
    assert fragment in errors[0], errors[0]
    assert "Traceback" not in result.stderr and result.stdout == ""
    return errors[0]


def run_subprocess(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", "from solgrid.cli.main import main; main()", *args],
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def write_key(path: Path, keypair: Keypair) -> Path:
    path.write_text(json.dumps(list(bytes(keypair))))
    path.chmod(0o600)
    return path


def advance_clock(url: str, seconds: int) -> None:
    body = {"jsonrpc": "2.0", "id": 1, "method": "solgrid_advanceTime", "params": [seconds]}
    answer = httpx.post(url, json=body).json()
    assert "result" in answer, answer


@dataclass(frozen=True)
class Market:
    url: str
    regulator: Keypair


async def _ensure(url: str, authority: Keypair) -> None:
    registry, token = RegistryClient(), EnergyTokenClient()
    async with AsyncClient(url, commitment=Confirmed) as rpc:
        await node_market.ensure_market(rpc, registry, authority)
        config = await registry.fetch_config(rpc)
        assert config is not None
        if config.settlement_authority is None:
            ix = registry.set_settlement_authority(
                settlement_authority=token.settlement_pda().address, cosigners=[authority.pubkey()]
            )
            await send_and_confirm(rpc, [ix], authority, coders=[registry.coder])
        elif config.settlement_authority != token.settlement_pda().address:
            raise RuntimeError("the shared node's registry settles through another authority")
        if await token.fetch_config(rpc) is None:
            ix = token.initialize(payer=authority.pubkey(), authority=authority.pubkey())
            await send_and_confirm(rpc, [ix], authority, coders=[token.coder])


def ensure_market(url: str, authority: Keypair) -> Market:
    asyncio.run(_ensure(url, authority))
    return Market(url, authority)


@contextmanager
def serving(handler: type[http.server.BaseHTTPRequestHandler]) -> Iterator[str]:
    """``handler`` served on 127.0.0.1 by a background thread; yields the server's URL."""
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


@contextmanager
def stub_endpoint(status: int, content_type: str, body: bytes) -> Iterator[str]:
    """An HTTP server on 127.0.0.1 answering every POST with ``status`` and ``body`` (a misbehaving or
    foreign RPC endpoint); yields its URL."""

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            self.rfile.read(int(self.headers.get("Content-Length", 0)))
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: Any) -> None:
            pass

    with serving(Handler) as url:
        yield url


@contextmanager
def proxy_dropping_after(upstream: str, method: str) -> Iterator[str]:
    """A JSON-RPC proxy in front of ``upstream`` that forwards everything until it has forwarded the
    first answer to ``method``; from then on it drops every connection without an answer (the node
    gone mid-command). Yields its URL."""
    dropped = threading.Event()
    marker = f'"method":"{method}"'.encode()

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
            if dropped.is_set():
                self.close_connection = True
                return
            answer = httpx.post(upstream, content=body, headers={"Content-Type": "application/json"})
            if marker in body.replace(b" ", b""):
                dropped.set()
            self.send_response(answer.status_code)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(answer.content)))
            self.end_headers()
            self.wfile.write(answer.content)

        def log_message(self, *args: Any) -> None:
            pass

    with serving(Handler) as url:
        yield url
