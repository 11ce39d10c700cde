"""``solgrid.sdk.trading`` over JSON-RPC on the shared node, without the CLI: markets found by zone,
a deposit plan and order plans sent with ``send_and_events`` (events read from the transaction's inner
instructions), and ``market_trades`` paging back through the market's signatures."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from solana.rpc.async_api import AsyncClient
from solana.rpc.commitment import Confirmed
from trading_support import Scene, mint_quote, settle_grid, user

import solgrid.sdk.trading.trades as trades_module
from solgrid.sdk.trading import OrderPlaced, TradingClient
from solgrid.sdk.trading.events import Deposited, SeatClaimed, Withdrawn
from solgrid.sdk.trading.funding import Asset, OrderSpec, plan_deposit, plan_order, withdraw_instructions
from solgrid.sdk.trading.trades import market_trades, send_and_events, trades_of, transaction_events
from solgrid.sdk.trading.units import Side


def test_plans_events_and_trades_over_rpc(
    tmp_path: Path, scene: Scene, monkeypatch: pytest.MonkeyPatch
) -> None:
    alice = user(scene, tmp_path, "alice", "prosumer")
    settle_grid(scene, tmp_path, alice, [1000])
    carol = user(scene, tmp_path, "carol", "consumer")
    mint_quote(scene, carol.keypair.pubkey(), 1_000_000)
    client = TradingClient()
    address = client.market_pda(scene.zone_id, scene.quote_mint).address

    async def flow() -> None:
        async with AsyncClient(scene.url, commitment=Confirmed) as rpc:
            (market,) = await client.fetch_markets(rpc, zone_id=scene.zone_id)
            assert market.address == address and market.header.zone_id == scene.zone_id
            assert await client.fetch_markets(rpc, zone_id=scene.zone_id ^ 1) == []
            assert address in [m.address for m in await client.fetch_markets(rpc)]

            plan = plan_deposit(client, market, alice.keypair.pubkey(), Asset.GRID, 500_000_000)
            _, events = await send_and_events(rpc, client, plan.instructions, alice.keypair)
            assert [type(e) for e in events] == [SeatClaimed, Deposited]

            market = await client.fetch_market(rpc, address)
            assert market is not None
            ask = OrderSpec(Side.ASK, price=120, lots=5)
            plan, shortfall = plan_order(client, market, alice.keypair.pubkey(), ask, deposit_shortfall=True)
            assert shortfall == 0 and len(plan.instructions) == 1
            await send_and_events(rpc, client, plan.instructions, alice.keypair)

            market = await client.fetch_market(rpc, address)
            assert market is not None
            bid = OrderSpec(Side.BID, price=125, lots=3)
            plan, shortfall = plan_order(client, market, carol.keypair.pubkey(), bid, deposit_shortfall=True)
            assert plan.claims_seat and shortfall == plan.deposit == 3 * 125 * 100 + 94
            landed, events = await send_and_events(rpc, client, plan.instructions, carol.keypair)
            claimed, deposited, placed = events
            assert isinstance(placed, OrderPlaced) and [f.lots for f in placed.fills] == [3]
            assert isinstance(deposited, Deposited) and deposited.amount == plan.deposit
            assert await transaction_events(rpc, client, landed.signature) == events

            # A later transaction without fills, and pages of one signature: the trade is still found.
            market = await client.fetch_market(rpc, address)
            assert market is not None
            ixs = withdraw_instructions(client, market, carol.keypair.pubkey(), Asset.GRID, 300_000_000)
            _, (withdrawn,) = await send_and_events(rpc, client, ixs, carol.keypair)
            assert isinstance(withdrawn, Withdrawn) and withdrawn.free_after == 0
            expected = trades_of(placed, str(landed.signature), landed.slot)
            assert await market_trades(rpc, client, address, limit=5) == expected
            monkeypatch.setattr(trades_module, "SIGNATURE_PAGE", 1)
            assert await market_trades(rpc, client, address, limit=1) == expected
            assert await market_trades(rpc, client, address, limit=5) == expected
            assert (
                expected[0].taker == carol.keypair.pubkey()
                and expected[0].fill.maker == alice.keypair.pubkey()
            )
            assert claimed == SeatClaimed(address, carol.keypair.pubkey(), 1, claimed.timestamp)

    asyncio.run(flow())
