"""``make demo``: SolGrid end to end on the local node, driven the way its users drive it.

1. starts ``solgrid localnet`` (a real process on free ports, throw-away ledger) with no programs, and
   deploys them through the upgradeable loader with ``solgrid deploy``;
2. starts the indexer (``solgrid indexer run``, SQLite) and subscribes to its websocket feed;
3. the operator initializes the market with the SDK: registry config, itself as regulator, a grid zone,
   the GRID mint;
4. two prosumers (a solar and a wind meter), a consumer (a household meter) and a grid operator use the
   ``solgrid`` CLI wallet: new keys, SOL from the faucet, ``user register``, ``meter register`` with a
   device key; the operator (as regulator) verifies them and activates the meters;
5. the node's clock moves through twelve hours of a day, and the oracle worker (``solgrid oracle run
   --drain``) signs the simulated meters' fifteen-minute readings with their device keys, submits them in
   batches verified on-chain through the Ed25519 precompile, and cranks settlement: net surplus becomes
   GRID in the prosumers' wallets;
6. a prosumer sends GRID to the consumer, who retires part of it;
7. prints the wallets, the indexed rows, and what the feed pushed; checks the indexer against the chain
   (any mismatch fails the demo) and stops everything cleanly.

``--url URL --keypair FILE`` runs steps 2-7 against another cluster (``solana-test-validator``, devnet)
where the programs are deployed; the oracle then waits for real one-minute windows to end.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
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
from pathlib import Path
from typing import Any

import httpx
import websockets
from solana.rpc.async_api import AsyncClient
from solana.rpc.commitment import Confirmed
from solders.keypair import Keypair
from solders.pubkey import Pubkey

from solgrid.localnet.process import free_port_pair, node_process
from solgrid.sdk.energy_token import EnergyTokenClient, base_units_to_grid
from solgrid.sdk.keys import read_keypair
from solgrid.sdk.registry import Limits, RegistryClient
from solgrid.sdk.transactions import send_and_confirm

REPO = Path(__file__).resolve().parents[1]
LAMPORTS_PER_SOL = 1_000_000_000
ZONE_ID = 1
DAY = 86_400
SYNC_TIMEOUT_SECS = 120.0


@dataclass(frozen=True)
class Person:
    name: str
    role: str  # the CLI's --role
    meter: str | None = None  # serial prefix
    source: str = ""  # the CLI's --source
    profile: str = ""  # the oracle simulator's profile
    capacity_w: int = 0
    daily_consumption_wh: int = 0


PEOPLE = (
    Person("alice", "prosumer", "SOLAR", "solar", "solar", 6_000, 9_000),
    Person("bob", "prosumer", "WIND", "wind", "wind", 3_000, 7_000),
    Person("carol", "consumer", "HOME", "grid", "consumer", 1, 11_000),
    Person("dave", "grid-operator"),
)


@dataclass
class Scene:
    """Where everything of one demo run lives."""

    rpc_url: str
    workdir: Path
    operator: Keypair
    operator_file: Path
    local: bool  # our local node: its clock can be moved
    tag: str  # meter serial suffix, so that a re-run on a real cluster registers new meters
    registry: RegistryClient = field(default_factory=RegistryClient)
    token: EnergyTokenClient = field(default_factory=EnergyTokenClient)

    def keyfile(self, name: str) -> Path:
        return self.workdir / "keys" / f"{name}.json"

    def wallet(self, name: str) -> Pubkey:
        return read_keypair(self.keyfile(name)).pubkey()

    def serial(self, person: Person) -> str:
        assert person.meter is not None
        return f"{person.meter}-{self.tag}"


def banner(text: str) -> None:
    print(f"\n== {text}", flush=True)


# ---------------------------------------------------------------------------------------------------
# the solgrid CLI, as a person at a terminal runs it


class CommandFailed(RuntimeError):
    pass


def solgrid_command() -> list[str]:
    script = Path(sys.executable).with_name("solgrid")
    return (
        [str(script)]
        if script.exists()
        else [sys.executable, "-c", "from solgrid.cli.main import main; main()"]
    )


def cli_env(scene: Scene) -> dict[str, str]:
    env = dict(os.environ)
    env["SOLGRID_URL"] = scene.rpc_url
    env["SOLGRID_CONFIG"] = str(scene.workdir / "solgrid-config.toml")  # not the user's own settings
    env.pop("SOLGRID_KEYPAIR", None)
    return env


async def solgrid(scene: Scene, *args: str, transcript: list[str]) -> str:
    """Runs ``solgrid ARGS``; records the command and its output in ``transcript``; raises on failure."""
    shown = " ".join(a.replace(str(scene.workdir) + "/", "") for a in args)
    transcript.append(f"$ solgrid {shown}")
    process = await asyncio.create_subprocess_exec(
        *solgrid_command(),
        *args,
        env=cli_env(scene),
        cwd=scene.workdir,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await process.communicate()
    stdout = out.decode()
    if process.returncode != 0:
        raise CommandFailed(f"solgrid {shown} exited {process.returncode}: {err.decode().strip()}")
    transcript.extend(f"  {line}" for line in stdout.strip().splitlines())
    return stdout


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


async def advance_clock(scene: Scene, seconds: int) -> None:
    async with httpx.AsyncClient() as http:
        clock = await rpc_call(http, scene.rpc_url, "solgrid_advanceTime", [seconds])
    now = int(clock["unixTimestamp"])
    print(f"local node clock advanced {seconds // 3600} h to {datetime.fromtimestamp(now, UTC):%H:%M} UTC")


async def rpc_call(http: httpx.AsyncClient, url: str, method: str, params: list[object]) -> dict[str, Any]:
    answer = (
        await http.post(url, json={"jsonrpc": "2.0", "id": 1, "method": method, "params": params})
    ).json()
    if "error" in answer:
        raise CommandFailed(f"{method}: {answer['error'].get('message')}")
    result: dict[str, Any] = answer["result"]
    return result


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
    if await registry.fetch_zone(rpc, ZONE_ID) is None:
        zone = registry.create_zone(
            payer=operator, zone_id=ZONE_ID, name="demo-north", max_capacity_kw=5_000, cosigners=[operator]
        )
        await send_and_confirm(rpc, [zone], scene.operator, coders=coders)
        print(f"grid zone {ZONE_ID} 'demo-north' created")
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
    await solgrid(scene, "user", "register", "--role", person.role, "--zone", str(ZONE_ID), "-k", key,
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
zone = {ZONE_ID}
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
        print(f"waiting for {windows} real {window_secs}-second windows to end")
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


async def p2p(scene: Scene, rpc: AsyncClient) -> None:
    banner("alice sends GRID to carol, who retires part of it for her consumption")
    transcript: list[str] = []
    carol = scene.wallet("carol")
    alice_key = str(scene.keyfile("alice"))
    await solgrid(scene, "transfer", str(carol), "1.5", "-k", alice_key, transcript=transcript)
    print("\n".join(transcript))
    burn = scene.token.burn(holder=carol, amount=500_000_000)
    await send_and_confirm(rpc, [burn], read_keypair(scene.keyfile("carol")))
    print("carol burned 0.5 GRID (energy_token burn, SDK)")


# ---------------------------------------------------------------------------------------------------
# the indexer and its feed


@dataclass
class Feed:
    """Counts what the indexer's websocket feed pushes (all events, no filter)."""

    url: str
    names: Counter[str] = field(default_factory=Counter)
    first: list[str] = field(default_factory=list)
    subscribed: asyncio.Event = field(default_factory=asyncio.Event)

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
                    self.names[event["name"]] += 1
                    if len(self.first) < 3:
                        self.first.append(f"{event['name']} slot {event['slot']} {json.dumps(event['data'])}")
            except websockets.ConnectionClosed:
                continue


