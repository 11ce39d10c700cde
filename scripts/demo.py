"""``make demo``: SolGrid end to end on the local node, driven the way its users drive it.

1. starts ``solgrid localnet`` (a real process on free ports, throw-away ledger) with no programs, and
   deploys them through the upgradeable loader with ``solgrid deploy``;
2. starts the indexer (``solgrid indexer run``, SQLite) and subscribes to its websocket feed;
3. the operator initializes the market with the SDK: registry config, itself as regulator, two grid
   zones, the GRID mint;
4. in zone 1 two prosumers (a solar array and a run-of-river hydro turbine), a consumer (a household
   meter) and a grid operator, in zone 2 two prosumers (two small hydro turbines) and a consumer, use the
   ``solgrid`` CLI wallet: new keys, SOL from the faucet, ``user register``, ``meter register`` with a
   device key; the operator (as regulator) verifies them and activates the meters;
5. the node's clock moves through twelve hours of a day, and the oracle worker (``solgrid oracle run
   --drain``) signs the simulated meters' fifteen-minute readings with their device keys, submits them in
   batches verified on-chain through the Ed25519 precompile, and cranks settlement: net surplus becomes
   GRID in the prosumers' wallets;
6. the prosumer who was minted the most sends half of it to the consumer, who retires half of that;
7. the operator opens zone 1's GRID market against a test stablecoin (``solgrid trading init``,
   ``solgrid market create``); alice offers half of her GRID (``solgrid order sell``: the CLI claims her
   seat and deposits), carol buys half of that at a higher limit and pays alice's price; the book, the
   trades and alice's open order are printed;
8. zone 2's market is periodic (``solgrid market create --periodic``; 30-second epochs so that the demo
   does not wait for a quarter hour): ``solgrid keeper run`` watches it while erin and frank offer GRID
   and grace, carol and dave bid for it during one epoch (``solgrid order sell|buy``); when the epoch
   ends the keeper clears it at one price and settles it; ``solgrid auction show`` prints the supply and
   demand table and the clearing point, and the demo each order's fill at that price, fee and refund,
   checked against the SDK's reference of the clearing rule;
9. prints the wallets, the indexed rows (the market's trades and orders, the auction's epoch and its
   settlements too, with ``solgrid indexer verify-epochs``), and what the feed pushed; checks the indexer
   against the chain (any mismatch fails the demo);
10. the market data API and dashboard (``solgrid api run``, started beside the indexer on its database and
   feed) serve what the demo did; the demo checks them through the API, prints the dashboard's URL and
   stops everything cleanly, or with ``--serve`` keeps the node, indexer and dashboard up until Ctrl-C.

``--url URL --keypair FILE`` runs steps 2-9 against another cluster (``solana-test-validator``, devnet)
where the programs are deployed (and initializes them if nobody has). The oracle then waits for two real
one-minute windows to end: at any hour the hydro turbines produce (the simulated sun shines from 06:00 to
18:00 UTC only), and the amounts sent, burned and auctioned follow from what was minted; the periodic
market's epochs last 60 s there. Every run has new keys and meters (a random tag), and its checks count
only what happened from the slot it started at, so runs can follow each other on the same ledger.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import secrets
import signal
import sqlite3
import sys
import tempfile
import time
from collections import Counter
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx
import websockets
from solana.rpc.async_api import AsyncClient
from solana.rpc.commitment import Confirmed
from solders.keypair import Keypair
from solders.pubkey import Pubkey

from solgrid.cli.trading_units import format_kwh, format_price, format_quote
from solgrid.localnet.process import free_port_pair, node_process
from solgrid.oracle.simulator import HYDRO_FLOW, solar_fraction
from solgrid.sdk.clock import cluster_time
from solgrid.sdk.energy_token import BASE_UNITS_PER_WH, base_units_to_grid
from solgrid.sdk.governance import GovernanceClient
from solgrid.sdk.keys import read_keypair
from solgrid.sdk.mints import MINT_LEN, create_mint_instructions, mint_to_owner_instructions
from solgrid.sdk.registry import Limits
from solgrid.sdk.trading import AuctionOrder, EpochCleared, EpochSettled, Side, TradingClient
from solgrid.sdk.trading.clearing import aggregate, clear, fills
from solgrid.sdk.trading.epochs import current_window
from solgrid.sdk.trading.replay import fetch_market_events
from solgrid.sdk.transactions import send_and_confirm

sys.path.insert(0, str(Path(__file__).parent))
from demo_dashboard import DashboardOptions, check_dashboard, dashboard, serve_until_interrupted
from demo_governance import governance_scenes, report_governance  # sibling modules of this script
from demo_support import (
    DAY,
    PEOPLE,
    SOUTH_ZONE_ID,
    SYNC_TIMEOUT_SECS,
    ZONE_ID,
    CommandFailed,
    Person,
    Scene,
    advance_clock,
    banner,
    cli_env,
    rpc_call,
    solgrid,
    solgrid_command,
)

REPO = Path(__file__).resolve().parents[1]
LAMPORTS_PER_SOL = 1_000_000_000


# ---------------------------------------------------------------------------------------------------
# steps


async def deploy(scene: Scene) -> None:
    banner("deploy the programs through the upgradeable loader")
    transcript: list[str] = []
    await solgrid(
        scene, "deploy", "--url", scene.rpc_url, "--keypair", str(scene.operator_file),
        "--workspace", str(REPO), "--cluster", "localnet", transcript=transcript,
    )  # fmt: skip
    print("\n".join(transcript))


async def set_morning(scene: Scene) -> int:
    """On the local node: moves the clock to the next 05:00 UTC so that the simulated day has sun."""
    async with httpx.AsyncClient() as http:
        clock = await rpc_call(http, scene.rpc_url, "solgrid_getClock", [])
        now = int(clock["unixTimestamp"])
        morning = now - now % DAY + 5 * 3600
        if morning <= now:
            morning += DAY
        await rpc_call(http, scene.rpc_url, "solgrid_setClock", [{"unixTimestamp": morning}])
    print(f"local node clock set to {datetime.fromtimestamp(morning, UTC):%Y-%m-%d %H:%M} UTC")
    return morning


async def setup_market(scene: Scene, rpc: AsyncClient) -> None:
    """The operator's part, through the SDK: registry config, regulators, zone, settlement, GRID. Each
    piece is skipped when it already exists (a re-run against a real cluster)."""
    banner("the operator initializes the market (SDK)")
    registry, token, operator = scene.registry, scene.token, scene.operator.pubkey()
    coders = [registry.coder, token.coder]
    if await registry.fetch_config(rpc) is None:
        setup = [
            registry.initialize(payer=operator, authority=operator, limits=Limits(max_reading_age_secs=DAY)),
            registry.set_regulators(regulators=[operator], threshold=1, cosigners=[operator]),
            registry.set_settlement_authority(
                settlement_authority=token.settlement_pda().address, cosigners=[operator]
            ),
        ]
        landed = await send_and_confirm(rpc, setup, scene.operator, coders=coders)
        events = ", ".join(type(e).__name__ for e in registry.events(landed.logs))
        print(f"registry initialized, operator appointed regulator; events: {events}")
    for zone_id, name in ((ZONE_ID, "demo-north"), (SOUTH_ZONE_ID, "demo-south")):
        if await registry.fetch_zone(rpc, zone_id) is None:
            zone = registry.create_zone(
                payer=operator, zone_id=zone_id, name=name, max_capacity_kw=5_000, cosigners=[operator]
            )
            await send_and_confirm(rpc, [zone], scene.operator, coders=coders)
            print(f"grid zone {zone_id} '{name}' created")
    if await token.fetch_config(rpc) is None:
        await send_and_confirm(rpc, [token.initialize(payer=operator, authority=operator)], scene.operator)
    print(f"GRID mint {token.mint}")


async def onboard(scene: Scene, person: Person) -> list[str]:
    """One person's CLI session (and the regulator's approvals); returns the transcript."""
    transcript = [f"-- {person.name} ({person.role})"]
    key = str(scene.keyfile(person.name))
    operator = str(scene.operator_file)
    await solgrid(scene, "keys", "new", "--outfile", key, transcript=transcript)
    await solgrid(scene, "airdrop", "2", "-k", key, transcript=transcript)
    await solgrid(scene, "user", "register", "--role", person.role, "--zone", str(person.zone), "-k", key,
                  transcript=transcript)  # fmt: skip
    wallet = str(scene.wallet(person.name))
    await solgrid(scene, "regulator", "verify-user", wallet, "-k", operator, transcript=transcript)
    if person.meter is not None:
        device = str(scene.workdir / "devices" / f"{person.name}.json")
        serial = scene.serial(person)
        await solgrid(scene, "keys", "new", "--outfile", device, transcript=transcript)
        await solgrid(
            scene, "meter", "register", serial, "--device-key", device, "--source", person.source,
            "--capacity-w", str(person.capacity_w), "-k", key, transcript=transcript,
        )  # fmt: skip
        await solgrid(scene, "regulator", "activate-meter", serial, "-k", operator, transcript=transcript)
    return transcript


async def onboard_everyone(scene: Scene) -> None:
    banner("people join with the CLI wallet; the regulator verifies them and activates their meters")
    (scene.workdir / "keys").mkdir(exist_ok=True)
    (scene.workdir / "devices").mkdir(exist_ok=True)
    for transcript in await asyncio.gather(*(onboard(scene, p) for p in PEOPLE)):
        print("\n".join(transcript))


def write_oracle_config(scene: Scene, windows: int, window_secs: int) -> Path:
    """The oracle operator's one file: cluster, fee payer, queue, simulator and meters."""
    meters = []
    for person in PEOPLE:
        if person.meter is None:
            continue
        meters.append(
            f"""
[[meters]]
serial = "{scene.serial(person)}"
owner = "{scene.wallet(person.name)}"
zone = {person.zone}
device_key = "devices/{person.name}.json"
profile = "{person.profile}"
capacity_w = {person.capacity_w}
daily_consumption_wh = {person.daily_consumption_wh}
"""
        )
    config = scene.workdir / "oracle.toml"
    config.write_text(
        f"""cluster = "{scene.rpc_url}"
payer = "keys/oracle.json"
queue = "oracle-queue.sqlite"
batch_size = 6
lanes = 2
poll_secs = 0.2
status_interval_secs = 2

[simulator]
seed = 2026
window_secs = {window_secs}
windows = {windows}

[settle]
enabled = true
min_surplus_wh = 100
interval_secs = 1
"""
        + "".join(meters)
    )
    return config


