"""The trading commands while the registry pauses trading in a zone (its emergency pause, on the shared
node, each test in a zone of its own): placing is refused before anything is sent, in one line; an
auction order committed at its gate closure can be cancelled while the pause lasts; after the
regulators resume, orders go in again."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

from solana.rpc.async_api import AsyncClient
from solana.rpc.commitment import Confirmed
from solders.instruction import Instruction
from solders.keypair import Keypair
from trading_support import Scene, mint_quote, new_scene, reach_cluster_time, user
from wallet_support import Market, invoke, invoke_json, one_line_error

from solgrid.sdk.clock import cluster_time
from solgrid.sdk.registry import RegistryClient
from solgrid.sdk.registry_governance import PauseFlag
from solgrid.sdk.transactions import send_and_confirm

EPOCH_SECS = 900


def _send(scene: Scene, ix: Instruction) -> None:
    regulator: Keypair = scene.regulator.keypair

    async def send() -> None:
        async with AsyncClient(scene.url, commitment=Confirmed) as rpc:
            await send_and_confirm(rpc, [ix], regulator, coders=[RegistryClient().coder])

    asyncio.run(send())


def pause(scene: Scene) -> None:
    """The node's regulator pauses trading in the scene's zone."""
    registry, me = RegistryClient(), scene.regulator.keypair.pubkey()
    _send(scene, registry.pause_zone(regulator=me, zone_id=scene.zone_id, flags=PauseFlag.TRADING))


def resume(scene: Scene) -> None:
    """The node's regulator (its threshold is 1) resumes trading in the scene's zone."""
    registry, me = RegistryClient(), scene.regulator.keypair.pubkey()
    _send(scene, registry.resume_zone(zone_id=scene.zone_id, flags=PauseFlag.TRADING, cosigners=[me]))


def now(url: str) -> int:
    async def read() -> int:
        async with AsyncClient(url, commitment=Confirmed) as rpc:
            return await cluster_time(rpc)

    return asyncio.run(read())


def test_no_order_is_placed_while_trading_is_paused(tmp_path: Path, scene: Scene) -> None:
    z = str(scene.zone_id)
    carol = user(scene, tmp_path, "carol", "consumer")
    mint_quote(scene, carol.keypair.pubkey(), 1_000_000)
    buy = scene.cli(carol, "order", "buy", z, "--kwh", "1", "--price", "0.1")
    pause(scene)
    one_line_error(invoke(*buy), 1, f"trading is paused in grid zone {z} (the registry's emergency pause)")
    resume(scene)
    placed: Any = invoke_json(*buy)
    assert placed["state"] == "ACTIVE"


def test_an_auction_order_leaves_after_its_gate_closure_while_trading_is_paused(
    tmp_path: Path, market: Market
) -> None:
    scene = new_scene(market, tmp_path)
    z, reg = str(scene.zone_id), scene.regulator
    invoke_json(
        *scene.cli(reg, "market", "create", z, "--quote-mint", str(scene.quote_mint)),
        "--tick-size",
        "1000",
        "--lot-size-wh",
        "100",
        "--periodic",
        str(EPOCH_SECS),
    )
    carol = user(scene, tmp_path, "carol", "consumer")
    mint_quote(scene, carol.keypair.pubkey(), 1_000_000)
    epoch = now(scene.url) // EPOCH_SECS + 1
    reach_cluster_time(scene.url, epoch * EPOCH_SECS + 5)
    placed: Any = invoke_json(*scene.cli(carol, "order", "buy", z, "--kwh", "1", "--price", "0.1"))
    order = str(placed["order_id"])
    reach_cluster_time(scene.url, (epoch + 1) * EPOCH_SECS + 1)
    one_line_error(invoke(*scene.cli(carol, "order", "cancel", order, z)), 1, "committed to the auction")
    pause(scene)
    try:
        cancelled: Any = invoke_json(*scene.cli(carol, "order", "cancel", order, z))
        assert cancelled["order_id"] == placed["order_id"]
    finally:
        resume(scene)
