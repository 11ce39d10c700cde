"""What the demo's scenes share (``scripts/demo.py`` and ``scripts/demo_governance.py``): the people and
their meters, where a run lives (:class:`Scene`), the ``solgrid`` CLI run as a person at a terminal runs
it, and the local node's test-only clock methods."""

from __future__ import annotations

import asyncio
import os
import re
import sys
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
from solders.keypair import Keypair
from solders.pubkey import Pubkey

from solgrid.sdk.clock import duration
from solgrid.sdk.energy_token import EnergyTokenClient
from solgrid.sdk.keys import read_keypair
from solgrid.sdk.registry import RegistryClient

ZONE_ID = 1
SOUTH_ZONE_ID = 2
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
    zone: int = ZONE_ID


PEOPLE = (
    Person("alice", "prosumer", "SOLAR", "solar", "solar", 6_000, 9_000),
    Person("bob", "prosumer", "HYDRO", "hydro", "hydro", 10_000, 7_000),
    Person("carol", "consumer", "HOME", "grid", "consumer", 1, 11_000),
    Person("dave", "grid-operator"),
    # Zone 2, a river valley with a periodic market: two run-of-river turbines and a household.
    Person("erin", "prosumer", "MILL", "hydro", "hydro", 6_000, 6_000, zone=SOUTH_ZONE_ID),
    Person("frank", "prosumer", "WEIR", "hydro", "hydro", 8_000, 8_000, zone=SOUTH_ZONE_ID),
    Person("grace", "consumer", zone=SOUTH_ZONE_ID),
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
    start_slot: int = 0  # what this run did is at or after this slot (a real cluster has history)
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


PLAIN_WORD = re.compile(r"[\w./:=@%+,-]+")


def command_line(scene: Scene, args: tuple[str, ...]) -> str:
    """``args`` as typed in a shell in the run's directory: its paths relative, words with spaces or quotes
    in double quotes."""

    def word(arg: str) -> str:
        arg = arg.replace(str(scene.workdir) + "/", "")
        if PLAIN_WORD.fullmatch(arg):
            return arg
        return '"' + re.sub(r'(["\\$`])', r"\\\1", arg) + '"'

    return " ".join(word(a) for a in args)


async def _run(scene: Scene, args: tuple[str, ...], transcript: list[str]) -> tuple[str, int, bytes, bytes]:
    """``solgrid ARGS`` in the scene's directory, recorded in ``transcript``: the command as shown, its
    exit code, stdout and stderr."""
    shown = command_line(scene, args)
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
    assert process.returncode is not None
    return shown, process.returncode, out, err


async def solgrid(scene: Scene, *args: str, transcript: list[str]) -> str:
    """Runs ``solgrid ARGS``; records the command and its output in ``transcript``; raises on failure."""
    shown, returncode, out, err = await _run(scene, args, transcript)
    stdout = out.decode()
    if returncode != 0:
        raise CommandFailed(f"solgrid {shown} exited {returncode}: {err.decode().strip()}")
    transcript.extend(f"  {line}" for line in stdout.strip().splitlines())
    return stdout


async def solgrid_refused(scene: Scene, *args: str, transcript: list[str]) -> str:
    """Runs ``solgrid ARGS``, which must fail; records the command and its one-line error in
    ``transcript`` and returns that line (raises when the command succeeds or says more than one line)."""
    shown, returncode, _, err = await _run(scene, args, transcript)
    errors = [line for line in err.decode().splitlines() if line.startswith("error: ")]
    if returncode == 0 or len(errors) != 1:
        raise CommandFailed(f"solgrid {shown} should have been refused in one line: {err.decode().strip()}")
    transcript.append(f"  {errors[0]}")
    return errors[0]


# ---------------------------------------------------------------------------------------------------
# the local node's clock (its test-only methods solgrid_getClock, solgrid_setClock, solgrid_advanceTime)


async def advance_clock(scene: Scene, seconds: int) -> None:
    async with httpx.AsyncClient() as http:
        clock = await rpc_call(http, scene.rpc_url, "solgrid_advanceTime", [seconds])
    now = int(clock["unixTimestamp"])
    print(f"local node clock advanced {duration(seconds)} to {datetime.fromtimestamp(now, UTC):%H:%M:%S} UTC")


async def rpc_call(http: httpx.AsyncClient, url: str, method: str, params: list[object]) -> dict[str, Any]:
    answer = (
        await http.post(url, json={"jsonrpc": "2.0", "id": 1, "method": method, "params": params})
    ).json()
    if "error" in answer:
        raise CommandFailed(f"{method}: {answer['error'].get('message')}")
    result: dict[str, Any] = answer["result"]
    return result
