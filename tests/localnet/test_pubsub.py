"""Websocket PubSub through solana-py's websocket client (and raw websockets for the edge cases)."""

from __future__ import annotations

import asyncio
import json
import os
import struct
from typing import Any
from urllib.parse import urlparse

import pytest
import websockets
from localnet_support import NEW_ACCOUNT_MINIMUM, SOL, build_tx, funded, send, transfer_ix
from solana.rpc.async_api import AsyncClient
from solana.rpc.types import TxOpts
from solana.rpc.websocket_api import SolanaWsClientProtocol, connect
from solders.account import Account
from solders.keypair import Keypair
from solders.rpc.config import RpcTransactionLogsFilter, RpcTransactionLogsFilterMentions
from solders.rpc.responses import (
    AccountNotification,
    LogsNotification,
    ProgramNotification,
    RootNotification,
    SignatureNotification,
    SlotNotification,
    SubscriptionResult,
    UnsubscribeResult,
)
from solders.system_program import ID as SYSTEM_PROGRAM

from solgrid.localnet import pubsub
from solgrid.localnet.server import LocalNode

pytestmark = pytest.mark.asyncio(loop_scope="module")

TIMEOUT = 5.0


async def next_message(ws: SolanaWsClientProtocol, kind: type) -> Any:
    """The next message of ``kind``, skipping others (slot notifications interleave freely)."""
    while True:
        for message in await asyncio.wait_for(ws.recv(), TIMEOUT):
            if isinstance(message, kind):
                return message


async def subscribed(ws: SolanaWsClientProtocol) -> int:
    result = await next_message(ws, SubscriptionResult)
    return int(result.result)


async def test_logs_subscriptions(node: LocalNode, client: AsyncClient) -> None:
    payer = await funded(client, SOL)
    bystander = Keypair().pubkey()
    async with connect(node.ws_url) as ws:
        await ws.logs_subscribe(RpcTransactionLogsFilterMentions(payer.pubkey()))
        mentions_id = await subscribed(ws)
        await ws.logs_subscribe(RpcTransactionLogsFilter.All)
        all_id = await subscribed(ws)
        assert mentions_id != all_id

        other = await funded(client, SOL)
        await send(
            client, other, [transfer_ix(other, bystander, NEW_ACCOUNT_MINIMUM)]
        )  # mentions only `other`
        signature = await send(client, payer, [transfer_ix(payer, bystander, 2)])
        seen: dict[int, list[str]] = {mentions_id: [], all_id: []}
        while str(signature) not in seen[mentions_id] or str(signature) not in seen[all_id]:
            note = await next_message(ws, LogsNotification)
            seen[note.subscription].append(str(note.result.value.signature))
            assert note.result.value.err is None
            assert f"Program {SYSTEM_PROGRAM} invoke [1]" in note.result.value.logs
        assert seen[mentions_id] == [str(signature)]
        assert len(seen[all_id]) >= 3  # airdrop and transfer of `other`, then the payer's transfer

        await ws.logs_unsubscribe(mentions_id)
        assert (await next_message(ws, UnsubscribeResult)).result is True


async def test_failed_transaction_logs_carry_the_error(node: LocalNode, client: AsyncClient) -> None:
    payer = await funded(client, SOL)
    async with connect(node.ws_url) as ws:
        await ws.logs_subscribe(RpcTransactionLogsFilterMentions(payer.pubkey()))
        await subscribed(ws)
        tx = await build_tx(client, payer, [transfer_ix(payer, Keypair().pubkey(), 5 * SOL)])
        await client.send_transaction(tx, TxOpts(skip_preflight=True))
        note = await next_message(ws, LogsNotification)
        assert note.result.value.signature == tx.signatures[0]
        assert note.result.value.err is not None
        assert "custom program error: 0x1" in note.result.value.logs[-1]


