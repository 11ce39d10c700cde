"""A periodic market through the CLI on the local node and on a real ``solana-test-validator`` alike: a
market of 30-second epochs, a sell and a buy in one epoch's auction, ``auction crank`` once the epoch
ended (the SDK's compute-budget and settlement transactions as a real validator runs them) and
``auction show`` of the settled epoch, recomputed. On the real validator the epoch boundaries are waited
for; on the local node its clock is moved."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from trading_support import mint_quote, new_scene, reach_cluster_time, settle_grid, user
from wallet_support import Market, invoke

EPOCH_SECS = 30


def test_an_auction_on_both_nodes(tmp_path: Path, any_market: Market) -> None:
    scene = new_scene(any_market, tmp_path)
    z, reg = str(scene.zone_id), scene.regulator

    def ok(*args: str) -> Any:
        result = invoke(*args, "--json")
        assert result.exit_code == 0, (args, result.stderr)
        return json.loads(result.stdout)

    ok(
        *scene.cli(reg, "market", "create", z, "--quote-mint", str(scene.quote_mint)),
        "--tick-size",
        "1000",
        "--lot-size-wh",
        "100",
        "--periodic",
        str(EPOCH_SECS),
    )
    alice = user(scene, tmp_path, "alice", "prosumer")
    settle_grid(scene, tmp_path, alice, [200], window_secs=60)  # 0.2 GRID
    carol = user(scene, tmp_path, "carol", "consumer")
    mint_quote(scene, carol.keypair.pubkey(), 100_000)

    # Both orders in one epoch: start right after a boundary.
    current = ok(*scene.cli(reg, "market", "show", z))["current_epoch"]
    reach_cluster_time(scene.url, (current + 1) * EPOCH_SECS + 1)
    sold = ok(*scene.cli(alice, "order", "sell", z, "--kwh", "0.2", "--price", "0.15"))
    bought = ok(*scene.cli(carol, "order", "buy", z, "--kwh", "0.1", "--price", "0.16"))
    epoch = sold["epoch"]
    assert bought["epoch"] == epoch == current + 1

    reach_cluster_time(scene.url, (epoch + 1) * EPOCH_SECS + 1)
    (cranked,) = ok(*scene.cli(reg, "auction", "crank", "--zone", z))["epochs"]
    # 0.1 kWh executes at every price from 0.150 to 0.160; no reference yet: the middle.
    assert (cranked["epoch"], cranked["price"], cranked["volume_kwh"], cranked["settled"]) == (
        epoch,
        "0.155000",
        "0.100",
        True,
    )
    shown = ok(*scene.cli(reg, "auction", "show", str(epoch), "--zone", z))
    assert (shown["state"], shown["price"], shown["recomputed_matches"]) == ("SETTLED", "0.155000", True)
    (balance,) = ok(*scene.cli(alice, "order", "list", z))["balances"]
    assert (balance["quote_free"], balance["grid_free"], balance["grid_locked"]) == (
        "0.015500",
        "0.000000000",
        "0.100000000",
    )
    (rolled,) = ok(*scene.cli(alice, "order", "list", z))["orders"]
    assert (rolled["epoch"], rolled["kwh"], rolled["rollover"]) == (epoch + 1, "0.100", True)
