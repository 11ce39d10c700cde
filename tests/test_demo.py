"""The README's demo runs end to end against a real ``solgrid localnet`` process: deploy, CLI
onboarding, oracle worker, settlement, indexer and feed; the demo itself fails when the indexer disagrees
with the chain."""

from __future__ import annotations

import re
import subprocess
import sys
from decimal import Decimal
from pathlib import Path

from demo_plan import auction_clearing

REPO = Path(__file__).resolve().parents[1]


def test_demo_runs_the_whole_slice() -> None:
    result = subprocess.run(
        [sys.executable, str(REPO / "scripts" / "demo.py")],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert result.returncode == 0, result.stderr[-3000:] + result.stdout[-3000:]
    out = result.stdout
    assert "registry: deployed Hu5R8SX8juSQ3cUYxf1daxaPsUSDHKwGza2u5wUiitxg" in out
    assert "energy_token: deployed Dso7G7TunWSbiHQu8k7jZQiNuXfyRvUsnFkUFzxrcscu" in out
    # 5 meters x 48 fifteen-minute windows, every one indexed
    assert re.search(r"meter_readings\s+240\b", out)
    assert re.search(r"users\s+7\b", out)
    # both prosumers were settled and got GRID; the one minted the most sent half of it to the consumer,
    # who burned half of that and holds the rest
    assert re.search(r"alice\s+prosumer\s+\S+ SOL\s+[1-9]\d*\.\d{9} GRID", out)
    assert re.search(r"bob\s+prosumer\s+\S+ SOL\s+[1-9]\d*\.\d{9} GRID", out)
    minted = re.search(r"(alice|bob) holds the most GRID of this run, (\d+\.\d{9}): sends half", out)
    sent = re.search(r"\$ solgrid transfer \w+ (\d+\.\d{9}) -k keys/(\w+)\.json", out)
    burned = re.search(r"carol burned (\d+\.\d{9}) GRID", out)
    assert minted and sent and burned and sent.group(2) == minted.group(1)
    assert Decimal(sent.group(1)) == (Decimal(minted.group(2)) * 10**9 // 2) / 10**9
    assert Decimal(burned.group(1)) == (Decimal(sent.group(1)) * 10**9 // 2) / 10**9
    held = Decimal(sent.group(1)) - Decimal(burned.group(1))
    assert re.search(rf"carol\s+consumer\s+\S+ SOL\s+{held:.9f} GRID", out)
    assert "= minted - burned (indexed): yes" in out
    # the market: alice offers half of her GRID, carol buys half of that at her higher limit and pays
    # alice's price; the indexer's trades and orders match the chain's
    assert "trading: deployed E3hjhsQVFZ1Bb9Tzpdua6PMJTxpEC75tmcJQwCqmHVbF" in out
    offered = re.search(
        r"\$ solgrid order sell 1 --quote-mint \w+ --kwh (\d+\.\d+) --price 0\.120 -k keys/alice", out
    )
    bought = re.search(
        r"\$ solgrid order buy 1 --quote-mint \w+ --kwh (\d+\.\d+) --price 0\.125 -k keys/carol", out
    )
    assert offered and bought and Decimal(bought.group(1)) == (Decimal(offered.group(1)) * 1000 // 2) / 1000
    assert re.search(r"-> FILLED\n.*\n.*\n  filled \d+\.\d{3} kWh at 0\.120000", out)
    wh = int(Decimal(bought.group(1)) * 1000)
    assert f"trade: maker order 0, taker order 1, {wh} Wh at 120 ticks" in out
    assert "order 0: alice Ask PartiallyFilled" in out and "order 1: carol Bid Filled" in out
    assert "indexer matches the market account and the chain's fills" in out
    # zone 2's periodic market: eight orders in one 30-second epoch, cleared by the keeper at the price the
    # SDK's reference of the rule gives for them (1 kWh units on the local node's sunny day); carol's bid
    # at 0.120 came before dave's, so she gets all 3 kWh and he 1 (the rest refunded: --no-rollover), the
    # unmatched orders roll
    assert "epochs of 30 s here, so that the demo does not wait for a quarter hour" in out
    expected = auction_clearing()
    price = f"{Decimal(expected.price) / 1000:.6f}"
    keeper_line = re.search(
        rf"keeper \| .* epoch (\d+) settled at {expected.price} ticks, 6000 lots, 8 order\(s\) \(5 matched",
        out,
    )
    assert keeper_line and re.search(rf"keeper \| .* epoch {keeper_line.group(1)} cleared", out)
    assert "  keeper | keeper stopped" in out
    assert f"clearing price: {price} per kWh, 6.000 kWh executed (demand 8.000, supply 6.000 kWh" in out
    assert "recomputed from the levels with the clearing rule: the same result" in out
    assert re.search(rf"{price}(\s+\d+\.\d{{3}}){{5}}\s+<- clearing", out)
    assert f"epoch {keeper_line.group(1)}: everyone matched trades at {price} per kWh" in out
    assert re.search(r"3 carol\s+buy\s+0\.120000\s+3\.000\s+3\.000\s", out)
    assert re.search(r"5 dave\s+buy\s+0\.120000\s+3\.000\s+1\.000\s.*refunded", out)
    assert re.search(r"7 grace\s+buy\s+0\.105000\s+2\.000\s+0\.000\s.*rolls into", out)
    assert "every fill equal the clearing rule recomputed from the orders: yes" in out
    assert re.search(
        rf"epoch {keeper_line.group(1)}: Settled, {expected.price} ticks, 6000 lots executed .*, 8 settle",
        out,
    )
    assert "1 cleared epoch(s) verified: each matches its order events" in out
    assert "indexer matches the auction's clearing and settlements" in out
    assert "indexer matches the chain" in out
    assert "indexer stopped" in out and "local node stopped" in out
    assert out.rstrip().endswith("everything stopped")
