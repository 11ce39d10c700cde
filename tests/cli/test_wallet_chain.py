"""The wallet commands against the shared local node, as a prosumer and a regulator drive them: keys,
faucet, registration, a meter, device-signed readings, settlement, GRID transfers and history; and the
one-line errors with their exit codes (in-process through CliRunner and as a real subprocess)."""

from __future__ import annotations

import json
import socket
from pathlib import Path

from cli_docs import documented_json_keys
from solders.keypair import Keypair
from wallet_support import (
    ZONE_ID,
    Market,
    advance_clock,
    invoke,
    invoke_json,
    one_line_error,
    proxy_dropping_after,
    run_subprocess,
    write_key,
)

from solgrid.sdk.energy_token import EnergyTokenClient

READINGS = [(900, 100), (1200, 150), (1500, 200), (1100, 300), (800, 400)]  # Wh per 10-minute window


def _serial(tag: str) -> str:
    return f"CLI-{tag}-{Keypair().pubkey()}"[:32]


def _prosumer(home: Path, market: Market) -> tuple[Keypair, Path]:
    """A funded, registered and verified prosumer whose key is the configured default wallet."""
    wallet = Keypair()
    key = write_key(home / "prosumer.json", wallet)
    assert invoke("config", "set", "--url", market.url, "--keypair", str(key)).exit_code == 0
    assert invoke_json("airdrop", "2")["lamports"] == 2_000_000_000
    invoke_json("user", "register", "--role", "prosumer", "--zone", str(ZONE_ID))
    regulator = write_key(home / "regulator.json", market.regulator)
    invoke_json("regulator", "verify-user", str(wallet.pubkey()), "-k", str(regulator))
    return wallet, regulator


def test_prosumer_from_keys_to_grid_transfer(home: Path, market: Market) -> None:
    wallet, regulator = _prosumer(home, market)
    user = invoke_json("user", "show")
    assert user["authority"] == str(wallet.pubkey()) and user["status"] == "VERIFIED"
    assert user["role"] == "PROSUMER" and user["zone_id"] == ZONE_ID

    start = invoke_json("balance")
    assert start["address"] == str(wallet.pubkey())
    assert start["grid"] == "0.000000000" and start["grid_base_units"] == 0
    assert 0 < start["lamports"] < 2_000_000_000  # registration paid rent and fees

    device = write_key(home / "device.json", Keypair())
    serial = _serial("S")
    registered = invoke_json(
        "meter", "register", serial, "--device-key", str(device), "--source", "solar", "--capacity-w", "12000"
    )
    invoke_json("regulator", "activate-meter", serial, "-k", str(regulator))
    shown = invoke_json("meter", "show", serial)
    assert shown["address"] == registered["meter"] and shown["status"] == "ACTIVE"
    assert shown["device_key"] == str(Keypair.from_bytes(bytes(json.loads(device.read_text()))).pubkey())

    # An hour passes on the node; five windows go out in two transactions (four readings fit in one).
    advance_clock(market.url, 3600)
    args = [f"-r{p}:{c}" for p, c in READINGS]
    submitted = invoke("reading", "submit", serial, "--device-key", str(device), *args, "--json")
    assert submitted.exit_code == 0, submitted.stderr
    document = json.loads(submitted.stdout)
    assert set(document) == documented_json_keys("solgrid reading submit")
    surplus = sum(p - c for p, c in READINGS)
    assert document["accepted"] == 5 and len(document["signatures"]) == 2
    assert document["produced_wh"] == sum(p for p, _ in READINGS) and document["unsettled_wh"] == surplus
    assert "submitting 5 readings" in submitted.stderr  # progress on stderr, stdout stays JSON

    listed = invoke_json("meter", "list")
    assert [m["serial"] for m in listed["meters"]] == [serial]
    assert listed["meters"][0]["unsettled_wh"] == surplus
    assert serial in invoke("meter", "list").stdout

    settled = invoke_json("settle", serial)
    assert settled["amount_wh"] == surplus and settled["grid_base_units"] == surplus * 10**6
    one_line_error(invoke("settle", serial), 1, "no unsettled surplus")
    assert invoke_json("balance")["grid_base_units"] == surplus * 10**6

    friend = Keypair()
    sent = invoke_json("transfer", str(friend.pubkey()), "1.25")
    assert sent["grid_base_units"] == 1_250_000_000
    assert invoke_json("balance", str(friend.pubkey()))["grid"] == "1.250000000"
    assert invoke_json("balance")["grid_base_units"] == surplus * 10**6 - 1_250_000_000
    text = invoke("balance")
    assert text.exit_code == 0 and text.stdout.splitlines()[1].endswith(" GRID")
    one_line_error(invoke("transfer", str(friend.pubkey()), "1000"), 1, "insufficient GRID")

    history = invoke_json("history", "--limit", "20")["transactions"]
    names = [e["name"] for tx in history for e in tx["events"]]
    for expected in ("UserRegistered", "MeterRegistered", "ReadingAccepted", "MeterSettled", "GridMinted"):
        assert expected in names, names
    minted = next(e for tx in history for e in tx["events"] if e["name"] == "GridMinted")
    assert minted["fields"]["owner"] == str(wallet.pubkey()) and minted["fields"]["amount_wh"] == surplus
    assert all(tx["error"] is None for tx in history)
    registered_event = next(e for tx in history for e in tx["events"] if e["name"] == "MeterRegistered")
    assert registered_event["fields"]["device_key"] == shown["device_key"]
    assert registered_event["fields"]["serial"] == serial
    assert [tx["slot"] for tx in history] == sorted((tx["slot"] for tx in history), reverse=True)
    assert "GridMinted(" in invoke("history").stdout


