"""The trading commands as a market runs them on the shared local node: regulators open a zone's market
against a test stablecoin, a prosumer sells the GRID her meter earned, a consumer buys it, and the
book, the trades, the order lists, withdrawals, fee collection and the regulator's controls show the
right numbers, in text and in ``--json`` (whose keys are exactly those docs/cli.md lists)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from cli_docs import documented_json_keys
from solders.pubkey import Pubkey
from spl.token.instructions import get_associated_token_address
from trading_support import Scene, mint_quote, new_scene, settle_grid, token_amount, user
from wallet_support import Market, advance_clock, invoke, one_line_error

from solgrid.sdk.energy_token import EnergyTokenClient
from solgrid.sdk.trading import TradingClient


def run_json(path: str, *args: str, of: dict[str, str] | None = None) -> Any:
    """``solgrid ARGS --json``: succeeds, and the document (and each item of the lists ``of`` names)
    has exactly the keys docs/cli.md lists for command ``path``."""
    result = invoke(*args, "--json")
    assert result.exit_code == 0, (args, result.stderr)
    document = json.loads(result.stdout)
    assert set(document) == documented_json_keys(path), path
    for key, documented_as in (of or {}).items():
        for item in document[key]:
            assert set(item) == documented_json_keys(path, of=documented_as), (path, key)
    return document


def run_text(*args: str) -> str:
    result = invoke(*args)
    assert result.exit_code == 0, (args, result.stderr)
    return result.stdout


def test_a_market_from_creation_to_fee_collection(tmp_path: Path, market: Market) -> None:
    scene: Scene = new_scene(market, tmp_path)
    z = str(scene.zone_id)
    reg = scene.regulator
    one_line_error(invoke("book", z, *scene.args(reg)), 1, f"no market in grid zone {z}")

    created = run_json(
        "solgrid market create",
        *scene.cli(reg, "market", "create", z, "--quote-mint", str(scene.quote_mint)),
        "--tick-size",
        "1000",
        "--lot-size-wh",
        "100",
    )
    address = TradingClient().market_pda(scene.zone_id, scene.quote_mint).address
    assert created["market"] == str(address) and created["zone_id"] == scene.zone_id
    shown = run_json("solgrid market show", *scene.cli(reg, "market", "show", z))
    assert (shown["tick_size"], shown["lot_size_wh"], shown["min_order_lots"]) == (1000, 100, 1)
    assert (shown["taker_fee_bps"], shown["maker_fee_bps"], shown["max_orders_per_epoch"]) == (25, 0, 100)
    assert shown["fee_recipient"] == reg.address and shown["status"] == "ACTIVE" and shown["seats"] == 0
    assert shown["base_mint"] == str(EnergyTokenClient().mint) and shown["quote_decimals"] == 6

    alice = user(scene, tmp_path, "alice", "prosumer")
    settle_grid(scene, tmp_path, alice, [1500, 1500])  # 3 GRID
    carol = user(scene, tmp_path, "carol", "consumer")
    carol_quote = mint_quote(scene, carol.keypair.pubkey(), 1_000_000)  # 1.0 of the stablecoin

    # Alice sells 2 kWh at 0.12: her seat is claimed and 2 GRID deposited in the same transaction.
    sell = invoke(*scene.cli(alice, "order", "sell", z, "--kwh", "2", "--price", "0.12", "--json"))
    assert sell.exit_code == 0, sell.stderr
    assert "claiming a seat" in sell.stderr and "depositing 2.000000000 GRID" in sell.stderr
    placed = json.loads(sell.stdout)
    assert set(placed) == documented_json_keys("solgrid order sell")
    assert (placed["order_id"], placed["side"], placed["state"], placed["kind"]) == (
        0,
        "SELL",
        "ACTIVE",
        "LIMIT",
    )
    assert (placed["price"], placed["price_ticks"], placed["kwh"], placed["lots"]) == (
        "0.120000",
        120,
        "2.000",
        20,
    )
    assert (placed["rested_kwh"], placed["filled_kwh"], placed["fills"]) == ("2.000", "0.000", [])
    assert (placed["claimed_seat"], placed["seat"]) == (True, 0)
    assert (placed["deposited"], placed["deposited_asset"]) == ("2.000000000", "GRID")
    text = run_text(
        *scene.cli(alice, "order", "sell", z, "--kwh", "0.5", "--price", "0.13", "--post-only"),
        "--client-order-id",
        "7",
    )
    assert (
        "sell order 1 in grid zone" in text and "0.500 kWh at 0.130000 per kWh (POST_ONLY) -> ACTIVE" in text
    )
    assert "deposited 0.500000000 GRID" in text and "claimed seat" not in text

    book = run_json("solgrid book", *scene.cli(carol, "book", z), of={"asks": "asks"})
    assert [(a["price"], a["kwh"], a["orders"]) for a in book["asks"]] == [
        ("0.120000", "2.000", 1),
        ("0.130000", "0.500", 1),
    ]
    assert book["bids"] == [] and book["spread"] is None and book["best_ask"] == "0.120000"
    assert "no bids" in run_text(*scene.cli(carol, "book", z))

    # Carol buys 1.5 kWh at up to 0.125: it fills at alice's 0.12; her seat gets what the order may
    # spend at its limit (1.5 x 0.125 plus the 25 bps taker fee, rounded up) from her stablecoin.
    bought = run_json(
        "solgrid order buy",
        *scene.cli(carol, "order", "buy", z, "--kwh", "1.5", "--price", "0.125"),
        of={"fills": "fills"},
    )
    assert (bought["state"], bought["filled_kwh"], bought["rested_kwh"]) == ("FILLED", "1.500", "0.000")
    assert (bought["deposited"], bought["deposited_asset"]) == ("0.187969", "QUOTE")
    assert (bought["quote_traded"], bought["taker_fee"], bought["order_id"]) == ("0.180000", "0.000450", 2)
    (fill,) = bought["fills"]
    assert (fill["maker"], fill["maker_order_id"], fill["price"], fill["kwh"]) == (
        alice.address,
        0,
        "0.120000",
        "1.500",
    )
    assert (fill["quote"], fill["taker_fee"], fill["maker_fee"]) == ("0.180000", "0.000450", "0.000000")
    assert token_amount(scene.url, carol_quote) == 1_000_000 - 187_969

    (trade,) = run_json("solgrid trades", *scene.cli(reg, "trades", z), of={"trades": "trades"})["trades"]
    assert (trade["taker_side"], trade["taker"], trade["maker"]) == ("BUY", carol.address, alice.address)
    assert (trade["price"], trade["kwh"], trade["quote"], trade["taker_fee"]) == (
        "0.120000",
        "1.500",
        "0.180000",
        "0.000450",
    )
    assert (trade["taker_order_id"], trade["maker_order_id"], trade["signature"]) == (
        2,
        0,
        bought["signature"],
    )
    assert trade in run_json("solgrid trades", *scene.cli(reg, "trades"))["trades"]  # every market
    (line,) = [t for t in run_text(*scene.cli(reg, "trades", z)).splitlines() if bought["signature"] in t]
    assert line.split()[1:6] == [z, "BUY", "0.120000", "1.500", "0.180000"]

    listed = run_json(
        "solgrid order list",
        *scene.cli(alice, "order", "list"),
        of={"orders": "orders", "balances": "balances"},
    )
    assert [
        (o["order_id"], o["side"], o["price"], o["kwh"], o["initial_kwh"], o["state"])
        for o in listed["orders"]
    ] == [
        (0, "SELL", "0.120000", "0.500", "2.000", "PARTIALLY_FILLED"),
        (1, "SELL", "0.130000", "0.500", "0.500", "ACTIVE"),
    ]
    assert listed["orders"][1]["client_order_id"] == 7
    (balance,) = listed["balances"]
    assert (balance["grid_free"], balance["grid_locked"]) == ("0.000000000", "1.000000000")
    assert (balance["quote_free"], balance["quote_locked"], balance["quote_free_atoms"]) == (
        "0.180000",
        "0.000000",
        180_000,
    )
    (carols,) = run_json("solgrid order list", *scene.cli(carol, "order", "list", z))["balances"]
    assert (carols["grid_free"], carols["quote_free"], carols["seat"]) == ("1.500000000", "0.007519", 1)
    text = run_text(*scene.cli(alice, "order", "list", z))
    assert "GRID 0.000000000 free + 1.000000000 locked, quote 0.180000 free + 0.000000 locked" in text
    assert "PARTIALLY_FILLED" in text

    # Withdrawals go to the wallets' own token accounts, created when missing.
    out = run_json("solgrid withdraw", *scene.cli(alice, "withdraw", z, "--quote", "0.18"))
    alice_quote = get_associated_token_address(alice.keypair.pubkey(), scene.quote_mint)
    assert (out["created_account"], out["account"], out["amount_atoms"], out["free_after"]) == (
        True,
        str(alice_quote),
        180_000,
        "0.000000",
    )
    assert token_amount(scene.url, alice_quote) == 180_000
    text = run_text(*scene.cli(carol, "withdraw", z, "--grid", "1.5"))
    assert "withdrew 1.500000000 GRID" in text and "created that token account" in text
    assert json.loads(run_text(*scene.cli(carol, "balance", "--json")))["grid"] == "1.500000000"

    cancelled = run_json("solgrid order cancel", *scene.cli(alice, "order", "cancel", "1"))
    assert (cancelled["order_id"], cancelled["kwh"], cancelled["grid_released"]) == (
        1,
        "0.500",
        "0.500000000",
    )
    assert [
        o["order_id"] for o in run_json("solgrid order list", *scene.cli(alice, "order", "list"))["orders"]
    ] == [0]

    shown = run_json("solgrid market show", *scene.cli(reg, "market", "show", z))
    assert (shown["seats"], shown["trade_count"], shown["volume_kwh"], shown["volume_quote"]) == (
        2,
        1,
        "1.500",
        "0.180000",
    )
    assert (shown["fees_earned"], shown["fees_uncollected"]) == ("0.000450", "0.000450")
    assert (shown["ask_orders"], shown["ask_kwh"], shown["best_ask"], shown["bid_orders"]) == (
        1,
        "0.500",
        "0.120000",
        0,
    )
    (summary,) = [
        m
        for m in run_json(
            "solgrid market list", *scene.cli(reg, "market", "list"), of={"markets": "markets"}
        )["markets"]
        if m["market"] == str(address)
    ]
    assert (summary["best_ask"], summary["best_bid"], summary["volume_kwh"]) == ("0.120000", None, "1.500")
    assert any(
        line.split()[:2] == [z, str(scene.quote_mint)]
        for line in run_text(*scene.cli(reg, "market", "list")).splitlines()
    )
    assert "0.000450 earned, 0.000000 collected" in run_text(*scene.cli(reg, "market", "show", z))

    collected = run_json("solgrid market collect-fees", *scene.cli(reg, "market", "collect-fees", z))
    assert (collected["quote"], collected["quote_atoms"]) == ("0.000450", 450)
    assert token_amount(scene.url, Pubkey.from_string(collected["destination"])) == 450
    assert (
        run_json("solgrid market show", *scene.cli(reg, "market", "show", z))["fees_uncollected"]
        == "0.000000"
    )

    # An order that expires never matches again and leaves the book; a paused market takes no orders.
    expiring = run_json(
        "solgrid order sell",
        *scene.cli(alice, "order", "sell", z, "--kwh", "0.2", "--price", "0.2", "--expires-in", "60"),
    )
    assert expiring["expires_at"] is not None
    assert [a["price"] for a in run_json("solgrid book", *scene.cli(carol, "book", z))["asks"]] == [
        "0.120000",
        "0.200000",
    ]
    advance_clock(scene.url, 120)
    assert [a["price"] for a in run_json("solgrid book", *scene.cli(carol, "book", z))["asks"]] == [
        "0.120000"
    ]
    states = {
        o["order_id"]: o["state"]
        for o in run_json("solgrid order list", *scene.cli(alice, "order", "list", z))["orders"]
    }
    assert states == {0: "PARTIALLY_FILLED", expiring["order_id"]: "EXPIRED"}

    paused = run_json(
        "solgrid market update",
        *scene.cli(reg, "market", "update", z, "--status", "paused", "--taker-fee-bps", "30"),
    )
    assert (paused["status"], paused["taker_fee_bps"], paused["maker_fee_bps"]) == ("PAUSED", 30, 0)
    one_line_error(
        invoke(*scene.cli(reg, "market", "update", z, "--tick-size", "2000")),
        1,
        "resting order(s): tick and lot size change only while no order rests",
    )
    one_line_error(
        invoke(*scene.cli(alice, "order", "sell", z, "--kwh", "0.1", "--price", "0.12")),
        1,
        "trading: MarketPaused",
    )
    assert (
        run_json("solgrid market update", *scene.cli(reg, "market", "update", z, "--status", "active"))[
            "status"
        ]
        == "ACTIVE"
    )

    # A market maker is exempt from the per-epoch order limit only: carol (a consumer) made one still
    # does not sell.
    made = run_json("solgrid market maker", *scene.cli(reg, "market", "maker", z, carol.address))
    assert (made["enabled"], made["seat"], made["seat_created"], made["trader"]) == (
        True,
        1,
        False,
        carol.address,
    )
    one_line_error(
        invoke(*scene.cli(carol, "order", "sell", z, "--kwh", "0.5", "--price", "0.3")),
        1,
        "trading: RoleCannotSell",
    )
    assert "is no longer a market maker" in run_text(
        *scene.cli(reg, "market", "maker", z, carol.address, "--disable")
    )