async def run_oracle(scene: Scene) -> None:
    banner("the oracle worker signs and submits the meters' readings, then settles surplus as GRID")
    transcript: list[str] = []
    await solgrid(scene, "keys", "new", "--outfile", str(scene.keyfile("oracle")), transcript=transcript)
    await solgrid(scene, "airdrop", "5", "-k", str(scene.keyfile("oracle")), transcript=transcript)
    print("\n".join(transcript))
    if scene.local:
        window_secs, windows = 900, 48  # twelve hours of fifteen-minute windows
        await advance_clock(scene, windows * window_secs)
    else:
        window_secs, windows = 60, 2  # real time: two one-minute windows
        print(f"waiting for {windows} real {window_secs}-second windows to end; {daylight(time.time())}")
    config = write_oracle_config(scene, windows, window_secs)
    print(f"$ solgrid oracle run --config {config.name} --drain")
    process = await asyncio.create_subprocess_exec(
        *solgrid_command(), "oracle", "run", "--config", str(config), "--drain",
        env=cli_env(scene), cwd=scene.workdir, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    assert process.stderr is not None
    async for raw in process.stderr:
        print(f"  oracle | {raw.decode().rstrip()}", flush=True)
    if await process.wait() != 0:
        raise CommandFailed(f"the oracle worker exited {process.returncode}")


def daylight(now: float) -> str:
    """Why the meters of a real-time run produce what they do at this hour (the simulator's UTC day)."""
    hour = (now % DAY) / 3600
    clock = f"{int(hour):02d}:{int(hour * 60) % 60:02d} UTC"
    hydro = f"bob's run-of-river turbine runs at about {HYDRO_FLOW:.0%} of capacity at any hour"
    if solar_fraction(hour) > 0:
        return f"it is {clock}, the simulated sun is up: alice's panels produce, and {hydro}"
    night = "night in the simulated day (sun 06:00-18:00 UTC)"
    return f"it is {clock}, {night}: alice's panels produce nothing, {hydro}"


@dataclass(frozen=True)
class Trade:
    sender: str
    sent: int  # GRID base units carol received
    burned: int  # base units carol burned


async def p2p(scene: Scene, rpc: AsyncClient) -> Trade:
    """The prosumer minted the most in this run sends half of it to carol, who burns half of that: amounts
    follow from what the meters produced (a real-time run mints far less than twelve simulated hours)."""
    minted = {
        p.name: await scene.token.fetch_balance(rpc, scene.wallet(p.name))
        for p in PEOPLE
        if p.role == "prosumer" and p.zone == ZONE_ID
    }
    sender = max(minted, key=lambda name: minted[name])
    if minted[sender] == 0:
        raise CommandFailed("no prosumer was minted any GRID in this run: nothing to send")
    sent = minted[sender] // 2
    burned = sent // 2
    banner(f"{sender} sends GRID to carol, who retires part of it for her consumption")
    print(
        f"{sender} holds the most GRID of this run, {base_units_to_grid(minted[sender])}: sends half of it;"
        " carol retires half of what she receives"
    )
    transcript: list[str] = []
    carol = scene.wallet("carol")
    amount = f"{base_units_to_grid(sent):f}"
    await solgrid(
        scene, "transfer", str(carol), amount, "-k", str(scene.keyfile(sender)), transcript=transcript
    )
    print("\n".join(transcript))
    burn = scene.token.burn(holder=carol, amount=burned)
    await send_and_confirm(rpc, [burn], read_keypair(scene.keyfile("carol")))
    print(f"carol burned {base_units_to_grid(burned)} GRID (energy_token burn, SDK)")
    return Trade(sender, sent, burned)


@dataclass(frozen=True)
class MarketRun:
    """What the market step did: the market, who sold and bought, and the fills as the chain has them."""

    market: Pubkey
    quote_mint: Pubkey
    seller: str
    offered_wh: int
    bought_wh: int
    trades: list[dict[str, Any]]


async def create_stablecoin(scene: Scene, rpc: AsyncClient, holder: Pubkey, amount: int) -> Pubkey:
    """A 6-decimal test stablecoin whose mint authority is the operator; ``amount`` atoms to ``holder``."""
    mint = Keypair()
    operator = scene.operator.pubkey()
    rent = (await rpc.get_minimum_balance_for_rent_exemption(MINT_LEN)).value
    ixs = [
        *create_mint_instructions(operator, mint, 6, operator, rent),
        *mint_to_owner_instructions(operator, mint.pubkey(), holder, operator, amount),
    ]
    await send_and_confirm(rpc, ixs, scene.operator, [mint])
    return mint.pubkey()


async def market(scene: Scene, rpc: AsyncClient) -> MarketRun:
    """The operator opens zone 1's GRID market against a test stablecoin; the prosumer holding the most GRID
    (alice, on the local node's sunny day) offers half of it, carol buys part of that at a higher limit:
    she pays the resting order's price. All through the CLI, as people would."""
    banner("a market: GRID for a test stablecoin, price-time priority, settled between seats")
    held = {
        p.name: await scene.token.fetch_balance(rpc, scene.wallet(p.name))
        for p in PEOPLE
        if p.role == "prosumer" and p.zone == ZONE_ID
    }
    seller = "alice" if held["alice"] >= BASE_UNITS_PER_WH * 2 else max(held, key=lambda name: held[name])
    offered_wh = held[seller] // BASE_UNITS_PER_WH // 2
    bought_wh = offered_wh // 2
    if bought_wh == 0:
        raise CommandFailed(f"{seller} holds too little GRID to sell ({base_units_to_grid(held[seller])})")
    carol = scene.wallet("carol")
    usdc = await create_stablecoin(scene, rpc, carol, 50 * 10**6)
    print(f"test stablecoin {usdc} (6 decimals): 50.00 minted to carol by the operator (SDK)")
    transcript: list[str] = []
    operator = str(scene.operator_file)
    await solgrid(scene, "trading", "init", "-k", operator, transcript=transcript)
    await solgrid(
        scene, "market", "create", str(ZONE_ID), "--quote-mint", str(usdc), "--tick-size", "1000",
        "--lot-size-wh", "1", "-k", operator, transcript=transcript,
    )  # fmt: skip
    kwh = f"{Decimal(offered_wh) / 1000}"
    await solgrid(
        scene, "order", "sell", str(ZONE_ID), "--quote-mint", str(usdc), "--kwh", kwh, "--price", "0.120",
        "-k", str(scene.keyfile(seller)), transcript=transcript,
    )  # fmt: skip
    await solgrid(scene, "book", str(ZONE_ID), "--quote-mint", str(usdc), transcript=transcript)
    await solgrid(
        scene, "order", "buy", str(ZONE_ID), "--quote-mint", str(usdc),
        "--kwh", f"{Decimal(bought_wh) / 1000}", "--price", "0.125", "-k", str(scene.keyfile("carol")),
        transcript=transcript,
    )  # fmt: skip
    await solgrid(scene, "book", str(ZONE_ID), "--quote-mint", str(usdc), transcript=transcript)
    await solgrid(scene, "trades", str(ZONE_ID), "--quote-mint", str(usdc), transcript=transcript)
    await solgrid(
        scene, "order", "list", str(ZONE_ID), "--quote-mint", str(usdc), "-k", str(scene.keyfile(seller)),
        transcript=transcript,
    )  # fmt: skip
    print("\n".join(transcript))
    trades = json.loads(
        await solgrid(scene, "trades", str(ZONE_ID), "--quote-mint", str(usdc), "--json", transcript=[])
    )["trades"]
    return MarketRun(
        TradingClient().market_pda(ZONE_ID, usdc).address, usdc, seller, offered_wh, bought_wh, trades
    )


# ---------------------------------------------------------------------------------------------------
# a periodic market (call auction) in zone 2, cleared by the keeper

EPOCH_SECS_LOCAL = 30
EPOCH_SECS_REMOTE = 60
"""The periodic market's epoch: short, so that the demo does not wait for a 15-minute epoch (on another
cluster long enough for the eight orders' confirmations)."""
UNIT_WH = 1_000
"""The order plan's unit on the local node's sunny day (less on a real-time cluster: what was minted)."""


@dataclass(frozen=True)
class PlannedOrder:
    trader: str
    side: Side
    price: str  # quote units per kWh, as the CLI takes it
    units: int
    rollover: bool = True


AUCTION_ORDERS = (
    PlannedOrder("erin", Side.ASK, "0.100", 3),
    PlannedOrder("grace", Side.BID, "0.140", 2),
    PlannedOrder("frank", Side.ASK, "0.110", 3),
    PlannedOrder("carol", Side.BID, "0.120", 3),
    PlannedOrder("erin", Side.ASK, "0.130", 3),
    PlannedOrder("dave", Side.BID, "0.120", 3, rollover=False),
    PlannedOrder("frank", Side.ASK, "0.150", 2),
    PlannedOrder("grace", Side.BID, "0.105", 2),
)
"""In this order (time priority at the marginal price: carol's bid before dave's). The most volume, 6
units, executes at any price from 0.110 to 0.120, with bids left over at each; the rule's tie-breaks
(docs/trading.md) pick the price in that interval. The bids at 0.120 are the marginal ones and share what
the bid above them leaves by time (carol all 3 units, dave 1; the rest of his is refunded); grace's bid at
0.105 and the asks from 0.130 roll into the next epoch."""


@dataclass(frozen=True)
class AuctionRun:
    market: Pubkey
    epoch: int
    cleared: EpochCleared
    settled_orders: int
    problems: list[str]


def write_keeper_config(scene: Scene, market: Pubkey) -> Path:
    config = scene.workdir / "keeper.toml"
    config.write_text(
        f"""cluster = "{scene.rpc_url}"
payer = "keys/keeper.json"
markets = ["{market}"]
poll_secs = 1
status_file = "keeper-status.json"
status_interval_secs = 5
"""
    )
    return config


@contextlib.asynccontextmanager
async def keeper(scene: Scene, config: Path) -> AsyncIterator[None]:
    """``solgrid keeper run`` (its log printed as it comes) until the block exits, then SIGTERM (a
    non-interactive background shell starts it ignoring SIGINT)."""
    print(f"{config.name}:")
    print("\n".join(f"  {line}" for line in config.read_text().splitlines()))
    print(f"$ solgrid keeper run --config {config.name}")
    process = await asyncio.create_subprocess_exec(
        *solgrid_command(), "keeper", "run", "--config", str(config),
        env=cli_env(scene), cwd=scene.workdir, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    assert process.stderr is not None
    stderr = process.stderr

    async def echo() -> None:
        async for raw in stderr:
            print(f"  keeper | {raw.decode().rstrip()}", flush=True)

    printing = asyncio.create_task(echo())
    try:
        yield
    finally:
        if process.returncode is None:
            process.send_signal(signal.SIGTERM)
        await asyncio.wait_for(process.wait(), 30)
        await printing
    if process.returncode != 0:
        raise CommandFailed(f"the keeper exited {process.returncode}")


async def auction_epoch(scene: Scene, rpc: AsyncClient, epoch_secs: int) -> int:
    """The epoch the orders join: on the local node its clock moves to the start of the next one; on another
    cluster the next one is awaited when too little of the current one is left."""
    now = await cluster_time(rpc)
    span = current_window(now, epoch_secs)
    if scene.local:
        async with httpx.AsyncClient() as http:
            await rpc_call(http, scene.rpc_url, "solgrid_setClock", [{"unixTimestamp": span.ends_at}])
        return span.epoch + 1
    if span.remaining(now) >= epoch_secs * 3 // 4:
        return span.epoch
    print(f"waiting {span.remaining(now)} s for the next epoch to start")
    while await cluster_time(rpc) < span.ends_at:
        await asyncio.sleep(0.5)
    return span.epoch + 1


async def settled(rpc: AsyncClient, market: Pubkey, epoch: int) -> bool:
    state = await TradingClient().fetch_market(rpc, market)
    return (
        state is not None and state.header.auctions_settled > 0 and state.header.last_settled_epoch >= epoch
    )


async def periodic_market(scene: Scene, rpc: AsyncClient, usdc: Pubkey) -> AuctionRun:
    """Zone 2's market is periodic: orders placed during an epoch wait for its end, when the keeper clears
    them all at one price and settles them; prints the supply and demand table, and each trader's fill."""
    epoch_secs = EPOCH_SECS_LOCAL if scene.local else EPOCH_SECS_REMOTE
    banner(f"a periodic market in zone {SOUTH_ZONE_ID}: one call auction per epoch, cleared by the keeper")
    print(
        f"epochs of {epoch_secs} s here, so that the demo does not wait for a quarter hour (a real market: "
        "--periodic 900)"
    )
    held = {name: await scene.token.fetch_balance(rpc, scene.wallet(name)) for name in ("erin", "frank")}
    unit = min(held["erin"] // BASE_UNITS_PER_WH // 6, held["frank"] // BASE_UNITS_PER_WH // 5, UNIT_WH)
    if unit == 0:
        raise CommandFailed(f"erin and frank hold too little GRID to sell ({held})")
    operator = scene.operator.pubkey()
    buyers = [scene.wallet(name) for name in ("grace", "dave")]
    ixs = [
        ix for who in buyers for ix in mint_to_owner_instructions(operator, usdc, who, operator, 10 * 10**6)
    ]
    await send_and_confirm(rpc, ixs, scene.operator)
    print(
        "10.00 of the test stablecoin minted to grace and to dave (carol has hers); erin and frank sell GRID"
    )
    transcript: list[str] = []
    await solgrid(
        scene, "market", "create", str(SOUTH_ZONE_ID), "--quote-mint", str(usdc), "--tick-size", "1000",
        "--lot-size-wh", "1", "--maker-fee-bps", "10", "--periodic", str(epoch_secs),
        "-k", str(scene.operator_file), transcript=transcript,
    )  # fmt: skip
    await solgrid(scene, "keys", "new", "--outfile", str(scene.keyfile("keeper")), transcript=transcript)
    await solgrid(scene, "airdrop", "1", "-k", str(scene.keyfile("keeper")), transcript=transcript)
    print("\n".join(transcript))
    market = TradingClient().market_pda(SOUTH_ZONE_ID, usdc).address
    async with keeper(scene, write_keeper_config(scene, market)):
        epoch = await auction_epoch(scene, rpc, epoch_secs)
        closes = (epoch + 1) * epoch_secs
        print(
            f"epoch {epoch}: orders join its auction until {datetime.fromtimestamp(closes, UTC):%H:%M:%S} UTC"
        )
        for order in AUCTION_ORDERS:
            transcript = []
            verb = "buy" if order.side is Side.BID else "sell"
            kwh = f"{Decimal(order.units * unit) / 1000}"
            extra = [] if order.rollover else ["--no-rollover"]
            await solgrid(
                scene, "order", verb, str(SOUTH_ZONE_ID), "--quote-mint", str(usdc), "--kwh", kwh,
                "--price", order.price, *extra, "-k", str(scene.keyfile(order.trader)), transcript=transcript,
            )  # fmt: skip
            print("\n".join(transcript), flush=True)
        left = closes - await cluster_time(rpc)
        if left <= 0:
            raise CommandFailed(f"placing the orders outlasted epoch {epoch}")
        placed = await placed_orders(rpc, market, epoch)
        print(f"the auction closes in {left} s; the keeper clears and settles it then", flush=True)
        deadline = time.monotonic() + left + SYNC_TIMEOUT_SECS
        while not await settled(rpc, market, epoch):
            if time.monotonic() > deadline:
                raise CommandFailed(f"the keeper did not settle epoch {epoch}")
            await asyncio.sleep(0.5)
    transcript = []
    await solgrid(scene, "keeper", "status", "--config", "keeper.toml", transcript=transcript)
    await solgrid(
        scene, "auction", "show", str(epoch), "--zone", str(SOUTH_ZONE_ID), "--quote-mint", str(usdc),
        transcript=transcript,
    )  # fmt: skip
    print("\n".join(transcript))
    return await report_auction(scene, rpc, market, epoch, placed)


async def placed_orders(rpc: AsyncClient, market: Pubkey, epoch: int) -> list[AuctionOrder]:
    """``epoch``'s orders as its epoch account holds them while it collects (index order): the chain's
    state rather than its history, which a default solana-test-validator prunes to a few hundred slots
    (``--limit-ledger-size``), fewer than an epoch's wait for its clearing on a busy machine."""
    client = TradingClient()
    state = await client.fetch_market(rpc, market)
    account = None if state is None else await client.fetch_epoch(rpc, state, epoch)
    if account is None:
        raise CommandFailed(f"no epoch account holds epoch {epoch} of market {market}")
    if len(account.live) != len(AUCTION_ORDERS):
        raise CommandFailed(
            f"epoch {epoch} holds {len(account.live)} of the {len(AUCTION_ORDERS)} orders placed"
        )
    return account.live


async def report_auction(
    scene: Scene, rpc: AsyncClient, market: Pubkey, epoch: int, placed: list[AuctionOrder]
) -> AuctionRun:
    """Each order's settlement (from the chain's events) at the one clearing price, checked against the
    SDK's reference of the clearing rule and its allotment (the mismatches in the result); ``placed``: the
    epoch's orders as its account held them before the clearing."""
    client = TradingClient()
    state = await client.fetch_market(rpc, market)
    assert state is not None
    h = state.header
    events = await fetch_market_events(rpc, client, market)
    [cleared] = [e for e in events if isinstance(e, EpochCleared) and e.epoch == epoch]
    settlements = sorted(
        (s for e in events if isinstance(e, EpochSettled) and e.epoch == epoch for s in e.settlements),
        key=lambda s: s.index,
    )
    names = {scene.wallet(p.name): p.name for p in PEOPLE}
    price = format_price(cleared.price, h)
    banner(f"epoch {epoch}: everyone matched trades at {price} per kWh")
    print(
        f"  {'#':>2} {'TRADER':<6} {'SIDE':<4} {'LIMIT':>9} {'kWh':>7} {'FILLED':>7} {'PAID/GOT':>9} "
        f"{'FEE':>9} {'REFUNDED':>9}  UNMATCHED"
    )
    for s in settlements:
        buyer = s.side is Side.BID
        amount = s.quote_amount + s.fee if buyer else s.quote_amount - s.fee
        refund = format_quote(s.quote_released, h) if buyer else ""
        rest = "" if not s.remaining_lots else f"rolls into {epoch + 1}" if s.rolled else "refunded"
        print(
            f"  {s.index:>2} {names.get(s.trader, str(s.trader)[:6]):<6} {'buy' if buyer else 'sell':<4} "
            f"{format_price(s.price, h):>9} {format_kwh(s.filled_lots + s.remaining_lots, h):>7} "
            f"{format_kwh(s.filled_lots, h):>7} {format_quote(amount, h):>9} {format_quote(s.fee, h):>9} "
            f"{refund:>9}  {rest}"
        )
    print(
        "  (PAID/GOT: what a buyer paid, fee included, or a seller received after the fee; a buyer's refund"
        " is its limit minus the price on what it bought, and what it locked for the rest unless that rolls)"
    )
    problems: list[str] = []
    book = [o.book_order() for o in placed]
    expected = clear(aggregate(book), cleared.reference_price)
    if (expected.price, expected.volume) != (cleared.price, cleared.volume_lots):
        problems.append(
            f"epoch {epoch} cleared at {cleared.price} ticks, the rule gives {expected.price} from its"
            f" {len(placed)} orders"
        )
    allotted = fills(book, expected)
    got = {s.index: s.filled_lots for s in settlements}
    if [got.get(e.index) for e in placed] != allotted:
        problems.append(f"epoch {epoch}'s fills {got} are not the rule's allotment {allotted}")
    if any(s.quote_amount != s.filled_lots * cleared.price * h.quote_per_lot_tick for s in settlements):
        problems.append(f"a fill of epoch {epoch} is not at its one clearing price")
    print(
        f"  the clearing price and every fill equal the clearing rule recomputed from the orders: "
        f"{'yes' if not problems else 'NO'}"
    )
    return AuctionRun(market, epoch, cleared, len(settlements), problems)


# ---------------------------------------------------------------------------------------------------
# the indexer and its feed


@dataclass
class Feed:
    """What the indexer's websocket feed pushes (all events, no filter): (slot, name, summary) each."""

    url: str
    events: list[tuple[int, str, str]] = field(default_factory=list)
    subscribed: asyncio.Event = field(default_factory=asyncio.Event)

    def since(self, slot: int) -> list[tuple[int, str, str]]:
        """The events of ``slot`` and later (a cluster with history: the indexer indexes it too)."""
        return [event for event in self.events if event[0] >= slot]

    async def listen(self) -> None:
        async for connection in websockets.connect(self.url, open_timeout=2):
            try:
                await connection.send(json.dumps({"op": "subscribe", "id": "demo"}))
                async for frame in connection:
                    message = json.loads(frame)
                    if message.get("type") == "subscribed":
                        self.subscribed.set()
                    if message.get("type") != "event":
                        continue
                    event = message["event"]
                    summary = f"{event['name']} slot {event['slot']} {json.dumps(event['data'])}"
                    self.events.append((int(event["slot"]), event["name"], summary))
            except websockets.ConnectionClosed:
                continue


@contextlib.asynccontextmanager
async def indexer(scene: Scene, db: Path) -> AsyncIterator[Feed]:
    """``solgrid indexer run`` until the block exits, then stopped with SIGTERM (it must exit 0)."""
    port = free_port_pair()
    banner("start the indexer (SQLite) and subscribe to its websocket feed")
    args = ["indexer", "run", "--db", f"sqlite+aiosqlite:///{db}", "--url", scene.rpc_url]
    args += ["--feed-port", str(port), "--poll-interval", "1", "--quiet"]
    print(f"$ solgrid {' '.join(args).replace(str(scene.workdir) + '/', '')}")
    process = await asyncio.create_subprocess_exec(*solgrid_command(), *args, env=cli_env(scene))
    feed = Feed(f"ws://127.0.0.1:{port}")
    listener = asyncio.create_task(feed.listen())
    try:
        yield feed
    finally:
        listener.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await listener
        if process.returncode is None:
            process.send_signal(signal.SIGTERM)
            await asyncio.wait_for(process.wait(), 30)
        if process.returncode != 0:
            raise CommandFailed(f"the indexer exited {process.returncode}")
        print("indexer stopped")


async def wait_for_indexer(scene: Scene, rpc: AsyncClient, db: Path) -> None:
    """Until the indexer's checkpoint of each program is that program's newest transaction. A program
    the node lists no transaction of has nothing left to catch up: its history was pruned (a default
    solana-test-validator keeps a few hundred slots, and the governance scenes outlast the oracle's
    last mint)."""
    programs = [
        scene.registry.program_id,
        scene.token.program_id,
        TradingClient().program_id,
        GovernanceClient().program_id,
    ]
    deadline = time.monotonic() + SYNC_TIMEOUT_SECS
    while True:
        newest = {}
        for program in programs:
            signatures = (await rpc.get_signatures_for_address(program, limit=1)).value
            newest[str(program)] = str(signatures[0].signature) if signatures else None
        with contextlib.closing(sqlite3.connect(db)) as sql:
            try:
                stored = dict(sql.execute("SELECT program, signature FROM checkpoints").fetchall())
            except sqlite3.OperationalError:
                stored = {}
        behind = [p for p, s in newest.items() if s is not None and stored.get(p) != s]
        if not behind:
            return
        if time.monotonic() > deadline:
            lag = "; ".join(f"{p}: indexed up to {stored.get(p)}, newest {newest[p]}" for p in behind)
            raise CommandFailed(f"the indexer did not catch up with the chain ({lag})")
        await asyncio.sleep(0.5)


async def report(
    scene: Scene, rpc: AsyncClient, db: Path, feed: Feed, trade: Trade, markets: Sequence[Pubkey]
) -> list[str]:
    """Prints wallets and this run's indexed rows; returns the mismatches between indexer and chain."""
    problems: list[str] = []
    banner("wallets (solgrid balance --json)")
    for person in PEOPLE:
        transcript: list[str] = []
        out = await solgrid(
            scene, "balance", "--json", "-k", str(scene.keyfile(person.name)), transcript=transcript
        )
        balance = json.loads(out)
        print(f"  {person.name:<6} {person.role:<14} {balance['sol']:>12} SOL {balance['grid']:>14} GRID")

    wallets = [str(scene.wallet(p.name)) for p in PEOPLE]
    serials = [scene.serial(p) for p in PEOPLE if p.meter is not None]
    since = scene.start_slot
    sql = sqlite3.connect(db)
    with contextlib.closing(sql):
        banner(f"indexed rows of this run (its users and meters, slot {since} on)")

        def count(query: str, *args: object) -> int:
            return int(sql.execute(query, args).fetchone()[0])

        people, meters = ",".join("?" * len(wallets)), ",".join("?" * len(serials))
        this_run = {
            "users": count(f"SELECT count(*) FROM users WHERE authority IN ({people})", *wallets),
            "meters": count(f"SELECT count(*) FROM meters WHERE serial IN ({meters})", *serials),
        }
        for table in ("meter_readings", "settlements", "token_mints", "burns", "events"):
            this_run[table] = count(f"SELECT count(*) FROM {table} WHERE slot >= ?", since)
        for table, total in this_run.items():
            print(f"  {table:<15} {total:>5}")
        print("  meters (indexed; checked against the chain's Meter accounts):")
        rows = sql.execute(
            "SELECT serial, address, source, status, produced_wh, consumed_wh, settled_wh"
            f" FROM meters WHERE serial IN ({meters}) ORDER BY serial",
            serials,
        ).fetchall()
        for serial, address, source, status, produced, consumed, settled in rows:
            readings = count("SELECT count(*) FROM meter_readings WHERE meter = ?", address)
            print(
                f"    {serial:<14} {source:<6} {status:<7} {readings:>3} readings  produced {produced:>6} Wh"
                f"  consumed {consumed:>6} Wh  settled {settled:>6} Wh"
            )
            chain = await scene.registry.fetch_meter(rpc, serial)
            if chain is None or (chain.produced_wh, chain.consumed_wh) != (produced, consumed):
                problems.append(f"meter {serial}: indexer and chain disagree")
        if len(rows) != len(serials):
            problems.append(f"the indexer holds {len(rows)} of this run's {len(serials)} meters")
        minted = dict(
            sql.execute(
                f"SELECT owner, sum(amount) FROM token_mints WHERE owner IN ({people}) GROUP BY owner",
                wallets,
            ).fetchall()
        )
        burned = dict(
            sql.execute(
                f"SELECT holder, sum(amount) FROM burns WHERE holder IN ({people}) GROUP BY holder", wallets
            ).fetchall()
        )
    print("  GRID minted per owner (token_mints):")
    for person in PEOPLE:
        owner = str(scene.wallet(person.name))
        if owner in minted:
            print(f"    {person.name:<6} {base_units_to_grid(minted[owner]):.9f} GRID")
    in_wallets = sum([await scene.token.fetch_balance(rpc, Pubkey.from_string(w)) for w in wallets])
    in_market = 0
    for address in markets:
        state = await TradingClient().fetch_market(rpc, address)
        seats = state.seats if state is not None else []
        in_market += sum(s.base_free + s.base_locked for s in seats if str(s.trader) in wallets)
    held = in_wallets + in_market
    print(
        f"  GRID of this run's wallets {base_units_to_grid(in_wallets):.9f} in them"
        f" + {base_units_to_grid(in_market):.9f} in their seats in the markets = minted - burned (indexed): ",
        end="",
    )
    if held == sum(minted.values()) - sum(burned.values()):
        print("yes")
    else:
        print("NO")
        problems.append("this run's GRID balances do not match the indexed mints and burns")
    carol = await scene.token.fetch_balance(rpc, scene.wallet("carol"))
    if carol != trade.sent - trade.burned or burned.get(str(scene.wallet("carol"))) != trade.burned:
        problems.append("carol does not hold what she received minus what she burned")

    banner("websocket feed")
    pushed = feed.since(since)
    names = Counter(name for _, name, _ in pushed)
    print(
        f"  {len(pushed)} events of this run pushed: "
        + ", ".join(f"{n} {c}" for n, c in sorted(names.items()))
    )
    for _, _, line in pushed[:3]:
        print(f"  e.g. {line[:150]}")
    if len(pushed) != this_run["events"]:
        problems.append(
            f"the feed pushed {len(pushed)} events of this run, the events table holds {this_run['events']}"
        )
    return problems


async def report_market(scene: Scene, rpc: AsyncClient, db: Path, traded: MarketRun) -> list[str]:
    """The market's fills and orders as the indexer stored them, against the chain (the CLI's ``trades``
    and the market account); returns the mismatches."""
    problems: list[str] = []
    banner("the market as indexed (trades, orders, 15-minute price history)")
    market = str(traded.market)
    with contextlib.closing(sqlite3.connect(db)) as sql:
        rows = sql.execute(
            "SELECT maker_order_id, taker_order_id, CAST(price_ticks AS INTEGER), CAST(lots AS INTEGER)"
            " FROM trades WHERE market = ? ORDER BY slot, instruction_index, event_index, step",
            (market,),
        ).fetchall()
        orders = sql.execute(
            "SELECT order_id, trader, side, state, CAST(remaining_lots AS INTEGER) FROM orders"
            " WHERE market = ? ORDER BY order_id",
            (market,),
        ).fetchall()
        candles = sql.execute("SELECT count(*) FROM price_history WHERE market = ?", (market,)).fetchone()[0]
    for maker, taker, price, lots in rows:
        print(f"  trade: maker order {maker}, taker order {taker}, {lots} Wh at {price} ticks")
    for order_id, trader, side, state, remaining in orders:
        who = next((p.name for p in PEOPLE if str(scene.wallet(p.name)) == trader), trader)
        print(f"  order {order_id}: {who} {side} {state}, {remaining} Wh resting")
    print(f"  price history buckets of the market: {candles}")
    chain = sorted(
        (t["maker_order_id"], t["taker_order_id"], t["price_ticks"], t["lots"]) for t in traded.trades
    )
    if sorted(tuple(r) for r in rows) != chain:
        problems.append(f"the indexer's trades {rows} are not the chain's {chain}")
    if sum(lots for *_, lots in rows) != traded.bought_wh:
        problems.append(f"the indexed trades do not add up to the {traded.bought_wh} Wh carol bought")
    state = await TradingClient().fetch_market(rpc, traded.market)
    resting = {o.order_id: o.lots for o in (*state.bids, *state.asks)} if state is not None else {}
    indexed = {order_id: remaining for order_id, *_, remaining in orders if remaining}
    if indexed != resting:
        problems.append(f"resting orders: indexer {indexed}, market account {resting}")
    if candles == 0:
        problems.append("no 15-minute price bucket for the market's trades")
    print("  indexer matches the market account and the chain's fills" if not problems else "  MISMATCH")
    return problems


async def report_epoch(scene: Scene, db: Path, auction: AuctionRun) -> list[str]:
    """The periodic market's epoch as the indexer stored it, against its EpochCleared and settlements, and
    ``solgrid indexer verify-epochs`` (the clearing recomputed from the indexed orders); the mismatches."""
    banner("the call auction as indexed (epochs, epoch_settlements; verify-epochs)")
    market, epoch, cleared = str(auction.market), auction.epoch, auction.cleared
    with contextlib.closing(sqlite3.connect(db)) as sql:
        row = sql.execute(
            "SELECT state, CAST(price AS INTEGER), CAST(volume_lots AS INTEGER),"
            " CAST(demand_lots AS INTEGER), CAST(supply_lots AS INTEGER)"
            " FROM epochs WHERE market = ? AND epoch = ?",
            (market, epoch),
        ).fetchone()
        settlements = sql.execute(
            "SELECT count(*) FROM epoch_settlements WHERE market = ? AND epoch = ?", (market, epoch)
        ).fetchone()[0]
    problems = []
    if row is None:
        problems.append(f"the indexer holds no row for epoch {epoch}")
    else:
        state, price, volume, demand, supply = row
        print(
            f"  epoch {epoch}: {state}, {price} ticks, {volume} lots executed (demand {demand}, supply "
            f"{supply}), {settlements} settlements"
        )
        chain = (cleared.price, cleared.volume_lots, cleared.demand_lots, cleared.supply_lots)
        if (state, price, volume, demand, supply) != ("Settled", *chain):
            problems.append(f"the indexed epoch {row} is not the chain's {chain}, settled")
        if settlements != auction.settled_orders:
            problems.append(
                f"the indexer holds {settlements} of the epoch's {auction.settled_orders} settlements"
            )
    transcript: list[str] = []
    await solgrid(
        scene, "indexer", "verify-epochs", "--db", f"sqlite+aiosqlite:///{db}", "--market", market,
        "--epoch", str(epoch), transcript=transcript,
    )  # fmt: skip
    print("\n".join(transcript))
    print("  indexer matches the auction's clearing and settlements" if not problems else "  MISMATCH")
    return problems


# ---------------------------------------------------------------------------------------------------


async def run(scene: Scene, options: DashboardOptions) -> str:
    """The demo on ``scene``; the dashboard's URL (it stops with the demo)."""
    db = scene.workdir / "indexer.db"
    async with AsyncClient(scene.rpc_url, commitment=Confirmed) as rpc:
        scene.start_slot = (await rpc.get_slot(Confirmed)).value
        if not scene.local:
            banner(f"run {scene.tag} on {scene.rpc_url} from slot {scene.start_slot}")
            print(
                "new keys and meters (serials end in the run's tag); the checks count what happened from this"
                " slot on: the cluster's earlier history (other runs) is indexed too but not counted"
            )
        async with indexer(scene, db) as feed:
            await asyncio.wait_for(feed.subscribed.wait(), SYNC_TIMEOUT_SECS)
            async with dashboard(scene, db, feed.url, options.port) as board:
                if scene.local:
                    await set_morning(scene)
                await setup_market(scene, rpc)
                await onboard_everyone(scene)
                await run_oracle(scene)
                trade = await p2p(scene, rpc)
                traded = await market(scene, rpc)
                auction = await periodic_market(scene, rpc, traded.quote_mint)
                seller = traded.seller
                governed = await governance_scenes(scene, rpc, traded.market, traded.quote_mint, seller)
                await wait_for_indexer(scene, rpc, db)
                await asyncio.sleep(0.5)  # the feed's last frames
                problems = await report(scene, rpc, db, feed, trade, [traded.market, auction.market])
                problems += await report_market(scene, rpc, db, traded)
                problems += auction.problems + await report_epoch(scene, db, auction)
                problems += await report_governance(rpc, db, scene.start_slot, governed)
                markets = [str(traded.market), str(auction.market)]
                problems += await check_dashboard(board, [ZONE_ID, SOUTH_ZONE_ID], markets)
                if problems:
                    raise CommandFailed("; ".join(problems))
                print("\nindexer matches the chain")
                if options.serve:
                    await serve_until_interrupted(board)
    return board.url


async def demo_on_local_node(workdir: Path, options: DashboardOptions) -> str:
    operator = Keypair()
    operator_file = workdir / "operator.json"
    operator_file.write_text(json.dumps(list(bytes(operator))))
    operator_file.chmod(0o600)
    args = ["--ledger", str(workdir / "ledger"), "--workspace", str(REPO), "--no-programs"]
    args += ["--mint", str(operator_file)]
    async with node_process(args) as node:
        print(f"local node: {node.ready_line}")
        scene = Scene(node.rpc_url, workdir, operator, operator_file, local=True, tag="0001")
        await deploy(scene)
        url = await run(scene, options)
    print("local node stopped")
    return url


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--url", help="use this RPC endpoint instead of starting the local node")
    parser.add_argument("--keypair", type=Path, help="with --url: the registry's authority and regulator")
    parser.add_argument(
        "--serve",
        action="store_true",
        help="after the checks, keep the node, indexer and dashboard up until Ctrl-C",
    )
    parser.add_argument("--port", type=int, help="the dashboard's port (default: a free one)")
    args = parser.parse_args(argv)
    if args.url and not args.keypair:
        parser.error("--url needs --keypair")
    options = DashboardOptions(serve=args.serve, port=args.port)
    try:
        with tempfile.TemporaryDirectory(prefix="solgrid-demo-") as tmp:
            workdir = Path(tmp)
            if args.url:
                operator = read_keypair(args.keypair)
                tag = secrets.token_hex(2).upper()
                scene = Scene(args.url, workdir, operator, args.keypair.resolve(), local=False, tag=tag)
                url = asyncio.run(run(scene, options))
            else:
                url = asyncio.run(demo_on_local_node(workdir, options))
    except CommandFailed as e:
        print(f"demo failed: {e}", file=sys.stderr)
        sys.exit(1)
    print("everything stopped")
    how = (
        "stopped by Ctrl-C" if options.serve else "stopped with the demo: make demo ARGS=--serve keeps it up"
    )
    print(f"\ndashboard: {url} ({how})")


if __name__ == "__main__":
    main()