def test_chain_errors_are_one_line_with_exit_codes(home: Path, any_market: Market) -> None:
    market = any_market
    unfunded = write_key(home / "unfunded.json", Keypair())
    common = ["--url", market.url, "-k", str(unfunded)]
    one_line_error(
        invoke("user", "register", "--role", "consumer", "--zone", str(ZONE_ID), *common),
        1,
        "insufficient SOL",
    )
    one_line_error(invoke("user", "show", *common), 1, "is not a registered user")
    device = write_key(home / "device.json", Keypair())
    meter_args = ["--device-key", str(device), "--source", "wind", "--capacity-w", "10"]
    one_line_error(
        invoke("meter", "register", _serial("U"), *meter_args, *common), 1, "not a registered user"
    )
    one_line_error(invoke("meter", "show", "NO-SUCH-METER", *common), 1, "is not registered")
    one_line_error(invoke("balance", "--url", market.url, "-k", str(home / "absent.json")), 1, "not found")
    one_line_error(invoke("balance", "not-a-pubkey", *common), 2, "not a valid address")
    one_line_error(invoke("balance", "--url", "moonnet", "-k", str(unfunded)), 2, "unknown cluster 'moonnet'")
    one_line_error(
        invoke("transfer", str(Keypair().pubkey()), "1.0000000001", *common), 2, "at most 9 decimals"
    )
    one_line_error(invoke("transfer", str(Keypair().pubkey()), "1", *common), 1, "insufficient GRID")
    listed = invoke_json("meter", "list", *common)
    assert listed["meters"] == []


def test_wrong_device_key_is_refused(home: Path, any_market: Market) -> None:
    market = any_market
    _prosumer(home, market)
    device = write_key(home / "device.json", Keypair())
    serial = _serial("D")
    args = ["--device-key", str(device), "--source", "hydro", "--capacity-w", "500"]
    invoke_json("meter", "register", serial, *args)
    impostor = write_key(home / "impostor.json", Keypair())
    one_line_error(
        invoke("reading", "submit", serial, "--device-key", str(impostor), "-r", "1:0"),
        1,
        "not the device key",
    )
    one_line_error(
        invoke("reading", "submit", serial, "--device-key", str(device), "-r", "x"), 2, "PRODUCTION_WH"
    )


def _dead_url() -> str:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    return f"http://127.0.0.1:{port}"


def test_node_down_in_process_and_subprocess(home: Path) -> None:
    key = write_key(home / "w.json", Keypair())
    one_line_error(
        invoke("balance", "--url", _dead_url(), "-k", str(key)), 1, "cannot reach the RPC endpoint"
    )
    env = {"HOME": str(home), "SOLGRID_CONFIG": str(home / "none.toml"), "SOLGRID_URL": _dead_url()}
    one_line_error(
        run_subprocess("balance", "-k", str(key), "--json", env=env), 1, "cannot reach the RPC endpoint"
    )
    one_line_error(run_subprocess("balance", "--url", "nowhere", env=env), 2, "unknown cluster")


