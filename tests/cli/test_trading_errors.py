"""The trading commands' refusals, each one ``error:`` line with its exit code (2 for values that are
not whole ticks, lots or atoms; 1 for the state of the chain: unknown zone or market, missing seat or
funds, someone else's order, a program error named from the IDL), and an order that sweeps several
price levels read back by ``solgrid trades``."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from solders.keypair import Keypair
from trading_support import Scene, create_quote_mint, mint_quote, settle_grid, user
from wallet_support import invoke, one_line_error, write_key


def ok(*args: str) -> Any:
    result = invoke(*args, "--json")
    assert result.exit_code == 0, (args, result.stderr)
    return json.loads(result.stdout)


def test_values_that_are_not_whole_ticks_lots_or_atoms_are_usage_errors(tmp_path: Path, scene: Scene) -> None:
    z = str(scene.zone_id)
    carol = user(scene, tmp_path, "carol", "consumer")
    buy = ["order", "buy", z]
    cases = [
        (
            [*buy, "--kwh", "1", "--price", "0.1205"],
            "0.1205 is not a positive whole number of the market's 0.001000 ticks",
        ),
        (
            [*buy, "--kwh", "0.05", "--price", "0.12"],
            "0.05 is not a positive whole number of the market's 100 Wh lots",
        ),
        ([*buy, "--kwh", "1", "--price", "-0.1"], "--price"),
        ([*buy, "--kwh", "abc", "--price", "0.1"], "'abc' is not a number"),
        (
            [*buy, "--kwh", "1", "--price", "0.1", "--ioc", "--post-only"],
            "--ioc and --post-only exclude each other",
        ),
        ([*buy, "--kwh", "1", "--price", "0.1", "--ioc", "--expires-in", "5"], "never rests"),
        (
            [*buy, "--kwh", "1", "--price", "0.1", "--expires-at", "2001-01-01T00:00:00"],
            "is not after the cluster's time",
        ),
        ([*buy, "--kwh", "1", "--price", "0.1", "--self-trade", "ignore"], "--self-trade"),
        (["deposit", z, "--quote", "0.0000001"], "at most 6 decimals"),
        (["deposit", z, "--grid", "1", "--quote", "1"], "exactly one of --grid and --quote"),
        (["withdraw", z], "exactly one of --grid and --quote"),
        (
            [
                "market",
                "create",
                z,
                "--quote-mint",
                str(Keypair().pubkey()),
                "--tick-size",
                "3",
                "--lot-size-wh",
                "7",
            ],
            "must be a multiple of 1000",
        ),
        (["market", "update", z], "nothing to change"),
    ]
    for args, fragment in cases:
        one_line_error(invoke(*scene.cli(carol, *args)), 2, fragment)


def test_the_state_of_the_chain_refuses_with_one_line(tmp_path: Path, scene: Scene) -> None:
    z = str(scene.zone_id)
    reg = scene.regulator
    alice = user(scene, tmp_path, "alice", "prosumer")
    settle_grid(scene, tmp_path, alice, [1000])  # 1 GRID
    mint_quote(scene, alice.keypair.pubkey(), 100_000)
    carol = user(scene, tmp_path, "carol", "consumer")
    mint_quote(scene, carol.keypair.pubkey(), 200_000)  # 0.2 of the stablecoin
    dave = user(scene, tmp_path, "dave", "consumer", verify=False)
    stranger = write_key(tmp_path / "stranger.json", Keypair())

    missing = 4_000_000_000 if scene.zone_id != 4_000_000_000 else 4_000_000_001
    one_line_error(invoke(*scene.cli(carol, "book", str(missing))), 1, f"grid zone {missing} does not exist")
    one_line_error(
        invoke(*scene.cli(carol, "market", "show", z, "--quote-mint", str(Keypair().pubkey()))),
        1,
        f"no market in grid zone {z} for quote mint",
    )
    one_line_error(invoke(*scene.cli(carol, "order", "list", str(missing))), 1, "does not exist")

    # Who may trade: registered, verified; only prosumers sell (the program says so, named from the IDL).
    one_line_error(
        invoke("order", "buy", z, "--kwh", "1", "--price", "0.1", "--url", scene.url, "-k", str(stranger)),
        1,
        "is not a registered user",
    )
    one_line_error(
        invoke(*scene.cli(dave, "order", "buy", z, "--kwh", "1", "--price", "0.1")),
        1,
        "is not a verified user (status PENDING)",
    )

    # Funds: --no-deposit refuses what the seat lacks; a deposit cannot exceed the wallet's account.
    one_line_error(
        invoke(*scene.cli(carol, "order", "buy", z, "--kwh", "1", "--price", "0.1", "--no-deposit")),
        1,
        "insufficient QUOTE in the market: the seat holds 0.000000 free, the order needs up to 0.100250",
    )
    one_line_error(
        invoke(*scene.cli(carol, "order", "buy", z, "--kwh", "2", "--price", "0.1")),
        1,
        "insufficient QUOTE: the order needs 0.200500 more than the seat holds free",
    )
    one_line_error(
        invoke(*scene.cli(alice, "order", "sell", z, "--kwh", "1.1", "--price", "0.1")),
        1,
        "insufficient GRID: the order needs 1.100000000",
    )
    one_line_error(invoke(*scene.cli(carol, "deposit", z, "--quote", "0.3")), 1, "the deposit needs 0.300000")
    one_line_error(invoke(*scene.cli(carol, "withdraw", z, "--quote", "0.1")), 1, "has no seat in the market")
    one_line_error(invoke(*scene.cli(carol, "order", "cancel", "0", z)), 1, "no open order 0")

    sold = ok(*scene.cli(alice, "order", "sell", z, "--kwh", "0.5", "--price", "0.1"))
    one_line_error(
        invoke(*scene.cli(carol, "order", "cancel", str(sold["order_id"]), z)),
        1,
        f"order {sold['order_id']} in grid zone {z} belongs to {alice.address}, not wallet",
    )
    one_line_error(
        invoke(*scene.cli(alice, "withdraw", z, "--grid", "0.6")),
        1,
        "the seat holds 0.000000000 free and 0.500000000 locked by open orders",
    )
    one_line_error(
        invoke(
            *scene.cli(alice, "order", "buy", z, "--kwh", "0.1", "--price", "0.2", "--self-trade", "abort")
        ),
        1,
        "trading: SelfTrade",
    )

    assert ok(*scene.cli(carol, "deposit", z, "--quote", "0.1"))["claimed_seat"] is True
    bought = ok(*scene.cli(carol, "order", "buy", z, "--kwh", "0.2", "--price", "0.1", "--no-deposit"))
    assert bought["state"] == "FILLED" and bought["deposited"] is None
    one_line_error(
        invoke(*scene.cli(carol, "order", "sell", z, "--kwh", "0.1", "--price", "0.5", "--no-deposit")),
        1,
        "trading: RoleCannotSell",
    )
    ok(*scene.cli(carol, "order", "buy", z, "--kwh", "0.1", "--price", "0.05", "--client-order-id", "5"))
    one_line_error(
        invoke(
            *scene.cli(carol, "order", "buy", z, "--kwh", "0.1", "--price", "0.05", "--client-order-id", "5")
        ),
        1,
        "trading: ClientOrderIdReused",
    )
    one_line_error(
        invoke(*scene.cli(alice, "order", "sell", z, "--kwh", "0.1", "--price", "0.05", "--post-only")),
        1,
        "trading: PostOnlyWouldCross",
    )

    # Regulator actions need the quorum; fees go only to their recipient.
    one_line_error(
        invoke(*scene.cli(alice, "market", "update", z, "--status", "paused")),
        1,
        "needs 1 regulator signature(s); the wallet and --cosigner keys give 0",
    )
    one_line_error(
        invoke(
            *scene.cli(
                reg,
                "market",
                "create",
                z,
                "--quote-mint",
                str(scene.quote_mint),
                "--tick-size",
                "1000",
                "--lot-size-wh",
                "100",
            )
        ),
        1,
        "already has a market",
    )
    one_line_error(
        invoke(*scene.cli(alice, "market", "collect-fees", z)), 1, f"go to {reg.address}, not wallet"
    )

    # A second quote mint makes the zone's market ambiguous until --quote-mint names one.
    other = create_quote_mint(scene.url, scene.mint_authority)
    second = ["--quote-mint", str(other)]
    ok(*scene.cli(reg, "market", "create", z, *second, "--tick-size", "10", "--lot-size-wh", "100"))
    one_line_error(invoke(*scene.cli(carol, "book", z)), 1, "has markets in several quote mints")
    assert ok(*scene.cli(carol, "book", z, *second))["asks"] == []
    listed = ok(*scene.cli(alice, "order", "list", z))  # every market of the zone
    assert [o["kwh"] for o in listed["orders"]] == ["0.300"] and len(listed["balances"]) == 1

    # Order ids count per market: alice's order 0 in each market of the zone.
    assert (
        ok(*scene.cli(alice, "order", "sell", z, *second, "--kwh", "0.1", "--price", "0.1"))["order_id"] == 0
    )
    one_line_error(invoke(*scene.cli(carol, "order", "cancel", "0")), 1, "belong to other traders")
    one_line_error(invoke(*scene.cli(alice, "order", "cancel", "0", z)), 1, "pass ZONE and --quote-mint")
    cancelled = ok(*scene.cli(alice, "order", "cancel", "0", z, *second))
    assert (cancelled["kwh"], cancelled["price"]) == ("0.100", "0.100000")
    assert [o["market"] for o in ok(*scene.cli(alice, "order", "list", z))["orders"]] == [sold["market"]]


def test_an_order_sweeping_several_levels_and_trades_newest_first(tmp_path: Path, scene: Scene) -> None:
    z = str(scene.zone_id)
    alice = user(scene, tmp_path, "alice", "prosumer")
    settle_grid(scene, tmp_path, alice, [1200])
    bob = user(scene, tmp_path, "bob", "prosumer")
    settle_grid(scene, tmp_path, bob, [1200])
    carol = user(scene, tmp_path, "carol", "consumer")
    mint_quote(scene, carol.keypair.pubkey(), 1_000_000)
    ok(*scene.cli(alice, "order", "sell", z, "--kwh", "0.3", "--price", "0.1"))
    ok(*scene.cli(bob, "order", "sell", z, "--kwh", "0.2", "--price", "0.11"))
    ok(*scene.cli(alice, "order", "sell", z, "--kwh", "0.4", "--price", "0.11"))
    book = ok(*scene.cli(carol, "book", z, "--depth", "1"))
    assert [(a["price"], a["kwh"], a["orders"]) for a in book["asks"]] == [("0.100000", "0.300", 1)]
    ok(*scene.cli(carol, "order", "buy", z, "--kwh", "0.1", "--price", "0.09"))
    text = invoke(*scene.cli(carol, "book", z)).stdout.splitlines()
    assert text[1:] == [
        "SIDE       PRICE/kWh             kWh  ORDERS",
        "ask         0.110000           0.600  2",
        "ask         0.100000           0.300  1",
        "----  spread 0.010000",
        "bid         0.090000           0.100  1",
    ]

    swept = ok(*scene.cli(carol, "order", "buy", z, "--kwh", "0.6", "--price", "0.11", "--ioc"))
    assert [(f["maker"], f["price"], f["kwh"]) for f in swept["fills"]] == [
        (alice.address, "0.100000", "0.300"),
        (bob.address, "0.110000", "0.200"),
        (alice.address, "0.110000", "0.100"),
    ]
    assert (swept["state"], swept["quote_traded"], swept["kind"]) == (
        "FILLED",
        "0.063000",
        "IMMEDIATE_OR_CANCEL",
    )
    trades = ok(*scene.cli(carol, "trades", z, "--limit", "2"))["trades"]
    assert [(t["maker"], t["kwh"]) for t in trades] == [(alice.address, "0.100"), (bob.address, "0.200")]
    trades = ok(*scene.cli(carol, "trades", z))["trades"]
    assert [t["price"] for t in trades] == ["0.110000", "0.110000", "0.100000"]
    assert {t["signature"] for t in trades} == {swept["signature"]}
    assert ok(*scene.cli(alice, "order", "list", z))["orders"][0]["kwh"] == "0.300"
