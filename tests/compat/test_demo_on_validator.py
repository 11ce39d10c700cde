"""``scripts/demo.py --url`` on the real validator: the programs ``solgrid deploy`` put there, the CLI
wallet, the oracle worker over two real one-minute windows, settlement, transfer, burn, a GRID market
(a sell order, a crossing buy), a periodic market cleared by the keeper after a real 60-second epoch,
governance (set up, a certificate split and retired, a fee change after a real 30-second timelock, a pause
and a resume, then handed back), the indexer and its feed, checked against the chain. The session's
validator already has other tests' history (users, zones, transactions), which the demo must not count as
its own, and later tests find its registry as the demo found it: the session's upgrade authority its only
regulator, no governance program."""

from __future__ import annotations

import asyncio
import re
import subprocess
import sys
from decimal import Decimal
from pathlib import Path

import pytest
from solana.rpc.async_api import AsyncClient

from demo_plan import auction_clearing, ends_with_the_dashboard
from real_validator import RealValidator
from solgrid.sdk.registry import Config, RegistryClient

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
    # governance: the certificate's CO2 is its volume at zone 1's factor; the fee change waits for its
    # timelock in real time; the pause is enforced by the program; governance is handed back at the end
    validated = re.search(r"validated certificate \w+: (\d+) Wh, (\d+) g CO2 avoided", out)
    assert validated and int(validated.group(2)) == int(validated.group(1)) * 420 // 1000
    assert re.search(r"retired certificate \w+: \d+ Wh \(\d+ g CO2 avoided\) for Carol's household", out)
    fee = re.search(r"proposal (\d+): zone 1 taker fee (\d+) -> (\d+) bps", out)
    assert fee and f"error: proposal {fee.group(1)} is not executable yet: its timelock ends at" in out
    assert re.search(rf"waiting \d+s for proposal {fee.group(1)}'s timelock", out)
    assert f"zone 1's market account: taker fee {fee.group(3)} bps" in out
    assert "sent to the program anyway (SDK): trading: TradingPaused (6156)" in out
    assert "the registry names no governance program; the operator is its only regulator again" in out
    assert "indexer matches the chain's certificates and proposals" in out
    assert ends_with_the_dashboard(out)
    registry = asyncio.run(registry_config(real_validator.rpc_url))
    assert registry.governance_program is None
    assert registry.regulators == [real_validator.mint.pubkey()] and registry.regulator_threshold == 1
    zone = asyncio.run(paused_flags(real_validator.rpc_url))
    assert zone == 0


async def registry_config(url: str) -> Config:
    async with AsyncClient(url) as rpc:
        config = await RegistryClient().fetch_config(rpc)
    assert config is not None
    return config


async def paused_flags(url: str) -> int:
    """Zone 1's pause flags with the market-wide ones."""
    async with AsyncClient(url) as rpc:
        registry = RegistryClient()
        config, zone = await registry.fetch_config(rpc), await registry.fetch_zone(rpc, 1)
    assert config is not None and zone is not None
    return config.paused | zone.paused
