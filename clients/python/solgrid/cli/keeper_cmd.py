"""``solgrid keeper``: the keeper that cranks the periodic markets' auctions, prunes expired orders and
(optionally) settles meters.

``run`` runs it until interrupted (SIGINT or SIGTERM; with --once, until what is due now is done);
``status`` summarises the status file it writes. The file format and the operator's guide:
docs/keeper.md, examples/keeper.toml.
"""

from __future__ import annotations

import asyncio
import json
import signal
import time
from datetime import datetime
from pathlib import Path
from typing import Any

import click

from solgrid.automation.status import StatusFileError, read_status
from solgrid.cli.common import format_sol
from solgrid.keeper.config import KeeperConfigError, load_config


@click.group("keeper")
def keeper() -> None:
    """The keeper: clears and settles the periodic markets' auctions, prunes expired orders."""


@keeper.command("run")
@click.option(
    "--config",
    "config_path",
    type=click.Path(path_type=Path, dir_okay=False),
    required=True,
    help="The keeper's TOML configuration file.",
)
@click.option("--once", is_flag=True, help="Crank what is due now on every market, then exit.")
@click.option("-v", "--verbose", is_flag=True, help="Debug logging (one line per settled chunk).")
def run(config_path: Path, once: bool, verbose: bool) -> None:
    """Run the keeper (log lines on stderr; SIGINT or SIGTERM stop it)."""
    from solgrid.automation.logs import setup_logging
    from solgrid.keeper.service import Keeper

    config = load_config(config_path)
    setup_logging(verbose)

    async def main() -> None:
        task = asyncio.current_task()
        assert task is not None
        asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, task.cancel)
        await Keeper(config, once=once).run()

    try:
        asyncio.run(main())
    except (KeyboardInterrupt, asyncio.CancelledError):
        click.echo("keeper stopped", err=True)


@keeper.command("status")
@click.option(
    "--status-file",
    "status_path",
    type=click.Path(path_type=Path, dir_okay=False),
    help="The status file the keeper writes.",
)
@click.option(
    "--config",
    "config_path",
    type=click.Path(path_type=Path, dir_okay=False),
    help="The keeper's config file (its status_file is read).",
)
@click.option("--json", "as_json", is_flag=True, help="Print the status file as one JSON document.")
def status(status_path: Path | None, config_path: Path | None, as_json: bool) -> None:
    """What the keeper last reported: per market the last settled epoch, backlog and errors."""
    if (status_path is None) == (config_path is None):
        raise click.UsageError("name the status file with --status-file PATH or --config PATH (one of them)")
    if config_path is not None:
        status_path = load_config(config_path).status_path
        if status_path is None:
            raise KeeperConfigError(f"{config_path} sets no status_file")
    assert status_path is not None
    document = read_status(status_path, "keeper")
    if not isinstance(document, dict) or not isinstance(document.get("markets"), dict):
        raise StatusFileError(f"the keeper status file {status_path} is not a keeper status")
    if as_json:
        click.echo(json.dumps(document, indent=2, sort_keys=True))
    else:
        click.echo(summary(document, time.time()))


def _age(stamp: Any, now: float) -> str:
    try:
        then = datetime.strptime(str(stamp), "%Y-%m-%dT%H:%M:%S%z").timestamp()
    except ValueError:
        return "at an unknown time"
    return f"{stamp}, {max(0, round(now - then))} s ago"


def _market(address: str, m: dict[str, Any]) -> list[str]:
    mode = f"periodic {m.get('epoch_secs')} s" if m.get("mode") == "periodic" else "continuous"
    lines = [f"market {address}  zone {m.get('zone_id')}  {mode}  {m.get('status')}"]
    if m.get("mode") == "periodic":
        last = m.get("last_settled")
        if isinstance(last, dict):
            lines.append(
                f"  last settled: epoch {last['epoch']} at {last['price']} ticks, "
                f"{last['volume_lots']} lots, {last['orders']} order(s) ({last['matched_orders']} matched, "
                f"{last['rolled_orders']} rolled), {last['chunks']} chunk(s) by this run, "
                f"lag {last['lag_secs']} s"
            )
        else:
            lines.append("  last settled: none held on chain")
        lines.append(
            f"  backlog: {m['backlog_epochs']} epoch(s), {m['backlog_orders']} order(s), "
            f"oldest waiting {m['backlog_secs']} s"
        )
        lines.append(
            f"  this run: {m['epochs_cleared_this_run']} cleared, {m['chunks_this_run']} chunk(s) "
            f"({m['orders_settled_this_run']} orders), {m['lost_races']} lost race(s), {m['errors']} error(s)"
        )
    else:
        lines.append(
            f"  expired orders resting: {m['expired_orders']}; this run: {m['prunes_this_run']} prune(s), "
            f"{m['errors']} error(s)"
        )
    if m.get("last_error"):
        lines.append(f"  last error ({m.get('last_error_at')}): {m['last_error']}")
    return lines


def summary(doc: dict[str, Any], now: float) -> str:
    """The status file in a few lines per market."""
    lamports = doc.get("payer_lamports")
    balance = f" ({format_sol(lamports)} SOL)" if isinstance(lamports, int) else ""
    lines = [
        f"keeper status of {_age(doc.get('updated_at'), now)} (cluster time {doc.get('cluster_time')})",
        f"payer {doc.get('payer')}{balance}; up {doc.get('uptime_secs')} s, "
        f"{doc.get('transactions_this_run')} transaction(s), retries {doc.get('retries')}, "
        f"errors {doc.get('errors')}",
        f"this run: {doc.get('epochs_cleared_this_run')} epoch(s) cleared, "
        f"{doc.get('chunks_this_run')} chunk(s) ({doc.get('orders_settled_this_run')} orders) settled, "
        f"{doc.get('prunes_this_run')} prune(s)",
        f"backlog: {doc.get('backlog_epochs')} epoch(s), {doc.get('backlog_orders')} order(s), "
        f"oldest waiting {doc.get('backlog_secs')} s",
    ]
    if "meter_settlements" in doc:
        lines.append(f"meters: {doc['meter_settlements']} settlement(s), {doc.get('settled_wh')} Wh this run")
    markets: dict[str, Any] = doc["markets"]
    if not markets:
        lines.append("no markets")
    for address, market in markets.items():
        if isinstance(market, dict):
            lines += _market(address, market)
    return "\n".join(lines)