async def test_account_and_program_subscriptions(node: LocalNode, client: AsyncClient) -> None:
    payer = await funded(client, SOL)
    watched = Keypair().pubkey()
    async with connect(node.ws_url) as ws:
        await ws.account_subscribe(watched, encoding="base64")
        account_id = await subscribed(ws)
        await ws.program_subscribe(SYSTEM_PROGRAM, encoding="base64", filters=[0])
        program_id = await subscribed(ws)

        await send(client, payer, [transfer_ix(payer, watched, 123_456_789)])
        account_note = await next_message(ws, AccountNotification)
        assert account_note.subscription == account_id
        assert account_note.result.value.lamports == 123_456_789
        assert account_note.result.value.owner == SYSTEM_PROGRAM

        watched_seen = False
        while not watched_seen:
            program_note = await next_message(ws, ProgramNotification)
            assert program_note.subscription == program_id
            watched_seen = program_note.result.value.pubkey == watched
        await ws.account_unsubscribe(account_id)
        assert (await next_message(ws, UnsubscribeResult)).result is True
        await ws.program_unsubscribe(program_id)
        assert (await next_message(ws, UnsubscribeResult)).result is True


async def test_signature_subscription_before_and_after_commit(node: LocalNode, client: AsyncClient) -> None:
    payer = await funded(client, SOL)
    async with connect(node.ws_url) as ws:
        tx = await build_tx(client, payer, [transfer_ix(payer, Keypair().pubkey(), NEW_ACCOUNT_MINIMUM)])
        await ws.signature_subscribe(tx.signatures[0])
        await subscribed(ws)
        await client.send_transaction(tx)
        note = await next_message(ws, SignatureNotification)
        assert note.result.value.err is None

        # Subscribing to an already committed signature notifies at once.
        await ws.signature_subscribe(tx.signatures[0])
        await subscribed(ws)
        again = await next_message(ws, SignatureNotification)
        assert again.result.value.err is None


async def test_signature_unsubscribe_stops_the_notification(node: LocalNode, client: AsyncClient) -> None:
    payer = await funded(client, SOL)
    async with connect(node.ws_url) as ws:
        tx = await build_tx(client, payer, [transfer_ix(payer, Keypair().pubkey(), NEW_ACCOUNT_MINIMUM)])
        await ws.signature_subscribe(tx.signatures[0])
        dropped = await subscribed(ws)
        await ws.signature_unsubscribe(dropped)
        assert (await next_message(ws, UnsubscribeResult)).result is True

        await client.confirm_transaction((await client.send_transaction(tx)).value)
        # Had `dropped` stayed, its notification would be queued before this subscription's answer.
        await ws.signature_subscribe(tx.signatures[0])
        notified: list[int] = []
        kept = None
        while kept is None or kept not in notified:
            for message in await asyncio.wait_for(ws.recv(), TIMEOUT):
                if isinstance(message, SubscriptionResult):
                    kept = int(message.result)
                elif isinstance(message, SignatureNotification):
                    notified.append(message.subscription)
        assert notified == [kept]


async def test_slot_and_root_subscriptions(node: LocalNode) -> None:
    async with connect(node.ws_url) as ws:
        await ws.slot_subscribe()
        slot_id = await subscribed(ws)
        first = await next_message(ws, SlotNotification)
        second = await next_message(ws, SlotNotification)
        assert first.subscription == slot_id
        assert second.result.slot > first.result.slot == second.result.parent
        await ws.root_subscribe()
        await subscribed(ws)
        root = await next_message(ws, RootNotification)
        assert root.result > second.result.slot - 1
        await ws.slot_unsubscribe(slot_id)
        assert (await next_message(ws, UnsubscribeResult)).result is True


