"""The README's demo runs end to end against a real ``solgrid localnet`` process: deploy, CLI
onboarding, oracle worker, settlement, the markets, governance and certificates, indexer and feed; the
demo itself fails when the indexer disagrees with the chain."""

from __future__ import annotations

import re
import subprocess
import sys
from decimal import Decimal
from pathlib import Path

from demo_plan import auction_clearing, ends_with_the_dashboard

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
    governance_scenes(out)
    assert "indexer matches the chain" in out
    # the API over the indexer lists both zones with their markets, and the dashboard's URL is printed
    assert re.search(r"zone 1 demo-north: markets \w{32,44}\n  zone 2 demo-south: markets \w{32,44}\n", out)
    assert "API stopped\nindexer stopped" in out
    assert "indexer stopped" in out and "local node stopped" in out
    assert ends_with_the_dashboard(out)


def governance_scenes(out: str) -> None:
    """Governance set up by the operator, alice's certificate split to carol and retired, a fee change
    after its timelock, a pause and a resume, and the indexer's view of them (issue 14)."""
    assert "the operator hands privileged actions to governance: 3 regulators, threshold 2" in out
    assert (
        "  initialize governance: signature " in out
        and "  name it the registry's governance: signature " in out
    )
    # once governance is set, co-signing is refused before anything is sent
    assert re.search(
        r"\$ solgrid market update 1 .*-k operator\.json\n  error: the registry hands privileged", out
    )
    assert "executed proposal 0: registry.set_regulators" in out
    assert "zone 1 (demo-north): paused none; emission factor 420 g/kWh" in out
    assert "zone 2 (demo-south): paused none; emission factor 120 g/kWh" in out

    # alice's certificate covers all of her solar production (accepted through device-signed readings);
    # the CO2 it avoided is its volume at zone 1's factor; carol gets her household's metered consumption
    produced = re.search(r"SOLAR-0001\s+Solar\s+Active\s+48 readings\s+produced\s+(\d+) Wh", out)
    consumed = re.search(
        r"HOME-0001\s+Grid\s+Active\s+48 readings\s+produced\s+0 Wh\s+consumed\s+(\d+) Wh", out
    )
    requested = re.search(r"requested certificate (\w+): (\d+) Wh of meter SOLAR-0001", out)
    validated = re.search(r"validated certificate (\w+): (\d+) Wh, (\d+) g CO2 avoided", out)
    assert produced and consumed and requested and validated
    volume, part = int(requested.group(2)), int(consumed.group(1))
    co2 = volume * 420 // 1000
    child_co2 = co2 * part // volume
    assert volume == int(produced.group(1)) and 0 < part < volume
    assert validated.groups() == (requested.group(1), str(volume), str(co2))
    assert f"transferred {part} Wh to " in out and f"keeps {volume - part} Wh" in out
    assert re.search(
        rf"retired certificate \w+: {part} Wh \({child_co2} g CO2 avoided\) for Carol's household \(\w+\), "
        "home electricity",
        out,
    )
    assert re.search(
        rf"#1 \w+… Valid\s+{volume - part} Wh\s+{co2 - child_co2} g CO2 avoided\s+owner alice", out
    )
    assert re.search(
        rf"#2 \w+… Retired\s+{part} Wh\s+{child_co2} g CO2 avoided\s+owner carol\s+split off #1", out
    )
    assert re.search(rf"carol\s+held\s+0 Wh\s+0 g CO2\s+retired\s+{part} Wh\s+{child_co2} g CO2", out)
    assert re.search(rf"alice\s+held\s+{volume - part} Wh\s+{co2 - child_co2} g CO2\s+retired\s+0 Wh", out)

    # the fee change: approved by two regulators in separate transactions, refused during its timelock,
    # executed by someone else after it
    fee = re.search(r"proposal (\d+): zone 1 taker fee (\d+) -> (\d+) bps", out)
    assert fee
    proposal, before, after = fee.group(1), int(fee.group(2)), int(fee.group(3))
    assert after == before + 5
    assert f"$ solgrid gov approve {proposal} -k keys/auditor.json" in out
    assert f"error: proposal {proposal} is not executable yet: its timelock ends at " in out
    assert re.search(
        rf"local node clock advanced (59m \d+s|1h) to .*\n\$ solgrid gov execute {proposal} -k keys/dave", out
    )
    assert f"executed proposal {proposal}: trading.update_market" in out
    assert f"zone 1's market account: taker fee {after} bps" in out

    # the pause: one regulator, at once; placing refused by the CLI and by the program; withdrawing goes on;
    # a proposal resumes it
    assert "paused trading in grid zone 1; paused now: trading" in out
    assert "  error: trading is paused in grid zone 1 (the registry's emergency pause)" in out
    assert "sent to the program anyway (SDK): trading: TradingPaused (6156)" in out
    assert re.search(
        r"\$ solgrid withdraw 1 --quote-mint \w+ --quote \d+\.\d{6} -k keys/alice\.json\n  withdrew", out
    )
    resume = re.search(r"proposal (\d+): resume trading in zone 1: incident closed", out)
    assert resume and f"executed proposal {resume.group(1)}: registry.resume_zone" in out

    # the indexer's view: every proposal of the run executed, with who approved it; the pause and resume
    indexed = out[out.index("== governance and certificates as indexed") :]
    assert re.search(
        r"0 Executed 1/1\s+appoint agency, auditor, ombudsman \(2 of 3\); approved by operator", indexed
    )
    assert re.search(
        rf"{proposal} Executed 2/2\s+zone 1 taker fee .*timelock 1h; approved by agency, auditor", indexed
    )
    assert len(re.findall(r"^\s+\d+ Executed ", indexed, re.MULTILINE)) == 5
    assert "pause  zone 1: flags 4, paused now 4, by auditor" in indexed
    assert f"resume zone 1: flags 4, paused now 0, by proposal {resume.group(1)}" in indexed
    assert "indexer matches the chain's certificates and proposals" in indexed
