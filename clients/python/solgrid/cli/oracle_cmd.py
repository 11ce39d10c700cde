"""``solgrid oracle``: the oracle worker that turns meter readings into on-chain readings and GRID.

``solgrid oracle run --config oracle.toml`` runs until interrupted (or, with --drain, until its finite
sources are exhausted and everything is applied and settled); ``solgrid oracle status --config ...``
prints the queue counts from the worker's SQLite queue. See examples/oracle.toml for the file format.
"""

from __future__ import annotations

import asyncio
import json
import logging
import sqlite3
from pathlib import Path

import click

from solgrid.oracle.config import OracleConfigError, load_config

_CONFIG = click.option(
    "--config",
    "config_path",
    type=click.Path(path_type=Path, dir_okay=False),
    required=True,
    help="The oracle's TOML configuration file.",
)


@click.group("oracle")
def oracle() -> None:
    """The oracle worker: meter readings on-chain, surplus settled as GRID."""


@oracle.command("run")
@_CONFIG
@click.option(
    "--drain", is_flag=True, help="Exit once the simulator and CSV sources are exhausted and applied."
)
@click.option("-v", "--verbose", is_flag=True, help="Debug logging.")
def run(config_path: Path, drain: bool, verbose: bool) -> None:
    """Run the worker (log lines on stderr)."""
    from solgrid.oracle.worker import Worker

    config = load_config(config_path)
    logging.basicConfig(
        level=logging.DEBUG if verbose else logging.INFO,
        format="%(asctime)s %(levelname)s %(message)s",
    )
    for noisy in ("httpx", "httpcore", "aiohttp.access"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    try:
        asyncio.run(Worker(config, drain=drain).run())
    except KeyboardInterrupt:
        click.echo("oracle stopped", err=True)


@oracle.command("status")
@_CONFIG
def status(config_path: Path) -> None:
    """Readings per status in the queue, and the last status the worker wrote (JSON)."""
    config = load_config(config_path)
    if not config.queue_path.exists():
        raise OracleConfigError(f"no queue at {config.queue_path}: the worker has not run with this config")
    db = sqlite3.connect(f"file:{config.queue_path}?mode=ro", uri=True)
    try:
        counts = dict(db.execute("SELECT status, COUNT(*) FROM readings GROUP BY status").fetchall())
    finally:
        db.close()
    answer: dict[str, object] = {"queue": counts}
    if config.status_path is not None and config.status_path.exists():
        answer["worker"] = json.loads(config.status_path.read_text())
    click.echo(json.dumps(answer, indent=2, sort_keys=True))
