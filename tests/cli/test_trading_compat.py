"""A trade through the CLI on the local node and on a real ``solana-test-validator`` alike: nothing in
the trading commands depends on the local node (events come from ``getTransaction``'s inner
instructions, trades from ``getSignaturesForAddress``, markets from ``getProgramAccounts``). On the
real validator the prosumer's one-minute metering window is waited for."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from trading_support import mint_quote, new_scene, open_market, settle_grid, user
from wallet_support import Market, invoke


def test_a_trade_on_both_nodes(tmp_path: Path, any_market: Market) -> None:
    scene = new_scene(any_market, tmp_path)
    open_market(scene)
    z = str(scene.zone_id)
    alice = user(scene, tmp_path, "alice", "prosumer")
    settle_grid(scene, tmp_path, alice, [200], window_secs=60)  # 0.2 GRID
    carol = user(scene, tmp_path, "carol", "consumer")
    mint_quote(scene, carol.keypair.pubkey(), 100_000)

    def ok(*args: str) -> Any:
        result = invoke(*args, "--json")
        assert result.exit_code == 0, (args, result.stderr)
        return json.loads(result.stdout)

    sold = ok(*scene.cli(alice, "order", "sell", z, "--kwh", "0.2", "--price", "0.15"))
    assert (sold["state"], sold["deposited"]) == ("ACTIVE", "0.200000000")
    bought = ok(*scene.cli(carol, "order", "buy", z, "--kwh", "0.1", "--price", "0.15"))
    assert [(f["maker"], f["kwh"], f["quote"]) for f in bought["fills"]] == [
        (alice.address, "0.100", "0.015000")
    ]
    (trade,) = ok(*scene.cli(carol, "trades", z))["trades"]
    assert (trade["signature"], trade["taker"], trade["price"]) == (
        bought["signature"],
        carol.address,
        "0.150000",
    )
    assert [(a["price"], a["kwh"]) for a in ok(*scene.cli(carol, "book", z))["asks"]] == [
        ("0.150000", "0.100")
    ]
    (balance,) = ok(*scene.cli(alice, "order", "list", z))["balances"]
    assert (balance["quote_free"], balance["grid_locked"]) == ("0.015000", "0.100000000")
    assert ok(*scene.cli(alice, "withdraw", z, "--quote", "0.015"))["free_after"] == "0.000000"
    assert any(m["zone_id"] == scene.zone_id for m in ok(*scene.cli(carol, "market", "list"))["markets"])