async def test_raw_protocol_edges(node: LocalNode, client: AsyncClient) -> None:
    async with websockets.connect(node.ws_url) as ws:
        await ws.send("not json")
        assert json.loads(await ws.recv())["error"]["code"] == -32700
        await ws.send(
            json.dumps({"jsonrpc": "2.0", "id": 1, "method": "accountUnsubscribe", "params": [999_999]})
        )
        answer = json.loads(await ws.recv())
        assert answer["error"] == {"code": -32602, "message": "Invalid subscription id."}
        await ws.send(json.dumps({"jsonrpc": "2.0", "id": 2, "method": "blockSubscribe", "params": []}))
        assert json.loads(await ws.recv())["error"]["code"] == -32601
        mentions_two = {"mentions": [str(Keypair().pubkey()), str(Keypair().pubkey())]}
        await ws.send(
            json.dumps({"jsonrpc": "2.0", "id": 3, "method": "logsSubscribe", "params": [mentions_two]})
        )
        assert json.loads(await ws.recv())["error"]["code"] == -32602

        payer = await funded(client, SOL)
        tx = await build_tx(client, payer, [transfer_ix(payer, Keypair().pubkey(), NEW_ACCOUNT_MINIMUM)])
        config = {"commitment": "finalized", "enableReceivedNotification": True}
        await ws.send(
            json.dumps(
                {
                    "jsonrpc": "2.0",
                    "id": 4,
                    "method": "signatureSubscribe",
                    "params": [str(tx.signatures[0]), config],
                }
            )
        )
        sub_id = json.loads(await ws.recv())["result"]
        received = json.loads(await ws.recv())
        assert received["method"] == "signatureNotification"
        assert received["params"] == {
            "result": {
                "context": {"slot": received["params"]["result"]["context"]["slot"]},
                "value": "receivedSignature",
            },
            "subscription": sub_id,
        }
        await client.send_transaction(tx)
        processed = json.loads(await ws.recv())
        assert processed["params"]["result"]["value"] == {"err": None}
    # The server is still serving other clients.
    assert (await client.get_balance(payer.pubkey())).value == SOL - 5000 - NEW_ACCOUNT_MINIMUM


def masked_text_frame(text: str) -> bytes:
    """One client-to-server websocket text frame (clients must mask their frames)."""
    payload = text.encode()
    mask = os.urandom(4)
    size = len(payload)
    length = bytes([0x80 | size]) if size < 126 else bytes([0x80 | 126]) + struct.pack(">H", size)
    return bytes([0x81]) + length + mask + bytes(b ^ mask[i % 4] for i, b in enumerate(payload))


async def test_a_client_that_stops_reading_is_disconnected(
    node: LocalNode, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Notifications for a client that no longer reads pile up only to MAX_QUEUED: then the node drops
    its subscriptions and the connection, and goes on serving everyone else."""
    monkeypatch.setattr(pubsub, "MAX_QUEUED", 4)
    watched = Keypair().pubkey()
    url = urlparse(node.ws_url)
    others = len(node.pubsub.connections)
    # A raw client: after the handshake it never reads again, so the socket buffers fill up.
    reader, writer = await asyncio.open_connection(url.hostname, url.port)
    writer.write(
        f"GET / HTTP/1.1\r\nHost: {url.netloc}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
        "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n".encode()
    )
    assert (await reader.readuntil(b"\r\n\r\n")).startswith(b"HTTP/1.1 101 ")
    subscribe = {"jsonrpc": "2.0", "id": 1, "method": "accountSubscribe", "params": [str(watched)]}
    writer.write(masked_text_frame(json.dumps(subscribe)))
    await writer.drain()
    while sum(len(c.subscriptions) for c in node.pubsub.connections) == 0:
        await asyncio.sleep(0.01)
    # 4 MB accounts: a few notifications fill the socket buffers, the next ones the queue.
    for i in range(40):
        node.chain.set_account(watched, Account(10**9, bytes([i]) * (4 << 20), SYSTEM_PROGRAM, False, 0))
        await asyncio.sleep(0.02)
        if len(node.pubsub.connections) == others:
            break
    assert len(node.pubsub.connections) == others
    assert await asyncio.wait_for(reader.read(), TIMEOUT) is not None  # what was sent, then EOF
    writer.close()

    async with connect(node.ws_url) as ws:  # the node still serves
        await ws.slot_subscribe()
        assert await subscribed(ws) > 0
