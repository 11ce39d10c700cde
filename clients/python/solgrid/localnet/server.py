"""The local node as a server: JSON-RPC over HTTP, PubSub over websocket, and a slot clock.

``LocalNode`` runs in the caller's asyncio loop (tests and the demo use it in-process)::

    async with LocalNode(NodeConfig(rpc_port=0, ws_port=0)) as node:
        client = AsyncClient(node.rpc_url)

As solana-test-validator does, the websocket port is the RPC port plus one unless given. Port 0 picks a
free port. Everything runs on one event loop: LiteSVM calls are fast and are made directly from the
handlers (the VM is not thread-safe), and the slot task advances the chain every ``slot_ms``.

HTTP details that clients depend on:

* request bodies may carry ``Content-Encoding: gzip`` without being compressed (anchorpy's
  getMultipleAccounts batch does exactly that), so the server never lets aiohttp decompress; it inflates
  the body itself only when it really starts with the gzip magic bytes;
* bodies larger than ``max_body_bytes`` (default 50 KiB, the validator's limit) get HTTP 413;
* ``GET /health`` answers "ok" like a validator.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import zlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType
from typing import Any

from aiohttp import web
from solders.account import Account
from solders.pubkey import Pubkey

from solgrid.localnet import jsonrpc
from solgrid.localnet.chain import Chain, ChainConfig, CommittedTransaction
from solgrid.localnet.genesis import GenesisProgram
from solgrid.localnet.methods import NodeInfo, RpcMethods
from solgrid.localnet.pubsub import PubSub
from solgrid.localnet.rpc_errors import INVALID_REQUEST, PARSE_ERROR, RpcError
from solgrid.localnet.store import DB_FILE, LedgerStore

log = logging.getLogger("solgrid.localnet")

DEFAULT_RPC_PORT = 8899
DEFAULT_SLOT_MS = 400
PERFORMANCE_SAMPLE_SECS = 60
MAX_BODY_BYTES = 50 * 1024
_GZIP_MAGIC = b"\x1f\x8b"
_CORS = {
    "Access-Control-Allow-Origin": "*",
    "Access-Control-Allow-Methods": "POST, GET, OPTIONS",
    "Access-Control-Allow-Headers": "Content-Type, Content-Encoding, solana-client",
}


@dataclass
class NodeConfig:
    bind_address: str = "127.0.0.1"
    rpc_port: int = DEFAULT_RPC_PORT
    """0 picks a free port."""
    ws_port: int | None = None
    """None: rpc_port + 1 (or a free port when rpc_port is 0)."""
    ledger: Path | None = None
    """Directory of the SQLite ledger; None keeps everything in memory."""
    reset: bool = False
    """Delete the ledger before starting."""
    slot_ms: int = DEFAULT_SLOT_MS
    history_slots: int | None = None
    """Keep the transaction history of the newest this many slots, pruning older ones as a validator's
    ledger cleanup does (None: keep everything, the default)."""
    programs: list[GenesisProgram] = field(default_factory=list)
    funded: dict[Pubkey, int] = field(default_factory=dict)
    deactivate_features: list[Pubkey] = field(default_factory=list)
    """Features left inactive at genesis (``--deactivate-feature``); see ``ChainConfig``."""
    max_body_bytes: int = MAX_BODY_BYTES
    echo: Callable[[str], None] | None = None
    """Where status lines go (the CLI passes click.echo); None is silent."""


class _ActivityLog:
    """A line per slot that had transactions (the CLI's non-quiet output)."""

    def __init__(self, echo: Callable[[str], None]) -> None:
        self.echo = echo
        self.ok = 0
        self.failed = 0

    def on_transaction(self, tx: CommittedTransaction) -> None:
        if tx.err is None:
            self.ok += 1
        else:
            self.failed += 1

    def on_accounts(self, slot: int, accounts: Sequence[tuple[Pubkey, Account]]) -> None:
        return None

    def on_slot(self, slot: int, parent: int) -> None:
        if self.ok or self.failed:
            self.echo(f"slot {parent}: {self.ok} transaction(s) ok, {self.failed} failed")
            self.ok = self.failed = 0

    def on_root(self, root: int, rooted: Sequence[tuple[Pubkey, Account]]) -> None:
        return None


def reset_ledger(ledger: Path) -> None:
    for suffix in ("", "-wal", "-shm"):
        (ledger / f"{DB_FILE}{suffix}").unlink(missing_ok=True)


class LocalNode:
    """A running local node; see the module docstring."""

    def __init__(self, config: NodeConfig | None = None) -> None:
        self.config = config or NodeConfig()
        self._runners: list[web.AppRunner] = []
        self._ticker: asyncio.Task[None] | None = None
        self._sampler: asyncio.Task[None] | None = None
        self._chain: Chain | None = None
        self._pubsub: PubSub | None = None
        self._methods: RpcMethods | None = None
        self.rpc_port = 0
        self.ws_port = 0

    @property
    def chain(self) -> Chain:
        if self._chain is None:
            raise RuntimeError("the node is not running")
        return self._chain

    @property
    def pubsub(self) -> PubSub:
        if self._pubsub is None:
            raise RuntimeError("the node is not running")
        return self._pubsub

    @property
    def rpc_url(self) -> str:
        return f"http://{self._public_host()}:{self.rpc_port}"

    @property
    def ws_url(self) -> str:
        return f"ws://{self._public_host()}:{self.ws_port}"

    def _public_host(self) -> str:
        host = self.config.bind_address
        return "127.0.0.1" if host in ("0.0.0.0", "") else host

    async def __aenter__(self) -> LocalNode:
        await self.start()
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.stop()

    async def start(self) -> None:
        config = self.config
        if config.reset and config.ledger is not None:
            reset_ledger(config.ledger)
        store = LedgerStore(config.ledger)
        chain = Chain(
            store,
            ChainConfig(
                programs=list(config.programs),
                funded=dict(config.funded),
                history_slots=config.history_slots,
                deactivate_features=list(config.deactivate_features),
            ),
        )
        self._chain = chain
        self._pubsub = PubSub(chain)
        if config.echo is not None:
            chain.listeners.append(_ActivityLog(config.echo))
        self._methods = RpcMethods(chain, NodeInfo())
        try:
            await self._serve()
        except BaseException:
            await self.stop()
            raise
        self._methods.info = NodeInfo(
            f"{self._public_host()}:{self.rpc_port}", f"{self._public_host()}:{self.ws_port}"
        )
        self._ticker = asyncio.create_task(self._tick())
        self._sampler = asyncio.create_task(self._sample_performance())

    async def _serve(self) -> None:
        config = self.config
        rpc_app = web.Application(client_max_size=config.max_body_bytes)
        rpc_app.router.add_route("*", "/{tail:.*}", self._http)
        self.rpc_port = await self._listen(rpc_app, config.rpc_port)
        ws_port = config.ws_port
        if ws_port is None:
            ws_port = 0 if config.rpc_port == 0 else config.rpc_port + 1
        ws_app = web.Application()
        ws_app.router.add_get("/{tail:.*}", self._websocket)
        self.ws_port = await self._listen(ws_app, ws_port)

    async def _listen(self, app: web.Application, port: int) -> int:
        runner = web.AppRunner(
            app, auto_decompress=False, access_log=None, handle_signals=False, shutdown_timeout=1.0
        )
        await runner.setup()
        self._runners.append(runner)
        site = web.TCPSite(runner, self.config.bind_address, port)
        await site.start()
        return site.port

    async def stop(self) -> None:
        for task in (self._ticker, self._sampler):
            if task is not None:
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task
        self._ticker = self._sampler = None
        if self._pubsub is not None:
            await self._pubsub.close_all()
        for runner in reversed(self._runners):
            await runner.cleanup()
        self._runners.clear()
        if self._chain is not None:
            self._chain.close()
            self._chain = None

    async def _tick(self) -> None:
        loop = asyncio.get_running_loop()
        interval = self.config.slot_ms / 1000
        deadline = loop.time() + interval
        while True:
            await asyncio.sleep(max(0.0, deadline - loop.time()))
            try:
                self.chain.advance_slot()
                self.chain.commit()
            except Exception:
                log.exception("advancing the slot failed")
            deadline = max(deadline + interval, loop.time())

    async def _sample_performance(self) -> None:
        """A getRecentPerformanceSamples entry every ``PERFORMANCE_SAMPLE_SECS``, as a validator takes."""
        while True:
            await asyncio.sleep(PERFORMANCE_SAMPLE_SECS)
            try:
                self.chain.record_performance_sample(PERFORMANCE_SAMPLE_SECS)
            except Exception:
                log.exception("recording a performance sample failed")

    # -- handlers ----------------------------------------------------------------------------------------

    async def _http(self, request: web.Request) -> web.StreamResponse:
        response = await self._answer(request)
        response.headers.update(_CORS)  # browsers (wallet adapters, dashboards) may call the node
        return response

    async def _answer(self, request: web.Request) -> web.Response:
        if request.method == "OPTIONS":
            return web.Response(status=200)
        if request.method == "GET" and request.path == "/health":
            return web.Response(text="ok")
        if request.method != "POST":
            return web.Response(status=405, text="use POST for JSON-RPC")
        try:
            body = await request.read()
        except web.HTTPRequestEntityTooLarge:
            return self._too_large()
        assert self._methods is not None
        if request.headers.get("Content-Encoding", "").lower() == "gzip" and body.startswith(_GZIP_MAGIC):
            try:
                body = _gunzip(body, self.config.max_body_bytes)
            except zlib.error:
                return _json(jsonrpc.error_response(RpcError(PARSE_ERROR, "Parse error")))
            except OverflowError:
                return self._too_large()
        response = jsonrpc.handle_body(self._methods.handlers, body)
        if response is None:
            return web.Response(status=200)
        return _json(response)

    def _too_large(self) -> web.Response:
        error = RpcError(INVALID_REQUEST, f"request body larger than {self.config.max_body_bytes} bytes")
        return _json(jsonrpc.error_response(error), status=413)

    async def _websocket(self, request: web.Request) -> web.StreamResponse:
        if request.headers.get("Upgrade", "").lower() != "websocket":
            return web.Response(status=400, text="websocket PubSub endpoint")
        assert self._pubsub is not None
        return await self._pubsub.websocket_handler(request)


def _json(value: Any, status: int = 200) -> web.Response:
    return web.Response(status=status, text=jsonrpc.dumps(value), content_type="application/json")


def _gunzip(body: bytes, limit: int) -> bytes:
    """Inflate a gzip body; zlib.error when corrupt, OverflowError beyond ``limit`` bytes."""
    inflater = zlib.decompressobj(16 + zlib.MAX_WBITS)
    data = inflater.decompress(body, limit + 1)
    if len(data) > limit or inflater.unconsumed_tail:
        raise OverflowError("inflated body too large")
    return data
