"""Websocket PubSub through solana-py's websocket client (and raw websockets for the edge cases).

Subscriptions at ``confirmed`` are notified when the transaction commits; at ``finalized`` (the default)
when its slot is rooted, 31 slots later, as on solana-test-validator (warps root them here).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import struct
from typing import Any
from urllib.parse import urlparse

import pytest
import websockets
from localnet_support import NEW_ACCOUNT_MINIMUM, SOL, build_tx, funded, send, transfer_ix
from solana.rpc.async_api import AsyncClient
from solana.rpc.commitment import Confirmed, Finalized
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
from solgrid.localnet.finality import ROOT_DISTANCE
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


def root_the_tip(node: LocalNode) -> int:
    """Warp so that the current tip becomes the root; returns that slot."""
    slot = node.chain.slot
    node.chain.warp_to_slot(slot + ROOT_DISTANCE)
    assert node.chain.root == slot
    return slot


async def test_logs_subscriptions(node: LocalNode, client: AsyncClient) -> None:
    payer = await funded(client, SOL)
    bystander = Keypair().pubkey()
    async with connect(node.ws_url) as ws:
        await ws.logs_subscribe(RpcTransactionLogsFilterMentions(payer.pubkey()), Confirmed)
        mentions_id = await subscribed(ws)
        await ws.logs_subscribe(RpcTransactionLogsFilter.All, Confirmed)
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
        await ws.logs_subscribe(RpcTransactionLogsFilterMentions(payer.pubkey()), Confirmed)
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
        await ws.account_subscribe(watched, Confirmed, encoding="base64")
        account_id = await subscribed(ws)
        await ws.program_subscribe(SYSTEM_PROGRAM, Confirmed, encoding="base64", filters=[0])
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
        await ws.signature_subscribe(tx.signatures[0], Confirmed)
        await subscribed(ws)
        await client.send_transaction(tx)
        note = await next_message(ws, SignatureNotification)
        assert note.result.value.err is None

        # Subscribing to an already committed signature notifies at once.
        await ws.signature_subscribe(tx.signatures[0], Confirmed)
        await subscribed(ws)
        again = await next_message(ws, SignatureNotification)
        assert again.result.value.err is None


async def test_signature_unsubscribe_stops_the_notification(node: LocalNode, client: AsyncClient) -> None:
    payer = await funded(client, SOL)
    async with connect(node.ws_url) as ws:
        tx = await build_tx(client, payer, [transfer_ix(payer, Keypair().pubkey(), NEW_ACCOUNT_MINIMUM)])
        await ws.signature_subscribe(tx.signatures[0], Confirmed)
        dropped = await subscribed(ws)
        await ws.signature_unsubscribe(dropped)
        assert (await next_message(ws, UnsubscribeResult)).result is True

        await client.confirm_transaction((await client.send_transaction(tx)).value)
        # Had `dropped` stayed, its notification would be queued before this subscription's answer.
        await ws.signature_subscribe(tx.signatures[0], Confirmed)
        notified: list[int] = []
        kept = None
        while kept is None or kept not in notified:
            for message in await asyncio.wait_for(ws.recv(), TIMEOUT):
                if isinstance(message, SubscriptionResult):
                    kept = int(message.result)
                elif isinstance(message, SignatureNotification):
                    notified.append(message.subscription)
        assert notified == [kept]


async def test_finalized_subscriptions_are_notified_at_the_root(node: LocalNode, client: AsyncClient) -> None:
    """At finalized commitment logs, signatures and accounts are notified when their slot is rooted, with
    the account's state at the root (not the tip's)."""
    if node.chain.slot <= ROOT_DISTANCE:  # past the first slots, whose root is slot 0
        node.chain.warp_to_slot(ROOT_DISTANCE + 1)
    payer = await funded(client, SOL)
    watched = Keypair().pubkey()
    async with connect(node.ws_url) as ws:
        await ws.account_subscribe(watched, Finalized, encoding="base64")
        account_id = await subscribed(ws)
        await ws.program_subscribe(SYSTEM_PROGRAM, Finalized, encoding="base64", filters=[0])
        program_id = await subscribed(ws)
        await ws.logs_subscribe(RpcTransactionLogsFilterMentions(watched))  # finalized: the default
        logs_id = await subscribed(ws)
        first = await build_tx(client, payer, [transfer_ix(payer, watched, SOL // 4)])
        await ws.signature_subscribe(first.signatures[0], Finalized)
        signature_id = await subscribed(ws)

        await client.confirm_transaction((await client.send_transaction(first)).value)
        first_slot = node.chain.slot
        node.chain.warp_to_slot(first_slot + 1)
        second = await send(client, payer, [transfer_ix(payer, watched, SOL // 2)])
        second_slot = (await client.get_signature_statuses([second])).value[0].slot  # type: ignore[union-attr]
        early = []  # (other accounts of older slots get rooted meanwhile)
        with contextlib.suppress(TimeoutError):
            while True:
                early += await asyncio.wait_for(ws.recv(), 0.5)
        assert not [m for m in early if m.subscription in (account_id, logs_id, signature_id)]
        assert not [m for m in early if m.subscription == program_id and m.result.value.pubkey == watched]

        node.chain.warp_to_slot(first_slot + ROOT_DISTANCE)  # roots the first transfer's slot only
        seen: dict[int, Any] = {}
        while len(seen) < 4:
            for message in await asyncio.wait_for(ws.recv(), TIMEOUT):
                if isinstance(message, ProgramNotification) and message.result.value.pubkey != watched:
                    continue
                notified = (AccountNotification, LogsNotification, ProgramNotification, SignatureNotification)
                if isinstance(message, notified):
                    seen.setdefault(message.subscription, message.result)
        assert seen[account_id].context.slot == first_slot
        assert seen[account_id].value.lamports == SOL // 4  # the state at the root, not the tip's
        assert seen[program_id].value.account.lamports == SOL // 4
        assert seen[logs_id].value.signature == first.signatures[0]
        assert seen[signature_id].context.slot == first_slot and seen[signature_id].value.err is None

        if node.chain.slot < second_slot + ROOT_DISTANCE:  # (the node's own slots may have rooted it)
            node.chain.warp_to_slot(second_slot + ROOT_DISTANCE)
        later = await next_message(ws, AccountNotification)
        assert later.result.context.slot >= second_slot and later.result.value.lamports == 3 * SOL // 4


async def test_slot_and_root_subscriptions(node: LocalNode) -> None:
    if node.chain.slot <= ROOT_DISTANCE:
        node.chain.warp_to_slot(ROOT_DISTANCE + 1)
    async with connect(node.ws_url) as ws:
        await ws.slot_subscribe()
        slot_id = await subscribed(ws)
        first = await next_message(ws, SlotNotification)
        second = await next_message(ws, SlotNotification)
        assert first.subscription == slot_id
        assert second.result.slot > first.result.slot == second.result.parent
        assert second.result.root == max(0, second.result.slot - ROOT_DISTANCE)
        await ws.root_subscribe()
        await subscribed(ws)
        root = await next_message(ws, RootNotification)
        later = await next_message(ws, SlotNotification)
        assert root.result == later.result.root == later.result.slot - ROOT_DISTANCE
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
        slot = root_the_tip(node)  # finalized: notified once the transaction's slot is rooted
        processed = json.loads(await ws.recv())
        assert processed["params"]["result"] == {"context": {"slot": slot}, "value": {"err": None}}
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
    subscribe = {
        "jsonrpc": "2.0",
        "id": 1,
        "method": "accountSubscribe",
        "params": [str(watched), {"commitment": "confirmed"}],
    }
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
