"""A trading scene on the shared node for the trading CLI tests: a grid zone of its own (so that the zone
has exactly the markets a test creates), a 6-decimal test stablecoin, and wallets driven through the CLI:
a regulator (the node's only one), a prosumer whose meter's surplus was settled into GRID and a consumer
holding the stablecoin. Everything but the stablecoin goes through ``solgrid`` commands."""

from __future__ import annotations

import asyncio
import random
import time
from dataclasses import dataclass
from pathlib import Path

import httpx
from solana.rpc.async_api import AsyncClient
from solana.rpc.commitment import Confirmed
from solders.keypair import Keypair
from solders.pubkey import Pubkey
from spl.token.instructions import get_associated_token_address
from wallet_support import Market, invoke_json, write_key

from solgrid.sdk.clock import cluster_time
from solgrid.sdk.mints import create_mint_instructions, mint_to_owner_instructions
from solgrid.sdk.transactions import send_and_confirm

QUOTE_DECIMALS = 6
MINT_RENT = 1_461_600


@dataclass(frozen=True)
class Wallet:
    keypair: Keypair
    path: Path

    @property
    def address(self) -> str:
        return str(self.keypair.pubkey())


@dataclass(frozen=True)
class Scene:
    url: str
    regulator: Wallet
    zone_id: int
    quote_mint: Pubkey
    mint_authority: Keypair

    def args(self, wallet: Wallet) -> list[str]:
        """``--url`` and ``--keypair`` of ``wallet`` (explicit: module fixtures have no per-test HOME)."""
        return ["--url", self.url, "-k", str(wallet.path)]

    def cli(self, wallet: Wallet, *args: str) -> list[str]:
        return [*args, *self.args(wallet)]


async def _send(url: str, payer: Keypair, instructions: list, signers: list[Keypair]) -> None:  # type: ignore[type-arg]
    async with AsyncClient(url, commitment=Confirmed) as rpc:
        await send_and_confirm(rpc, instructions, payer, signers)


def create_quote_mint(url: str, authority: Keypair) -> Pubkey:
    """A new 6-decimal SPL Token mint whose mint authority is ``authority`` (the test stablecoin)."""
    mint = Keypair()
    key = authority.pubkey()
    asyncio.run(
        _send(url, authority, create_mint_instructions(key, mint, QUOTE_DECIMALS, key, MINT_RENT), [mint])
    )
    return mint.pubkey()


def mint_tokens(url: str, authority: Keypair, mint: Pubkey, owner: Pubkey, atoms: int) -> Pubkey:
    """``atoms`` of ``mint`` (whose mint authority is ``authority``, who pays) into ``owner``'s
    associated account, created if missing."""
    key = authority.pubkey()
    asyncio.run(_send(url, authority, mint_to_owner_instructions(key, mint, owner, key, atoms), []))
    return get_associated_token_address(owner, mint)


def mint_quote(scene: Scene, owner: Pubkey, atoms: int) -> Pubkey:
    """``atoms`` of the scene's stablecoin into ``owner``'s associated account."""
    return mint_tokens(scene.url, scene.mint_authority, scene.quote_mint, owner, atoms)


def token_amount(url: str, account: Pubkey) -> int:
    async def read() -> int:
        async with AsyncClient(url, commitment=Confirmed) as rpc:
            return int((await rpc.get_token_account_balance(account)).value.amount)

    return asyncio.run(read())


def new_scene(market: Market, directory: Path) -> Scene:
    """The trading Config (``solgrid trading init``, idempotent on the shared node), a new grid zone and a
    new test stablecoin."""
    regulator = Wallet(market.regulator, write_key(directory / "regulator.json", market.regulator))
    invoke_json("trading", "init", "--url", market.url, "-k", str(regulator.path))
    zone_id = random.randrange(10_000, 2**32)
    invoke_json(
        "regulator",
        "create-zone",
        str(zone_id),
        "--name",
        f"trading-{zone_id}",
        "--max-capacity-kw",
        "5000",
        "--url",
        market.url,
        "-k",
        str(regulator.path),
    )
    mint = create_quote_mint(market.url, market.regulator)
    return Scene(market.url, regulator, zone_id, mint, market.regulator)


def open_market(scene: Scene) -> None:
    """The regulator opens the scene's market: ticks of 0.001 per kWh, lots of 100 Wh, default fees."""
    invoke_json(
        *scene.cli(
            scene.regulator, "market", "create", str(scene.zone_id), "--quote-mint", str(scene.quote_mint)
        ),
        "--tick-size",
        "1000",
        "--lot-size-wh",
        "100",
    )


def user(scene: Scene, directory: Path, name: str, role: str, verify: bool = True) -> Wallet:
    """A funded wallet registered in the scene's zone with ``role`` (and verified by the regulator)."""
    keypair = Keypair()
    wallet = Wallet(keypair, write_key(directory / f"{name}.json", keypair))
    invoke_json(*scene.cli(wallet, "airdrop", "2"))
    invoke_json(*scene.cli(wallet, "user", "register", "--role", role, "--zone", str(scene.zone_id)))
    if verify:
        invoke_json(*scene.cli(scene.regulator, "regulator", "verify-user", wallet.address))
    return wallet


def reach_cluster_time(url: str, target: int) -> None:
    """Wait until the cluster's clock reaches ``target``: the local node's clock is moved forward
    (``solgrid_advanceTime``); a real validator's is waited for."""
    while (now := asyncio.run(_cluster_time(url))) < target:
        answer = httpx.post(
            url, json={"jsonrpc": "2.0", "id": 1, "method": "solgrid_advanceTime", "params": [target - now]}
        ).json()
        if "result" not in answer:
            time.sleep(min(target - now, 5))


async def _cluster_time(url: str) -> int:
    async with AsyncClient(url, commitment=Confirmed) as rpc:
        return await cluster_time(rpc)


def settle_grid(
    scene: Scene, directory: Path, prosumer: Wallet, surplus_wh: list[int], window_secs: int = 600
) -> None:
    """A new solar meter of ``prosumer`` reports one window of ``window_secs`` per ``surplus_wh`` item
    (that much produced, nothing consumed) once the windows have ended on the cluster's clock, and its
    surplus is settled into GRID."""
    device = write_key(directory / f"device-{prosumer.address[:8]}.json", Keypair())
    serial = f"T-{prosumer.address}"[:32]
    invoke_json(
        *scene.cli(
            prosumer,
            "meter",
            "register",
            serial,
            "--device-key",
            str(device),
            "--source",
            "solar",
            "--capacity-w",
            "12000",
        )
    )
    invoke_json(*scene.cli(scene.regulator, "regulator", "activate-meter", serial))
    start = invoke_json(*scene.cli(prosumer, "meter", "show", serial))["last_window_end"]
    reach_cluster_time(scene.url, start + window_secs * len(surplus_wh))
    readings = [f"-r{wh}:0" for wh in surplus_wh]
    invoke_json(
        *scene.cli(
            prosumer,
            "reading",
            "submit",
            serial,
            "--device-key",
            str(device),
            "--window",
            str(window_secs),
            *readings,
        )
    )
    invoke_json(*scene.cli(prosumer, "settle", serial))
