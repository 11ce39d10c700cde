"""The indexer against real transactions on a local node: tables, audit log, idempotence and the feed."""

from __future__ import annotations

import asyncio
import json
from typing import Any

from indexer_support import DbView, eventually, running
from market import ZONE_ID, Market, MarketNode
from sqlalchemy import select
from websockets.asyncio.client import ClientConnection, connect

from solgrid.indexer.backfill import pending_signatures
from solgrid.indexer.chain import RpcChainReader
from solgrid.indexer.models import Burn, Checkpoint, Meter, MeterReading, TokenMint, User
from solgrid.indexer.service import IndexerConfig
from solgrid.indexer.store import Store


async def subscribe(url: str, sid: str, topics: dict[str, Any] | None) -> ClientConnection:
    socket = await connect(url)
    await socket.send(json.dumps({"op": "subscribe", "id": sid, "filter": topics}))
    assert json.loads(await socket.recv()) == {"type": "subscribed", "id": sid}
    return socket


async def drain(socket: ClientConnection) -> list[dict[str, Any]]:
    """Every event message the feed has sent so far (stops after a quiet 0.5 s)."""
    got: list[dict[str, Any]] = []
    while True:
        try:
            got.append(json.loads(await asyncio.wait_for(socket.recv(), 0.5)))
        except TimeoutError:
            return got


