"""A market on a node of the oracle tests' own, meters with device key files, and oracle config files."""

from __future__ import annotations

import asyncio
import json
from dataclasses import dataclass
from pathlib import Path

import httpx
from aiohttp import web
from solana.rpc.async_api import AsyncClient
from solana.rpc.commitment import Confirmed
from solders.keypair import Keypair
from solders.pubkey import Pubkey

from solgrid.localnet.background import BackgroundNode
from solgrid.localnet.server import NodeConfig
from solgrid.sdk.energy_token import EnergyTokenClient
from solgrid.sdk.keys import write_keypair
from solgrid.sdk.readings import DeviceSigner
from solgrid.sdk.registry import EnergySource, Limits, Meter, RegistryClient, UserRole
from solgrid.sdk.transactions import send_and_confirm

ZONE = 1
SOL = 1_000_000_000


@dataclass
class OracleNode:
    """A node on a fixed port with a ledger, so that a test can stop it and start it again."""

    config: NodeConfig
    authority: Keypair
    authority_file: Path
    node: BackgroundNode

    @property
    def rpc_url(self) -> str:
        return self.node.rpc_url

    def restart(self) -> None:
        self.node = BackgroundNode(self.config)
        self.node.start()


SOURCES = {
    "solar": EnergySource.SOLAR,
    "wind": EnergySource.WIND,
    "hydro": EnergySource.HYDRO,
    "consumer": EnergySource.GRID,
}


@dataclass(frozen=True)
class TestMeter:
    __test__ = False  # not a pytest test class

    serial: str
    owner: Pubkey
    device: DeviceSigner
    key_file: Path
    profile: str
    capacity_w: int

    def toml(self) -> str:
        return (
            f'[[meters]]\nserial = "{self.serial}"\nowner = "{self.owner}"\nzone = {ZONE}\n'
            f'device_key = "{self.key_file}"\nprofile = "{self.profile}"\ncapacity_w = {self.capacity_w}\n'
            "daily_consumption_wh = 9000\n"
        )


async def rpc_call(url: str, method: str, params: list[object]) -> object:
    async with httpx.AsyncClient() as http:
        answer = (
            await http.post(url, json={"jsonrpc": "2.0", "id": 1, "method": method, "params": params})
        ).json()
    assert "result" in answer, answer
    return answer["result"]


async def advance_time(url: str, seconds: int) -> None:
    await rpc_call(url, "solgrid_advanceTime", [seconds])


async def setup_market(rpc: AsyncClient, authority: Keypair) -> None:
    """Registry (``authority`` the only regulator, zone 1), GRID, and the registry naming energy_token's
    settlement PDA: what ``scripts/demo.py`` sets up."""
    registry, token = RegistryClient(), EnergyTokenClient()
    me = authority.pubkey()
    ixs = [
        registry.initialize(payer=me, authority=me, limits=Limits()),
        registry.set_regulators(regulators=[me], threshold=1, cosigners=[me]),
        registry.create_zone(
            payer=me, zone_id=ZONE, name="oracle-tests", max_capacity_kw=100_000, cosigners=[me]
        ),
        registry.set_settlement_authority(
            settlement_authority=token.settlement_pda().address, cosigners=[me]
        ),
    ]
    await send_and_confirm(rpc, ixs, authority, coders=[registry.coder])
    await send_and_confirm(rpc, [token.initialize(payer=me, authority=me)], authority, coders=[token.coder])


def planned_meter(
    directory: Path, serial: str, profile: str, owner: Keypair, device_pair: Keypair, capacity_w: int = 8_000
) -> TestMeter:
    """A meter's keys (the device key written to ``directory``), before it is registered."""
    key_file = directory / f"{serial}.device.json"
    write_keypair(key_file, device_pair)
    device = DeviceSigner.from_seed(bytes(device_pair)[:32])
    return TestMeter(serial, owner.pubkey(), device, key_file, profile, capacity_w)