def test_subprocess_reads_and_airdrops(home: Path, any_market: Market) -> None:
    market = any_market
    key = write_key(home / "w.json", Keypair())
    env = {
        "HOME": str(home),
        "SOLGRID_CONFIG": str(home / "none.toml"),
        "SOLGRID_URL": market.url,
        "SOLGRID_KEYPAIR": str(key),
    }
    dropped = run_subprocess("airdrop", "0.5", "--json", env=env)
    assert dropped.returncode == 0, dropped.stderr
    assert json.loads(dropped.stdout)["lamports"] == 500_000_000
    assert "requesting 0.5 SOL" in dropped.stderr
    balance = run_subprocess("balance", "--json", env=env)
    assert balance.returncode == 0, balance.stderr
    assert json.loads(balance.stdout)["sol"] == "0.500000000"
    history = run_subprocess("history", "--json", env=env)
    assert history.returncode == 0, history.stderr
    assert len(json.loads(history.stdout)["transactions"]) == 1


def _settled_grid(home: Path, market: Market, readings: list[tuple[int, int]]) -> tuple[Keypair, str]:
    """A prosumer (the configured wallet) whose new solar meter's surplus was settled into GRID."""
    wallet, regulator = _prosumer(home, market)
    device = write_key(home / "grid-device.json", Keypair())
    serial = _serial("G")
    meter_args = ["--device-key", str(device), "--source", "solar", "--capacity-w", "12000"]
    invoke_json("meter", "register", serial, *meter_args)
    invoke_json("regulator", "activate-meter", serial, "-k", str(regulator))
    advance_clock(market.url, 600 * len(readings))
    invoke_json(
        "reading", "submit", serial, "--device-key", str(device), *[f"-r{p}:{c}" for p, c in readings]
    )
    invoke_json("settle", serial)
    return wallet, serial


def test_transfer_creates_the_recipient_account_once_and_refuses_token_accounts(
    home: Path, market: Market
) -> None:
    token = EnergyTokenClient()
    wallet, _ = _settled_grid(home, market, [(2000, 0)])  # 2 kWh = 2 GRID
    friend = Keypair().pubkey()

    first = invoke("transfer", str(friend), "0.5", "--json")
    assert first.exit_code == 0, first.stderr
    sent = json.loads(first.stdout)
    assert sent["created_grid_account"] is True and sent["to_grid_account"] == str(token.grid_account(friend))
    assert f"{friend} has no GRID account yet: creating {token.grid_account(friend)}" in first.stderr
    assert "rent 0.002039280 SOL" in first.stderr
    second = invoke("transfer", str(friend), "0.25", "--json")
    assert second.exit_code == 0, second.stderr
    assert json.loads(second.stdout)["created_grid_account"] is False and "creating" not in second.stderr
    text = invoke("transfer", str(friend), "0.25")
    assert text.exit_code == 0 and "created its GRID account" not in text.stdout, text.stderr

    for not_a_wallet in (token.grid_account(friend), token.mint):
        one_line_error(
            invoke("transfer", str(not_a_wallet), "0.1"), 1, "is a token account or mint, not a wallet"
        )
    assert invoke_json("balance", str(friend))["grid_base_units"] == 1_000_000_000
    assert invoke_json("balance")["grid_base_units"] == 1_000_000_000

    newest = invoke_json("history", "-n", "1")["transactions"][0]
    assert newest["grid_change_base_units"] == -250_000_000 and newest["lamports_change"] == -5000
    received = invoke_json("history", str(friend))["transactions"]
    assert [tx["grid_change_base_units"] for tx in received] == [250_000_000, 250_000_000, 500_000_000]
    assert all(tx["lamports_change"] == 0 for tx in received)
    assert "+0.500000000 GRID" in invoke("history", str(friend)).stdout

    # The friend holds GRID but no SOL: neither the rent of a new account nor a fee can be paid.
    holder = Keypair()
    friend_key = write_key(home / "friend.json", holder)
    invoke_json("transfer", str(holder.pubkey()), "0.5")
    one_line_error(
        invoke("transfer", str(Keypair().pubkey()), "0.1", "-k", str(friend_key)),
        1,
        "insufficient SOL: creating",
    )
    one_line_error(
        invoke("transfer", str(wallet.pubkey()), "0.1", "-k", str(friend_key)), 1, "insufficient SOL"
    )