@contextlib.asynccontextmanager
async def indexer(scene: Scene, db: Path) -> AsyncIterator[Feed]:
    """``solgrid indexer run`` until the block exits, then stopped with SIGINT (it must exit 0)."""
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
            process.send_signal(signal.SIGINT)
            await asyncio.wait_for(process.wait(), 30)
        if process.returncode != 0:
            raise CommandFailed(f"the indexer exited {process.returncode}")
        print("indexer stopped")


async def wait_for_indexer(scene: Scene, rpc: AsyncClient, db: Path) -> None:
    """Until the indexer's checkpoint of each program is that program's newest transaction."""
    programs = [scene.registry.program_id, scene.token.program_id]
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
        if all(stored.get(p) == s for p, s in newest.items()):
            return
        if time.monotonic() > deadline:
            raise CommandFailed("the indexer did not catch up with the chain")
        await asyncio.sleep(0.5)


async def report(scene: Scene, rpc: AsyncClient, db: Path, feed: Feed) -> list[str]:
    """Prints wallets and indexed rows; returns the mismatches between indexer and chain."""
    problems: list[str] = []
    banner("wallets (solgrid balance --json)")
    for person in PEOPLE:
        transcript: list[str] = []
        out = await solgrid(
            scene, "balance", "--json", "-k", str(scene.keyfile(person.name)), transcript=transcript
        )
        balance = json.loads(out)
        print(f"  {person.name:<6} {person.role:<14} {balance['sol']:>12} SOL {balance['grid']:>14} GRID")

    sql = sqlite3.connect(db)
    with contextlib.closing(sql):
        banner("indexed rows")
        for table in (
            "users",
            "grid_zones",
            "meters",
            "meter_readings",
            "settlements",
            "token_mints",
            "burns",
            "events",
        ):
            (count,) = sql.execute(f"SELECT count(*) FROM {table}").fetchone()
            print(f"  {table:<15} {count:>5}")
        print("  meters (indexed; checked against the chain's Meter accounts):")
        rows = sql.execute(
            "SELECT serial, address, source, status, produced_wh, consumed_wh, settled_wh"
            " FROM meters ORDER BY serial"
        ).fetchall()
        for serial, address, source, status, produced, consumed, settled in rows:
            readings = sql.execute(
                "SELECT count(*) FROM meter_readings WHERE meter = ?", (address,)
            ).fetchone()[0]
            print(
                f"    {serial:<14} {source:<6} {status:<7} {readings:>3} readings  produced {produced:>6} Wh"
                f"  consumed {consumed:>6} Wh  settled {settled:>6} Wh"
            )
            chain = await scene.registry.fetch_meter(rpc, serial)
            if chain is None or (chain.produced_wh, chain.consumed_wh) != (produced, consumed):
                problems.append(f"meter {serial}: indexer and chain disagree")
        minted = dict(sql.execute("SELECT owner, sum(amount) FROM token_mints GROUP BY owner").fetchall())
        burned = dict(sql.execute("SELECT holder, sum(amount) FROM burns GROUP BY holder").fetchall())
        print("  GRID minted per owner (token_mints):")
        for person in PEOPLE:
            owner = str(scene.wallet(person.name))
            if owner in minted:
                print(f"    {person.name:<6} {base_units_to_grid(minted[owner]):.9f} GRID")
        total_minted = sum(minted.values())
        supply = int((await rpc.get_token_supply(scene.token.mint)).value.amount)
        print(f"  GRID supply {base_units_to_grid(supply):.9f} = minted - burned (indexed): ", end="")
        if supply == total_minted - sum(burned.values()):
            print("yes")
        else:
            print("NO")
            problems.append("GRID supply does not match the indexed mints and burns")
        (events,) = sql.execute("SELECT count(*) FROM events").fetchone()

    banner("websocket feed")
    pushed = sum(feed.names.values())
    print(f"  {pushed} events pushed: " + ", ".join(f"{n} {c}" for n, c in sorted(feed.names.items())))
    for line in feed.first:
        print(f"  e.g. {line[:150]}")
    if pushed != events:
        problems.append(f"the feed pushed {pushed} events, the events table holds {events}")
    return problems


