"""``solgrid keeper status`` reads back what the keeper writes (summary and --json); bad files, configs
and option combinations are one line with the documented exit codes."""

from __future__ import annotations

import json
import time
from pathlib import Path

from click.testing import CliRunner, Result
from solders.pubkey import Pubkey

from solgrid.automation.status import write_status
from solgrid.cli.keeper_cmd import summary
from solgrid.cli.main import cli
from solgrid.keeper.plan import Backlog
from solgrid.keeper.report import KeeperMetrics, MarketReport

PERIODIC, CONTINUOUS = str(Pubkey.new_unique()), str(Pubkey.new_unique())


def error_line(result: Result, code: int = 1) -> str:
    assert result.exit_code == code, (result.exit_code, result.output)
    assert "Traceback" not in result.stderr
    (line,) = result.stderr.splitlines()
    assert line.startswith("error: "), line
    return line


def status_document() -> dict[str, object]:
    periodic = MarketReport(PERIODIC, zone_id=1, epoch_secs=900, status="active")
    periodic.last_settled = {
        "epoch": 1_963_583,
        "ends_at": 1_767_225_600,
        "price": 120,
        "volume_lots": 40,
        "orders": 25,
        "matched_orders": 20,
        "rolled_orders": 5,
        "chunks": 3,
        "cleared_at": 1_767_225_601,
        "settled_at": 1_767_225_604,
        "lag_secs": 4,
    }
    periodic.backlog = Backlog(1, 12, 1_767_226_500)
    periodic.cleared, periodic.chunks, periodic.orders_settled = 2, 5, 140
    periodic.failed("trading: ZoneHalted (6020): the zone is halted", 1_767_226_000)
    continuous = MarketReport(CONTINUOUS, zone_id=2, status="paused")
    continuous.prunes, continuous.expired_orders = 2, 0
    metrics = KeeperMetrics()
    metrics.orders.add(140)
    metrics.transactions = 9
    snap = metrics.snapshot(
        {PERIODIC: periodic, CONTINUOUS: continuous},
        1_767_226_530,
        1_767_226_531.0,
        {"payer": "KeeperPayer", "payer_lamports": 2_500_000_000},
    )
    return snap


def test_status_summarises_what_the_keeper_writes(tmp_path: Path) -> None:
    path = tmp_path / "status.json"
    document = status_document()
    write_status(path, document)
    result = CliRunner().invoke(cli, ["keeper", "status", "--status-file", str(path)])
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert (
        lines[0].startswith("keeper status of 2026-01-01T00:15:31Z, ")
        and "cluster time 1767226530" in lines[0]
    )
    assert lines[1].startswith("payer KeeperPayer (2.500000000 SOL); up ")
    assert lines[1].endswith("9 transaction(s), retries 0, errors 1")
    assert lines[2] == "this run: 2 epoch(s) cleared, 5 chunk(s) (140 orders) settled, 2 prune(s)"
    assert lines[3] == "backlog: 1 epoch(s), 12 order(s), oldest waiting 30 s"
    assert f"market {PERIODIC}  zone 1  periodic 900 s  active" in lines
    assert (
        "  last settled: epoch 1963583 at 120 ticks, 40 lots, 25 order(s) (20 matched, 5 rolled), "
        "3 chunk(s) by this run, lag 4 s"
    ) in lines
    assert "  this run: 2 cleared, 5 chunk(s) (140 orders), 0 lost race(s), 1 error(s)" in lines
    assert ("  last error (2026-01-01T00:06:40Z): trading: ZoneHalted (6020): the zone is halted") in lines
    assert f"market {CONTINUOUS}  zone 2  continuous  paused" in lines
    assert "  expired orders resting: 0; this run: 2 prune(s), 0 error(s)" in lines

    as_json = CliRunner().invoke(cli, ["keeper", "status", "--status-file", str(path), "--json"])
    assert as_json.exit_code == 0 and json.loads(as_json.stdout) == document
    market = json.loads(as_json.stdout)["markets"][PERIODIC]
    assert (market["backlog_epochs"], market["backlog_orders"], market["backlog_secs"]) == (1, 12, 30)
    assert market["last_settled"]["lag_secs"] == 4 and market["updated_at"] is None


def test_status_through_the_config(tmp_path: Path) -> None:
    config = tmp_path / "k.toml"
    config.write_text('cluster = "localnet"\npayer = "p.json"\nstatus_file = "s/k.json"\n')
    (tmp_path / "s").mkdir()
    write_status(tmp_path / "s" / "k.json", status_document())
    result = CliRunner().invoke(cli, ["keeper", "status", "--config", str(config)])
    assert result.exit_code == 0 and result.stdout.startswith("keeper status of ")

    config.write_text('cluster = "localnet"\npayer = "p.json"\nstatus_file = ""\n')
    result = CliRunner().invoke(cli, ["keeper", "status", "--config", str(config)])
    assert error_line(result) == f"error: {config} sets no status_file"


def test_bad_status_files_and_options_are_one_line(tmp_path: Path) -> None:
    path = tmp_path / "status.json"
    runner = CliRunner()
    missing = runner.invoke(cli, ["keeper", "status", "--status-file", str(path)])
    assert (
        error_line(missing) == f"error: cannot read the keeper status file {path}: No such file or directory"
    )
    path.write_text('{"markets": ')
    broken = runner.invoke(cli, ["keeper", "status", "--status-file", str(path)])
    assert error_line(broken).startswith(f"error: the keeper status file {path} is not JSON: ")
    path.write_text('{"queue": {}}')
    other = runner.invoke(cli, ["keeper", "status", "--status-file", str(path)])
    assert error_line(other) == f"error: the keeper status file {path} is not a keeper status"
    neither = runner.invoke(cli, ["keeper", "status"])
    assert error_line(neither, 2) == (
        "error: name the status file with --status-file PATH or --config PATH (one of them)"
    )
    both = runner.invoke(cli, ["keeper", "status", "--status-file", str(path), "--config", str(path)])
    assert both.exit_code == 2


def test_run_refuses_a_bad_config_in_one_line(tmp_path: Path) -> None:
    config = tmp_path / "k.toml"
    config.write_text('cluster = "localnet"\npayer = "p.json"\nmax_orders_per_chunk = 99\n')
    result = CliRunner().invoke(cli, ["keeper", "run", "--config", str(config)])
    assert error_line(result) == "error: max_orders_per_chunk must be 1..64"
    config.write_text('cluster = "localnet"\npayer = "absent.json"\n')
    result = CliRunner().invoke(cli, ["keeper", "run", "--config", str(config), "--once"])
    line = error_line(result)
    assert str(tmp_path / "absent.json") in line


def test_the_summary_of_an_empty_status() -> None:
    text = summary(KeeperMetrics().snapshot({}, 0, time.time()), time.time())
    assert text.splitlines()[-1] == "no markets" and " s ago (cluster time 0)" in text.splitlines()[0]