def test_failed_batch_after_landed_ones_says_what_landed_and_a_rerun_resumes(
    home: Path, market: Market
) -> None:
    _prosumer(home, market)
    regulator = home / "regulator.json"
    device = write_key(home / "device.json", Keypair())
    serial = _serial("P")
    invoke_json(
        "meter", "register", serial, "--device-key", str(device), "--source", "wind", "--capacity-w", "6000"
    )
    invoke_json("regulator", "activate-meter", serial, "-k", str(regulator))
    advance_clock(market.url, 6 * 600)
    # 6 kW over 10 minutes is 1000 Wh (1100 with the tolerance): the fifth window claims too much.
    readings = ["-r500:0", "-r600:0", "-r700:0", "-r800:0", "-r5000:0", "-r900:0"]
    failed = invoke("reading", "submit", serial, "--device-key", str(device), *readings, "--json")
    error = one_line_error(failed, 1, "4 of 6 readings landed")
    assert "ProductionExceedsCapacity" in error and "the transaction from reading 5 on failed" in error
    shown = invoke_json("meter", "show", serial)
    assert shown["reading_count"] == 4 and shown["produced_wh"] == 2600
    resumed = invoke_json("reading", "submit", serial, "--device-key", str(device), "-r1000:0", "-r900:0")
    assert resumed["accepted"] == 2 and resumed["produced_wh"] == 4500
    assert invoke_json("meter", "show", serial)["reading_count"] == 6


def test_a_node_lost_after_landed_batches_says_what_landed(home: Path, market: Market) -> None:
    """The node goes away once the first transaction has landed and been fetched: the error still says
    how many readings landed, and a rerun against the node resumes after them."""
    _prosumer(home, market)
    regulator = home / "regulator.json"
    device = write_key(home / "device.json", Keypair())
    serial = _serial("N")
    invoke_json(
        "meter", "register", serial, "--device-key", str(device), "--source", "wind", "--capacity-w", "6000"
    )
    invoke_json("regulator", "activate-meter", serial, "-k", str(regulator))
    advance_clock(market.url, 8 * 600)
    readings = [f"-r{500 + 10 * i}:0" for i in range(8)]
    with proxy_dropping_after(market.url, "getTransaction") as flaky:
        failed = invoke(
            "reading", "submit", serial, "--device-key", str(device), *readings, "--url", flaky, "--json"
        )
    error = one_line_error(failed, 1, "4 of 8 readings landed")
    assert "the transaction from reading 5 on failed: cannot reach the RPC endpoint" in error
    assert invoke_json("meter", "show", serial)["reading_count"] == 4
    resumed = invoke_json("reading", "submit", serial, "--device-key", str(device), *readings[4:])
    assert resumed["accepted"] == 4 and invoke_json("meter", "show", serial)["reading_count"] == 8


def test_inactive_meter_and_non_regulators_are_refused_up_front(home: Path, any_market: Market) -> None:
    market = any_market
    wallet, regulator = _prosumer(home, market)
    device = write_key(home / "device.json", Keypair())
    serial = _serial("I")
    invoke_json(
        "meter", "register", serial, "--device-key", str(device), "--source", "solar", "--capacity-w", "100"
    )
    one_line_error(
        invoke("reading", "submit", serial, "--device-key", str(device), "-r", "1:0"),
        1,
        "is INACTIVE: readings are accepted once a regulator activates it",
    )
    one_line_error(
        invoke("regulator", "activate-meter", serial),
        1,
        f"wallet {wallet.pubkey()} is not a registry regulator",
    )
    one_line_error(invoke("regulator", "verify-user", str(wallet.pubkey())), 1, "is not a registry regulator")
    one_line_error(
        invoke("regulator", "create-zone", "77", "--name", "x", "--max-capacity-kw", "1"),
        1,
        "is not a registry regulator",
    )
    one_line_error(
        invoke(
            "regulator",
            "create-zone",
            str(ZONE_ID),
            "--name",
            "x",
            "--max-capacity-kw",
            "1",
            "-k",
            str(regulator),
        ),
        1,
        f"grid zone {ZONE_ID} already exists",
    )
    again = invoke_json("regulator", "init", "-k", str(regulator))
    assert [step["signature"] for step in again["steps"]] == [None] * 4
    assert str(market.regulator.pubkey()) in again["regulators"]
    one_line_error(
        invoke("user", "register", "--role", "consumer", "--zone", "4000000"), 1, "is already registered"
    )