async def add_meter(
    rpc: AsyncClient,
    authority: Keypair,
    directory: Path,
    serial: str,
    profile: str,
    capacity_w: int = 8_000,
    *,
    activate: bool = True,
    owner: Keypair | None = None,
    device_pair: Keypair | None = None,
) -> TestMeter:
    """A verified owner with a meter (active unless ``activate`` is false) whose device key is written
    to ``directory`` (new keys unless ``owner`` and ``device_pair`` are given)."""
    registry = RegistryClient()
    owner = owner or Keypair()
    airdrop = await rpc.request_airdrop(owner.pubkey(), 2 * SOL)
    await rpc.confirm_transaction(airdrop.value, Confirmed)
    meter = planned_meter(directory, serial, profile, owner, device_pair or Keypair(), capacity_w)
    me = authority.pubkey()
    role = UserRole.CONSUMER if profile == "consumer" else UserRole.PROSUMER
    ixs = [
        registry.register_user(payer=owner.pubkey(), authority=owner.pubkey(), role=role, zone_id=ZONE),
        registry.verify_user(regulator=me, wallet=owner.pubkey()),
        registry.register_meter(
            payer=owner.pubkey(),
            owner=owner.pubkey(),
            zone_id=ZONE,
            serial=serial,
            device_key=meter.device.public_key,
            source=SOURCES[profile],
            capacity_w=capacity_w,
        ),
    ]
    if activate:
        ixs.append(registry.activate_meter(regulator=me, meter=registry.meter_pda(serial).address))
    await send_and_confirm(rpc, ixs, owner, [authority], coders=[registry.coder])
    return meter


async def market_with_meter(
    rpc: AsyncClient, authority: Keypair, directory: Path, serial: str, profile: str
) -> tuple[TestMeter, int]:
    """:func:`setup_market`, then :func:`add_meter`: the meter and where its on-chain window clock
    starts (its ``last_window_end``)."""
    await setup_market(rpc, authority)
    meter = await add_meter(rpc, authority, directory, serial, profile)
    return meter, (await meter_state(rpc, meter.serial)).last_window_end


def write_config(
    directory: Path,
    url: str,
    payer_file: Path,
    meters: list[TestMeter],
    extra: str = "",
    name: str = "oracle",
) -> Path:
    text = (
        f'cluster = "{url}"\npayer = "{payer_file}"\nqueue = "{name}-queue.sqlite"\n'
        f'status_file = "{name}-status.json"\nstatus_interval_secs = 1\npoll_secs = 0.1\n{extra}\n'
    )
    text += "".join(m.toml() for m in meters)
    path = directory / f"{name}.toml"
    path.write_text(text)
    return path


async def meter_state(rpc: AsyncClient, serial: str) -> Meter:
    state = await RegistryClient().fetch_meter(rpc, serial)
    assert state is not None
    return state


def read_status(path: Path) -> dict[str, object]:
    return dict(json.loads(path.read_text()))


class FlakyProxy:
    """A JSON-RPC proxy in front of the node that the test can break on purpose.

    ``down``: every request fails with HTTP 503 (the node unreachable). ``lose_every``: every n-th
    ``sendTransaction`` is forwarded, so it lands, but the answer is lost (503): the worker cannot know
    whether its transaction landed. ``hold_from``: the first ``sendTransaction`` from that count on
    that the node accepts is held: it has landed, :attr:`holding` is set, and its answer waits until
    :meth:`release` (the moment to kill the worker: a transaction in flight, its outcome unknown).
    """

    def __init__(self, upstream: str) -> None:
        self.upstream = upstream
        self.down = False
        self.lose_every = 0
        self.sends = 0
        self.lost = 0
        self.hold_from = 0
        self.holding = asyncio.Event()
        self._release = asyncio.Event()
        self._runner: web.AppRunner | None = None
        self.url = ""

    async def _handle(self, request: web.Request) -> web.Response:
        if self.down:
            return web.Response(status=503, text="proxy down")
        body = await request.read()
        lose = False
        is_send = b'"sendTransaction"' in body
        if is_send:
            self.sends += 1
            lose = self.lose_every > 0 and self.sends % self.lose_every == 0
        async with httpx.AsyncClient() as http:
            answer = await http.post(
                self.upstream, content=body, headers={"content-type": "application/json"}
            )
        if lose:
            self.lost += 1
            return web.Response(status=503, text="answer lost")
        landed = is_send and b'"result"' in answer.content
        if landed and self.hold_from and self.sends >= self.hold_from and not self.holding.is_set():
            release = self._release
            self.holding.set()
            await release.wait()
            return web.Response(status=503, text="answer held")
        return web.Response(body=answer.content, status=answer.status_code, content_type="application/json")

    def release(self) -> None:
        """Let a held answer go (to a worker that is gone by then) and stop holding."""
        self.hold_from = 0
        self._release.set()
        self._release = asyncio.Event()
        self.holding = asyncio.Event()

    async def start(self) -> str:
        app = web.Application()
        app.router.add_post("/", self._handle)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        port = self._runner.addresses[0][1]
        self.url = f"http://127.0.0.1:{port}"
        return self.url

    async def stop(self) -> None:
        self.release()
        if self._runner is not None:
            await self._runner.cleanup()
