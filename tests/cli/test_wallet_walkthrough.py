"""docs/cli.md's walkthrough as a person at a terminal runs it: every command a real ``solgrid`` process,
with the default wallet file and config file under a fresh HOME, against a fresh ``solgrid localnet``
process whose upgrade authority is that wallet (so ``solgrid regulator init`` sets the market up), then
its trading part (the test stablecoin made with the SDK where the docs use ``spl-token``)."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from cli_docs import documented_json_keys, sections
from solders.pubkey import Pubkey
from trading_support import create_quote_mint, mint_tokens, token_amount
from wallet_support import REPO, advance_clock, one_line_error

from solgrid.localnet.process import free_port_pair
from solgrid.sdk.keys import read_keypair
from solgrid.sdk.workspace import Workspace

MAIN = "from solgrid.cli.main import main; main()"


@dataclass(frozen=True)
class Terminal:
    home: Path
    url: str

    @property
    def env(self) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith("SOLGRID_")}
        return {**env, "HOME": str(self.home)}

    def run(self, *args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-c", MAIN, *args],
            cwd=self.home,
            env=self.env,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )

    def ok(self, *args: str) -> str:
        result = self.run(*args)
        assert result.returncode == 0, (args, result.stderr)
        return result.stdout

    def json(self, *args: str) -> Any:
        """``solgrid ARGS --json``, checking the document has exactly the keys docs/cli.md lists."""
        document = json.loads(self.ok(*args, "--json"))
        path = "solgrid " + " ".join(args[:2])
        while path not in sections():  # drop a trailing argument: `solgrid balance ADDRESS`
            path = path.rsplit(" ", 1)[0]
        assert set(document) == documented_json_keys(path), path
        return document


@pytest.fixture(scope="module")
def terminal(tmp_path_factory: pytest.TempPathFactory, elf_of: Callable[[str], bytes]) -> Iterator[Terminal]:
    """``solgrid keys new`` then ``solgrid localnet`` (the walkthrough's first two steps)."""
    for program in Workspace.load(REPO).programs("localnet"):
        elf_of(program.name)  # target/deploy/<name>.so is up to date
    home = tmp_path_factory.mktemp("home")
    port = free_port_pair()
    term = Terminal(home, f"http://127.0.0.1:{port}")
    created = term.ok("keys", "new")
    assert f"wrote new keypair to {home}/.config/solana/id.json" in created
    node = subprocess.Popen(
        [sys.executable, "-c", MAIN, "localnet", "--rpc-port", str(port), "--quiet"],
        cwd=REPO,
        env=term.env,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert node.stdout is not None
        assert "ready" in node.stdout.readline()
        yield term
    finally:
        node.send_signal(signal.SIGINT)
        try:
            assert node.wait(timeout=30) == 0
        finally:
            if node.poll() is None:
                node.kill()
                node.wait()


def test_walkthrough(terminal: Terminal) -> None:
    t = terminal
    assert "saved" in t.ok("config", "set", "--url", t.url)
    assert t.json("config", "get")["url"] == t.url
    operator = t.ok("keys", "show").strip()
    assert t.json("balance")["lamports"] > 0  # the node funds its upgrade authority

    # Before the market exists, registering says what is missing.
    t.ok("keys", "new", "-o", "alice.json")
    one_line_error(
        t.run("user", "register", "--role", "prosumer", "--zone", "1", "-k", "alice.json"),
        1,
        "registry is not initialized",
    )

    init = t.run("regulator", "init")
    assert init.returncode == 0, init.stderr
    assert (
        "initialize registry: signature" in init.stdout and "create the GRID mint: signature" in init.stdout
    )
    assert "initialize registry ..." in init.stderr  # progress
    again = t.json("regulator", "init")
    assert [s["signature"] for s in again["steps"]] == [None] * 4 and again["regulators"] == [operator]
    assert (
        t.json("regulator", "create-zone", "2", "--name", "uptown", "--max-capacity-kw", "1")["zone_id"] == 2
    )
    assert "created grid zone 1" in t.ok(
        "regulator", "create-zone", "1", "--name", "downtown", "--max-capacity-kw", "5000"
    )

    alice = t.ok("keys", "show", "-k", "alice.json").strip()
    assert t.json("airdrop", "2", alice)["sol"] == "2.000000000"
    assert t.json("keys", "show", "-k", "alice.json")["pubkey"] == alice
    t.json("user", "register", "--role", "prosumer", "--zone", "1", "-k", "alice.json")
    t.json("regulator", "verify-user", alice)
    assert t.json("user", "show", alice)["status"] == "VERIFIED"

    t.ok("keys", "new", "-o", "meter1.json")
    meter_args = ["--device-key", "meter1.json", "--source", "solar", "--capacity-w", "5000"]
    t.json("meter", "register", "SOLAR-0001", *meter_args, "-k", "alice.json")
    t.json("regulator", "activate-meter", "SOLAR-0001")
    assert t.json("meter", "show", "SOLAR-0001")["status"] == "ACTIVE"

    advance_clock(t.url, 1800)  # three 10-minute windows end
    readings = ["-r", "800:100", "-r", "700:150", "-r", "500:200"]
    submitted = t.ok(
        "reading", "submit", "SOLAR-0001", "--device-key", "meter1.json", *readings, "-k", "alice.json"
    )
    assert "accepted 3 readings" in submitted and "unsettled surplus 1550 Wh" in submitted
    (listed,) = t.json("meter", "list", "--owner", alice)["meters"]
    assert listed["unsettled_wh"] == 1550 and set(listed) == documented_json_keys("solgrid meter show")

    assert t.json("settle", "SOLAR-0001", "-k", "alice.json")["grid"] == "1.550000000"
    assert t.ok("balance", "-k", "alice.json").splitlines()[1] == "1.550000000 GRID"

    bob = t.json("keys", "new", "-o", "bob.json")["pubkey"]
    sent = t.run("transfer", bob, "1.5", "-k", "alice.json")
    assert sent.returncode == 0, sent.stderr
    assert "has no GRID account yet: creating" in sent.stderr and "created its GRID account" in sent.stdout
    assert t.json("balance", bob)["grid"] == "1.500000000"
    sent_again = t.json("transfer", bob, "0.05", "-k", "alice.json")
    assert sent_again["created_grid_account"] is False
    history = t.json("history", "-k", "alice.json", "-n", "3")["transactions"][1:]
    for entry in history:
        assert set(entry) == documented_json_keys("solgrid history", of="transactions")
        for event in entry["events"]:
            assert set(event) == documented_json_keys("solgrid history", of="events")
    assert history[0]["grid_change_base_units"] == -1_500_000_000
    assert [e["name"] for e in history[1]["events"]] == ["MeterSettled", "GridMinted"]
    assert "-1.500000000 GRID" in t.ok("history", "-k", "alice.json", "-n", "2")

    # Trading: the operator opens zone 1's market against a test stablecoin; Alice sells, Carol buys.
    operator_key = read_keypair(t.home / ".config" / "solana" / "id.json")
    usdc = create_quote_mint(t.url, operator_key)
    carol = t.json("keys", "new", "-o", "carol.json")["pubkey"]
    t.json("airdrop", "2", carol)
    t.json("user", "register", "--role", "consumer", "--zone", "1", "-k", "carol.json")
    t.json("regulator", "verify-user", carol)
    carol_usdc = mint_tokens(t.url, operator_key, usdc, Pubkey.from_string(carol), 1_000_000)

    assert t.json("trading", "init")["signature"] is not None
    t.json("market", "create", "1", "--quote-mint", str(usdc), "--tick-size", "1000", "--lot-size-wh", "100")
    advance_clock(t.url, 1200)
    t.json("reading", "submit", "SOLAR-0001", "--device-key", "meter1.json", "-r", "900:100", "-r", "900:100",
           "-k", "alice.json")  # fmt: skip
    assert t.json("settle", "SOLAR-0001", "-k", "alice.json")["grid"] == "1.600000000"

    sold = t.json("order", "sell", "1", "--kwh", "1", "--price", "0.12", "-k", "alice.json")
    assert (sold["state"], sold["deposited"], sold["claimed_seat"]) == ("ACTIVE", "1.000000000", True)
    assert ["ask", "0.120000", "1.000", "1"] in [line.split() for line in t.ok("book", "1").splitlines()]
    bought = t.json("order", "buy", "1", "--kwh", "0.5", "--price", "0.125", "-k", "carol.json")
    assert (bought["state"], bought["quote_traded"], bought["taker_fee"]) == (
        "FILLED",
        "0.060000",
        "0.000150",
    )
    assert bought["deposited"] == "0.062657" and token_amount(t.url, carol_usdc) == 1_000_000 - 62_657
    (trade,) = t.json("trades", "1")["trades"]
    assert (trade["price"], trade["kwh"], trade["taker"]) == ("0.120000", "0.500", carol)
    listed = t.json("order", "list", "-k", "alice.json")
    assert [(o["kwh"], o["state"]) for o in listed["orders"]] == [("0.500", "PARTIALLY_FILLED")]
    assert listed["balances"][0]["quote_free"] == "0.060000"
    withdrawn = t.json("withdraw", "1", "--quote", "0.06", "-k", "alice.json")
    assert (
        withdrawn["created_account"] is True
        and token_amount(t.url, Pubkey.from_string(withdrawn["account"])) == 60_000
    )
    shown = t.json("market", "show", "1")
    assert (shown["trade_count"], shown["fees_uncollected"], shown["ask_kwh"]) == (1, "0.000150", "0.500")
