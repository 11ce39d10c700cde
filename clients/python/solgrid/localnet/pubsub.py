"""Websocket PubSub: account, program, logs, signature, slot and root subscriptions.

Notifications are produced synchronously by the chain (it calls this object as a ``ChainListener``) and
queued per connection; a writer task per connection sends them in order, after the response of the
subscribe request that created them. Subscriptions at ``processed`` or ``confirmed`` commitment are
notified when a transaction commits; those at ``finalized`` (the default, as on a validator) when its
slot is rooted, 31 slots later (``finality``), with the account state at the root. Slot notifications
carry the root; root subscriptions get each new root. A signature that is already committed when it is
subscribed to is notified immediately (at ``finalized``, once rooted), so "send, then subscribe" cannot
miss it. A connection that stops reading is closed once its queue holds ``MAX_QUEUED`` messages.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import logging
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from aiohttp import WSMsgType, web
from solders.account import Account
from solders.pubkey import Pubkey

from solgrid.localnet import encoding as enc
from solgrid.localnet import jsonrpc, txmeta
from solgrid.localnet.chain import Chain
from solgrid.localnet.filters import parse_filters
from solgrid.localnet.finality import Commitment, commitment_of
from solgrid.localnet.params import Params, parse_bool, parse_pubkey, parse_signature
from solgrid.localnet.rpc_errors import INVALID_PARAMS, RpcError, invalid_params
from solgrid.localnet.tx_outcomes import CommittedTransaction

log = logging.getLogger("solgrid.localnet")

MAX_QUEUED = 100_000
MAX_MESSAGE_BYTES = 1 << 20


class Connection:
    """One websocket client: its outgoing queue and its subscription ids.

    ``on_overflow`` runs once, when a message finds ``MAX_QUEUED`` others still waiting: the client has
    stopped reading, so the endpoint drops its subscriptions and closes the socket.
    """

    def __init__(self, on_overflow: Callable[[], None] = lambda: None) -> None:
        self.queue: asyncio.Queue[str | None] = asyncio.Queue()
        self.subscriptions: set[int] = set()
        self.deferred: list[Callable[[], None]] = []
        self.overflowed = False
        self.on_overflow = on_overflow

    def send(self, message: dict[str, Any]) -> None:
        if self.overflowed:
            return
        if self.queue.qsize() >= MAX_QUEUED:
            self.overflowed = True
            self.on_overflow()
            return
        self.queue.put_nowait(jsonrpc.dumps(message))


@dataclass(eq=False)
class Subscription:
    id: int
    kind: str
    connection: Connection
    key: Any = None
    encoding: str = enc.BINARY
    data_slice: enc.DataSlice | None = None
    filters: list[Any] = field(default_factory=list)
    finalized: bool = False
    """Notified when the slot is rooted rather than when the transaction commits."""

    def notify(self, method: str, result: Any) -> None:
        self.connection.send(
            {"jsonrpc": "2.0", "method": method, "params": {"result": result, "subscription": self.id}}
        )


class PubSub:
    """Subscription registry and the chain listener that fans notifications out."""

    def __init__(self, chain: Chain) -> None:
        self.chain = chain
        self._ids = itertools.count(1)
        self._by_id: dict[int, Subscription] = {}
        self._accounts: dict[Pubkey, dict[int, Subscription]] = defaultdict(dict)
        self._programs: dict[Pubkey, dict[int, Subscription]] = defaultdict(dict)
        self._logs_all: dict[int, Subscription] = {}
        self._logs_mentions: dict[Pubkey, dict[int, Subscription]] = defaultdict(dict)
        self._signatures: dict[bytes, dict[int, Subscription]] = defaultdict(dict)
        self._slots: dict[int, Subscription] = {}
        self._roots: dict[int, Subscription] = {}
        self._unrooted: dict[int, list[CommittedTransaction]] = {}
        """Transactions of slots newer than the root (for finalized logs and signature subscriptions)."""
        self.connections: set[Connection] = set()
        self._sockets: set[web.WebSocketResponse] = set()
        chain.listeners.append(self)

    # -- chain listener ---------------------------------------------------------------------------------

    def _context(self, slot: int, value: Any) -> dict[str, Any]:
        return {"context": {"slot": slot}, "value": value}

    def _encode(self, sub: Subscription, account: Account) -> Any:
        try:
            return enc.encode_account(
                account,
                sub.encoding,
                sub.data_slice,
                lambda m: txmeta.mint_decimals(self.chain.get_account, m),
            )
        except RpcError:
            return enc.encode_account(account, enc.BASE64, sub.data_slice)

    def on_accounts(self, slot: int, accounts: Sequence[tuple[Pubkey, Account]]) -> None:
        self._notify_accounts(slot, accounts, finalized=False)

    def _notify_accounts(
        self, slot: int, accounts: Iterable[tuple[Pubkey, Account]], *, finalized: bool
    ) -> None:
        for pubkey, account in accounts:
            for sub in list(self._accounts.get(pubkey, {}).values()):
                if sub.finalized == finalized:
                    sub.notify("accountNotification", self._context(slot, self._encode(sub, account)))
            for sub in list(self._programs.get(account.owner, {}).values()):
                if sub.finalized == finalized and all(f(pubkey, account) for f in sub.filters):
                    value = {"pubkey": str(pubkey), "account": self._encode(sub, account)}
                    sub.notify("programNotification", self._context(slot, value))

    def on_transaction(self, tx: CommittedTransaction) -> None:
        self._notify_transaction(tx, finalized=False)
        # The root is always behind the tip: notified at ``finalized`` once the slot is rooted.
        self._unrooted.setdefault(tx.slot, []).append(
            CommittedTransaction(tx.signature, tx.slot, tx.err, tx.logs, tx.account_keys, [])
        )
        self.on_accounts(tx.slot, tx.written)

    def _notify_transaction(self, tx: CommittedTransaction, *, finalized: bool) -> None:
        value = {"signature": str(tx.signature), "err": tx.err, "logs": tx.logs}
        receivers = list(self._logs_all.values())
        for key in tx.account_keys:
            receivers += self._logs_mentions.get(key, {}).values()
        for sub in receivers:
            if sub.finalized == finalized:
                sub.notify("logsNotification", self._context(tx.slot, value))
        for sub in list(self._signatures.get(bytes(tx.signature), {}).values()):
            if sub.finalized == finalized:
                sub.notify("signatureNotification", self._context(tx.slot, {"err": tx.err}))
                self._remove(sub.id)

    def on_slot(self, slot: int, parent: int) -> None:
        for sub in list(self._slots.values()):
            sub.notify("slotNotification", {"parent": parent, "root": self.chain.root, "slot": slot})

    def on_root(self, root: int, rooted: Sequence[tuple[Pubkey, Account]]) -> None:
        for slot in sorted(s for s in self._unrooted if s <= root):
            for tx in self._unrooted.pop(slot):
                self._notify_transaction(tx, finalized=True)
        self._notify_accounts(root, rooted, finalized=True)
        for sub in list(self._roots.values()):
            sub.notify("rootNotification", root)

    # -- subscriptions ----------------------------------------------------------------------------------

    def _add(
        self, connection: Connection, kind: str, registry: dict[int, Subscription], **fields: Any
    ) -> int:
        sub = Subscription(next(self._ids), kind, connection, **fields)
        self._by_id[sub.id] = sub
        registry[sub.id] = sub
        connection.subscriptions.add(sub.id)
        return sub.id

    def _remove(self, sub_id: int) -> bool:
        sub = self._by_id.pop(sub_id, None)
        if sub is None:
            return False
        sub.connection.subscriptions.discard(sub_id)
        registries: dict[str, Any] = {
            "account": self._accounts.get(sub.key),
            "program": self._programs.get(sub.key),
            "logs": self._logs_all if sub.key is None else self._logs_mentions.get(sub.key),
            "signature": self._signatures.get(sub.key),
            "slot": self._slots,
            "root": self._roots,
        }
        registry = registries[sub.kind]
        if registry is not None:
            registry.pop(sub_id, None)
        return True

    def handlers_for(self, connection: Connection) -> dict[str, Callable[[Any], Any]]:
        def unsubscribe(kind: str) -> Callable[[Any], Any]:
            def handler(raw: Any) -> Any:
                sub_id = Params(raw, required=1, maximum=1).get(0)
                sub = self._by_id.get(sub_id) if isinstance(sub_id, int) else None
                if sub is None or sub.connection is not connection or sub.kind != kind:
                    raise RpcError(INVALID_PARAMS, "Invalid subscription id.")
                return self._remove(sub_id)

            return handler

        handlers: dict[str, Callable[[Any], Any]] = {
            "accountSubscribe": lambda raw: self._account_subscribe(connection, raw),
            "programSubscribe": lambda raw: self._program_subscribe(connection, raw),
            "logsSubscribe": lambda raw: self._logs_subscribe(connection, raw),
            "signatureSubscribe": lambda raw: self._signature_subscribe(connection, raw),
            "slotSubscribe": lambda raw: self._simple_subscribe(connection, raw, "slot", self._slots),
            "rootSubscribe": lambda raw: self._simple_subscribe(connection, raw, "root", self._roots),
        }
        for kind in ("account", "program", "logs", "signature", "slot", "root"):
            handlers[f"{kind}Unsubscribe"] = unsubscribe(kind)
        return handlers

    def _account_subscribe(self, connection: Connection, raw: Any) -> int:
        params = Params(raw, required=1, maximum=2)
        pubkey = params.pubkey(0)
        config = params.config(1)
        encoding = enc.parse_account_encoding(config.get("encoding"))
        data_slice = enc.parse_data_slice(config.get("dataSlice"))
        return self._add(
            connection,
            "account",
            self._accounts[pubkey],
            key=pubkey,
            encoding=encoding,
            data_slice=data_slice,
            finalized=_finalized(config),
        )

    def _program_subscribe(self, connection: Connection, raw: Any) -> int:
        params = Params(raw, required=1, maximum=2)
        program = params.pubkey(0)
        config = params.config(1)
        return self._add(
            connection,
            "program",
            self._programs[program],
            key=program,
            encoding=enc.parse_account_encoding(config.get("encoding")),
            data_slice=enc.parse_data_slice(config.get("dataSlice")),
            filters=parse_filters(config.get("filters")),
            finalized=_finalized(config),
        )

    def _logs_subscribe(self, connection: Connection, raw: Any) -> int:
        params = Params(raw, required=1, maximum=2)
        finalized = _finalized(params.config(1))
        selector = params.get(0)
        if selector in ("all", "allWithVotes"):
            return self._add(connection, "logs", self._logs_all, finalized=finalized)
        if (
            isinstance(selector, dict)
            and set(selector) == {"mentions"}
            and isinstance(selector["mentions"], list)
        ):
            if len(selector["mentions"]) != 1:
                raise invalid_params("Invalid Request: Only 1 address supported")
            pubkey = parse_pubkey(selector["mentions"][0])
            return self._add(connection, "logs", self._logs_mentions[pubkey], key=pubkey, finalized=finalized)
        raise invalid_params('logs filter must be "all", "allWithVotes" or {"mentions": [<pubkey>]}')

    def _signature_subscribe(self, connection: Connection, raw: Any) -> int:
        params = Params(raw, required=1, maximum=2)
        signature = parse_signature(params.get(0))
        config = params.config(1)
        received = parse_bool(config, "enableReceivedNotification", False)
        key = bytes(signature)
        finalized = _finalized(config)
        sub_id = self._add(connection, "signature", self._signatures[key], key=key, finalized=finalized)
        sub = self._by_id[sub_id]
        status = self.chain.store.signature_status(key)
        if status is not None and finalized and status.slot > self.chain.root:
            status = None  # committed, not rooted yet: notified with its slot's root (``on_root``)

        def notify_now() -> None:
            if status is not None and sub_id in self._by_id:
                sub.notify("signatureNotification", self._context(status.slot, {"err": status.err}))
                self._remove(sub_id)
            elif received:
                sub.notify("signatureNotification", self._context(self.chain.slot, "receivedSignature"))

        connection.deferred.append(notify_now)
        return sub_id

    def _simple_subscribe(
        self, connection: Connection, raw: Any, kind: str, registry: dict[int, Subscription]
    ) -> int:
        Params(raw, maximum=1).config(0)
        return self._add(connection, kind, registry)

    def drop_connection(self, connection: Connection) -> None:
        for sub_id in list(connection.subscriptions):
            self._remove(sub_id)
        self.connections.discard(connection)

    # -- websocket endpoint -----------------------------------------------------------------------------

    async def websocket_handler(self, request: web.Request) -> web.StreamResponse:
        ws = web.WebSocketResponse(max_msg_size=MAX_MESSAGE_BYTES, heartbeat=None)
        await ws.prepare(request)
        self._sockets.add(ws)
        reader = asyncio.current_task()
        connection = Connection()
        self.connections.add(connection)
        handlers = self.handlers_for(connection)
        writer = asyncio.create_task(_write_loop(ws, connection))

        def overflowed() -> None:
            # The writer is stuck in a send the client does not read, and the reader waits for a
            # message the client may never send: stop both, then close below.
            log.warning("closing a websocket client that stopped reading (%d messages queued)", MAX_QUEUED)
            self.drop_connection(connection)
            writer.cancel()
            if reader is not None:
                reader.cancel()

        connection.on_overflow = overflowed
        try:
            async for message in ws:
                if message.type == WSMsgType.TEXT:
                    body = message.data.encode()
                elif message.type == WSMsgType.BINARY:
                    body = message.data
                else:
                    break
                response = jsonrpc.handle_body(handlers, body)
                if response is not None:
                    connection.queue.put_nowait(jsonrpc.dumps(response))
                deferred, connection.deferred = connection.deferred, []
                for action in deferred:
                    action()
                if connection.overflowed:
                    break
        except asyncio.CancelledError:
            if not connection.overflowed:
                raise
        finally:
            self.drop_connection(connection)
            connection.queue.put_nowait(None)
            with contextlib.suppress(Exception, asyncio.CancelledError):
                await writer
            if connection.overflowed:
                await _abort(ws, request)
            else:
                await ws.close()
            self._sockets.discard(ws)
        return ws

    async def close_all(self) -> None:
        """Close every websocket (server shutdown); their handlers then clean up."""
        for ws in list(self._sockets):
            with contextlib.suppress(Exception):
                await ws.close(message=b"node shutting down")


def _finalized(config: dict[str, Any]) -> bool:
    """Whether a subscription's commitment (finalized when it names none) waits for the root."""
    return commitment_of(config.get("commitment")) is Commitment.FINALIZED


async def _abort(ws: web.WebSocketResponse, request: web.Request) -> None:
    """Close a connection whose client stopped reading: a close frame if it still fits, then the TCP
    connection itself (a close handshake would wait for the same client)."""
    with contextlib.suppress(Exception):
        await asyncio.wait_for(ws.close(code=1008, message=b"subscriber too slow"), 1.0)
    if request.transport is not None:
        request.transport.abort()


async def _write_loop(ws: web.WebSocketResponse, connection: Connection) -> None:
    while True:
        text = await connection.queue.get()
        if text is None:
            return
        try:
            await ws.send_str(text)
        except (ConnectionError, RuntimeError):
            return
