"""``solgrid oracle``: the oracle worker that turns meter readings into on-chain readings and GRID.

``run`` runs the worker until interrupted (SIGINT or SIGTERM; with --drain, until its finite sources are
exhausted and everything is applied and settled); ``status`` prints the queue counts and the worker's
last metrics; ``rejected`` lists the readings the chain refused and ``requeue`` puts them back once the
cause is fixed. The file format and the operator's guide: docs/oracle.md, examples/oracle.toml.
"""

from __future__ import annotations

import asyncio
import json
import signal
from datetime import UTC, datetime
from pathlib import Path

import click

from solgrid.automation.status import read_status
from solgrid.errors import UserFacingError
from solgrid.oracle.config import OracleConfig, OracleConfigError, check_drain, load_config
from solgrid.oracle.queue import ReadingQueue, RejectedReading, queue_counts, queue_errors

_CONFIG = click.option(
    "--config",
    "config_path",
    type=click.Path(path_type=Path, dir_okay=False),
    required=True,
    help="The oracle's TOML configuration file.",
)
_JSON = click.option("--json", "as_json", is_flag=True, help="Print one JSON document on stdout.")
_METERS = click.option(
    "--meter", "meters", multiple=True, metavar="SERIAL", help="Only this meter's readings (repeatable)."
)


class ReadingsNotRequeued(UserFacingError):
    """Some selected readings failed the requeue checks (each was listed on stderr)."""


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
    """Run the worker (log lines on stderr; SIGINT or SIGTERM stop it)."""
    from solgrid.automation.logs import setup_logging
    from solgrid.oracle.worker import Worker

    config = load_config(config_path)
    if drain:
        check_drain(config)
    setup_logging(verbose)

    async def main() -> None:
        task = asyncio.current_task()
        assert task is not None
        asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, task.cancel)
        await Worker(config, drain=drain).run()

    try:
        asyncio.run(main())
    except (KeyboardInterrupt, asyncio.CancelledError):
        click.echo("oracle stopped", err=True)


def _queue_path(config: OracleConfig) -> Path:
    if not config.queue_path.exists():
        raise OracleConfigError(f"no queue at {config.queue_path}: the worker has not run with this config")
    return config.queue_path


@oracle.command("status")
@_CONFIG
def status(config_path: Path) -> None:
    """Readings per status in the queue, and the last status the worker wrote (JSON)."""
    config = load_config(config_path)
    answer: dict[str, object] = {"queue": queue_counts(_queue_path(config))}
    if config.status_path is not None and config.status_path.exists():
        answer["worker"] = read_status(config.status_path, "worker")
    click.echo(json.dumps(answer, indent=2, sort_keys=True))


def _utc(seconds: float) -> str:
    return datetime.fromtimestamp(seconds, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _document(row: RejectedReading) -> dict[str, object]:
    r = row.reading
    return {
        "id": row.id,
        "meter": row.serial,
        "window_start": r.window_start,
        "window_end": r.window_end,
        "production_wh": r.production_wh,
        "consumption_wh": r.consumption_wh,
        "source": row.source,
        "rejected_at": round(row.rejected_at, 3),
        "reason": row.reason,
    }


def _line(row: RejectedReading) -> str:
    r = row.reading
    return (
        f"{row.id}\t{row.serial}\t{_utc(r.window_start)} +{r.window_secs}s\t"
        f"{r.production_wh}/{r.consumption_wh} Wh\t{row.source}\t{_utc(row.rejected_at)}\t{row.reason}"
    )


@oracle.command("rejected")
@_CONFIG
@_METERS
@_JSON
def rejected(config_path: Path, meters: tuple[str, ...], as_json: bool) -> None:
    """Readings the chain refused, oldest window first, with the reason.

    Columns: id, meter, window start (UTC) and length, production/consumption, source, when it was
    rejected (UTC), reason.
    """
    config = load_config(config_path)
    path = _queue_path(config)
    queue = ReadingQueue(path)
    try:
        with queue_errors(path, "read"):
            rows = queue.rejected(serials=meters)
    finally:
        queue.close()
    if as_json:
        click.echo(json.dumps([_document(r) for r in rows], indent=2))
    elif not rows:
        click.echo("no rejected readings")
    else:
        click.echo("\n".join(_line(r) for r in rows))


@oracle.command("requeue")
@_CONFIG
@click.argument("ids", nargs=-1, type=click.IntRange(min=1), metavar="[ID]...")
@_METERS
@click.option("--all", "every", is_flag=True, help="Every rejected reading.")
@_JSON
def requeue(
    config_path: Path, ids: tuple[int, ...], meters: tuple[str, ...], every: bool, as_json: bool
) -> None:
    """Put rejected readings back in the queue once the cause is fixed.

    Select readings by ID (from `solgrid oracle rejected`), by --meter, or --all. Each is checked
    again against the config and the cluster (meter configured, device signature, meter registered
    and active with that device key, owner verified, zone not halted, window after the meter's last
    one and not too old); those that pass become pending and a running worker sends them. Each
    skipped reading is one line on stderr; exit code 1 if any was skipped.
    """
    from solgrid.oracle.review import requeue as requeue_rows

    if sum(map(bool, (ids, meters, every))) != 1:
        raise click.UsageError(
            "select the readings with IDs, with --meter SERIAL or with --all (one of them)"
        )
    config = load_config(config_path)
    path = _queue_path(config)
    queue = ReadingQueue(path)
    try:
        with queue_errors(path, "update"):
            rows = queue.rejected(ids=ids, serials=meters)
            missing = sorted(set(ids) - {r.id for r in rows})
            if missing:
                listed = ", ".join(map(str, missing))
                raise UserFacingError(f"no rejected reading with id {listed} (see `solgrid oracle rejected`)")
            outcome = asyncio.run(requeue_rows(config, queue, rows)) if rows else None
    finally:
        queue.close()
    if outcome is None:
        if as_json:
            click.echo(json.dumps({"requeued": [], "skipped": []}))
        else:
            click.echo("no rejected readings")
        return
    if as_json:
        document = {
            "requeued": [r.id for r in outcome.requeued],
            "skipped": [{"id": r.id, "reason": reason} for r, reason in outcome.skipped],
        }
        click.echo(json.dumps(document, indent=2))
    else:
        click.echo(
            f"requeued {len(outcome.requeued)} reading(s)"
            + "".join(f"\n  {r.id}\t{r.serial}\t{_utc(r.reading.window_start)}" for r in outcome.requeued)
        )
        for row, reason in outcome.skipped:
            click.echo(
                f"skipped {row.id} ({row.serial} {_utc(row.reading.window_start)}): {reason}", err=True
            )
    if outcome.skipped:
        raise ReadingsNotRequeued(f"{len(outcome.skipped)} of {len(rows)} reading(s) not requeued")
