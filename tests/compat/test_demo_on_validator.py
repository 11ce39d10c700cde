"""``scripts/demo.py --url`` on the real validator: the programs ``solgrid deploy`` put there, the CLI
wallet, the oracle worker over two real one-minute windows, settlement, transfer, burn, a GRID market
(a sell order, a crossing buy), a periodic market cleared by the keeper after a real 60-second epoch, the
indexer and its feed, checked against the chain. The session's validator already has other tests' history
(users, zones, transactions), which the demo must not count as its own."""

from __future__ import annotations

import re
import subprocess
import sys
from decimal import Decimal
from pathlib import Path

import pytest

from demo_plan import auction_clearing
from real_validator import RealValidator

REPO = Path(__file__).resolve().parents[2]


@pytest.mark.compat
def test_demo_runs_on_the_real_validator(real_validator: RealValidator) -> None:
    result = subprocess.run(
        [
            sys.executable,
            str(REPO / "scripts" / "demo.py"),
            "--url",
            real_validator.rpc_url,
            "--keypair",
            str(real_validator.mint_file),
        ],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=900,
        check=False,
    )
    assert result.returncode == 0, result.stderr[-3000:] + result.stdout[-3000:]
    out = result.stdout
    assert "indexer matches the chain" in out
    assert "indexer matches the market account and the chain's fills" in out
    assert re.search(r"carol\s+consumer\s+\S+ SOL\s+\d+\.\d{9} GRID", out)
    # the periodic market: one 60-second epoch cleared by the keeper at one price (the quantities follow
    # from what was minted, the prices do not)
    assert f"clearing price: {Decimal(auction_clearing().price) / 1000:.6f} per kWh" in out
    assert "every fill equal the clearing rule recomputed from the orders: yes" in out
    assert "indexer matches the auction's clearing and settlements" in out
    assert out.rstrip().endswith("everything stopped")