# ---------------------------------------------------------------------------------------------------


async def run(scene: Scene) -> None:
    db = scene.workdir / "indexer.db"
    async with AsyncClient(scene.rpc_url, commitment=Confirmed) as rpc, indexer(scene, db) as feed:
        await asyncio.wait_for(feed.subscribed.wait(), SYNC_TIMEOUT_SECS)
        if scene.local:
            await set_morning(scene)
        await setup_market(scene, rpc)
        await onboard_everyone(scene)
        await run_oracle(scene)
        await p2p(scene, rpc)
        await wait_for_indexer(scene, rpc, db)
        await asyncio.sleep(0.5)  # the feed's last frames
        problems = await report(scene, rpc, db, feed)
    if problems:
        raise CommandFailed("; ".join(problems))
    print("\nindexer matches the chain")


async def demo_on_local_node(workdir: Path) -> None:
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
        await run(scene)
    print("local node stopped")


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--url", help="use this RPC endpoint instead of starting the local node")
    parser.add_argument("--keypair", type=Path, help="with --url: the registry's authority and regulator")
    args = parser.parse_args(argv)
    if args.url and not args.keypair:
        parser.error("--url needs --keypair")
    try:
        with tempfile.TemporaryDirectory(prefix="solgrid-demo-") as tmp:
            workdir = Path(tmp)
            if args.url:
                operator = read_keypair(args.keypair)
                tag = secrets.token_hex(2).upper()
                scene = Scene(args.url, workdir, operator, args.keypair.resolve(), local=False, tag=tag)
                asyncio.run(run(scene))
            else:
                asyncio.run(demo_on_local_node(workdir))
    except CommandFailed as e:
        print(f"demo failed: {e}", file=sys.stderr)
        sys.exit(1)
    print("everything stopped")


if __name__ == "__main__":
    main()