async def test_live_indexing_of_the_market_flow_with_feed_filters(
    market_node: MarketNode, db_url: str
) -> None:
    market = Market(market_node.rpc_url, market_node.authority)
    view = DbView(db_url)
    config = IndexerConfig(
        db_url=db_url, rpc_url=market_node.rpc_url, ws_url=market_node.ws_url, feed_port=0, poll_interval=30.0
    )
    try:
        async with running(config) as service:
            feed = f"ws://127.0.0.1:{service.feed.port}"
            zone_users = await subscribe(feed, "zu", {"zone": ZONE_ID, "event": "UserStatusChanged"})
            a = await market.prosumer()
            b = await market.prosumer()
            # the meters' registrations are indexed before their subscriptions start
            await eventually(lambda: view.has_all(market.signatures), "the prosumers indexed")
            sockets = {
                "zone_users": zone_users,
                "readings": await subscribe(feed, "r", {"event": "ReadingAccepted"}),
                "meter_a": await subscribe(feed, "m", {"meter": str(a.meter)}),
                "token_zone": await subscribe(feed, "t", {"program": "energy_token", "zone": ZONE_ID}),
                "user_b": await subscribe(
                    feed, "u", {"user": [str(b.wallet.pubkey())], "event": ["GridMinted", "GridBurned"]}
                ),
                "other_zone": await subscribe(feed, "z", {"zone": ZONE_ID + 100}),
            }
            bad = await connect(feed)
            await bad.send(json.dumps({"op": "subscribe", "id": 1, "filter": {"colour": "red"}}))
            assert json.loads(await bad.recv())["type"] == "error"
            await bad.close()

            await market.readings(a, 4)
            await market.readings(b, 3)
            await market.settle(a)
            await market.settle(b)
            await market.burn(b, 1000)
            await eventually(lambda: view.has_all(market.signatures), "every landed transaction indexed")

            for p, n in ((a, 4), (b, 3)):
                meter = (await view.rows(Meter, Meter.address == str(p.meter)))[0]
                chain = await market.registry.fetch_meter(market.rpc, p.serial)
                assert chain is not None
                assert (int(meter.produced_wh), int(meter.consumed_wh), int(meter.settled_wh)) == (
                    chain.produced_wh,
                    chain.consumed_wh,
                    chain.settled_wh,
                )
                assert meter.status == "Active" and meter.zone_id == ZONE_ID
                assert len(await view.rows(MeterReading, MeterReading.meter == str(p.meter))) == n
                minted = await view.rows(TokenMint, TokenMint.meter == str(p.meter))
                balance = await market.token.fetch_balance(market.rpc, p.wallet.pubkey())
                burned = await view.rows(Burn, Burn.holder == str(p.wallet.pubkey()))
                assert sum(int(m.amount) for m in minted) - sum(int(x.amount) for x in burned) == balance
                user = (await view.rows(User, User.authority == str(p.wallet.pubkey())))[0]
                assert (user.status, user.role, user.zone_id) == ("Verified", "Prosumer", ZONE_ID)

            received = {name: await drain(s) for name, s in sockets.items()}
            for s in sockets.values():
                await s.close()
            names = {k: [m["event"]["name"] for m in v] for k, v in received.items()}
            ours = {str(a.meter), str(b.meter)}
            assert [m["event"]["data"]["meter"] for m in received["readings"]] == [str(a.meter)] * 4 + [
                str(b.meter)
            ] * 3
            assert names["meter_a"] == ["ReadingAccepted"] * 4 + ["MeterSettled", "GridMinted"]
            assert names["token_zone"] == ["GridMinted", "GridMinted", "GridBurned"]  # b's burn: b's zone
            assert {m["event"]["data"]["meter"] for m in received["token_zone"][:2]} == ours
            wallets = [str(p.wallet.pubkey()) for p in (a, b)]
            assert [m["event"]["data"]["authority"] for m in received["zone_users"]] == wallets
            assert names["user_b"] == ["GridMinted", "GridBurned"]
            assert received["other_zone"] == []
            assert all(m["type"] == "event" for v in received.values() for m in v)
            # what the feed pushed is what the audit log holds
            pushed = received["meter_a"][0]["event"]
            stored = await view.events(
                signature=pushed["signature"],
                instruction_index=pushed["instruction_index"],
                event_index=pushed["event_index"],
            )
            assert len(stored) == 1 and stored[0].data == pushed["data"] and stored[0].name == pushed["name"]
            # instruction_index is the message's: the reading batch's Ed25519 check comes first
            async with RpcChainReader(market_node.rpc_url) as reader:
                raw = await reader.call(
                    "getTransaction",
                    [
                        pushed["signature"],
                        {"encoding": "json", "maxSupportedTransactionVersion": 0, "commitment": "confirmed"},
                    ],
                )
            message = raw["transaction"]["message"]
            instruction = message["instructions"][pushed["instruction_index"]]
            assert pushed["instruction_index"] > 0
            assert message["accountKeys"][instruction["programIdIndex"]] == pushed["program"]

        # Idempotence against the real chain: store every transaction of the history again.
        before = await view.counts()
        async with RpcChainReader(market_node.rpc_url) as reader:
            signatures = {
                info.signature
                for program in service.programs
                for info in await pending_signatures(reader, program, None)
            }
            again = [await reader.transaction(sig) for sig in sorted(signatures)]
        assert set(market.signatures) <= signatures
        async with view.sessions() as session, session.begin():
            assert await Store(service.decoder).store(session, [t for t in again if t is not None]) == []
        assert await view.counts() == before
    finally:
        await view.close()
        await market.close()


async def test_finalized_commitment_indexes_and_checkpoints_the_same_history(
    market_node: MarketNode, sqlite_db: str
) -> None:
    market = Market(market_node.rpc_url, market_node.authority)
    view = DbView(sqlite_db)
    config = IndexerConfig(
        db_url=sqlite_db,
        rpc_url=market_node.rpc_url,
        ws_url=market_node.ws_url,
        feed_port=0,
        poll_interval=30.0,
        commitment="finalized",
    )
    try:
        async with running(config) as service:
            p = await market.prosumer()
            await market.readings(p, 2)
            await eventually(lambda: view.has_all(market.signatures), "every landed transaction indexed")
            assert service.live.commitment == "finalized"
        assert len(await view.rows(MeterReading, MeterReading.meter == str(p.meter))) == 2
        async with view.sessions() as session:
            checkpoint = await session.scalar(
                select(Checkpoint).where(Checkpoint.program == str(market.registry.program_id))
            )
        assert checkpoint is not None and checkpoint.signature == market.signatures[-1]
    finally:
        await view.close()
        await market.close()
