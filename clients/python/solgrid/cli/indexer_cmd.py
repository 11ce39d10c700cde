"""``solgrid indexer``: index the SolGrid programs' events into SQL and push them over a websocket.

    solgrid indexer run --db sqlite+aiosqlite:///indexer.db --url localnet --feed-port 8910
    solgrid indexer migrate --db postgresql+asyncpg://user:pw@127.0.0.1/solgrid
    solgrid indexer gaps --db ...                      # history the RPC node had pruned
    solgrid indexer backfill-gaps --archive-url URL    # fetch it from a node that has it
    solgrid indexer verify-epochs --db ...             # recompute each auction clearing from its orders
    solgrid indexer carbon --db ... --by zone          # CO2 avoided by certificates, held and retired

``run`` migrates the schema, catches up every program from its checkpoint, then follows the chain
live until SIGINT/SIGTERM (a clean stop; kill -9 is also safe: a restart resumes from the checkpoint).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import signal
import time
from typing import Any

import click
from sqlalchemy import select

from solgrid.cli.common import resolve_url
from solgrid.cli.governance import TIME
from solgrid.errors import UserFacingError
from solgrid.indexer.archive import backfill_open_gaps
from solgrid.indexer.chain import COMMITMENTS, Commitment, RpcChainReader
from solgrid.indexer.credits import CREDIT_KEYS, carbon_totals
from solgrid.indexer.db import DEFAULT_DB, create_engine, migrate, sessions
from solgrid.indexer.decode import EventDecoder
from solgrid.indexer.gaps import describe
from solgrid.indexer.models import HistoryGap
from solgrid.indexer.service import Indexer, IndexerConfig, default_coders
from solgrid.indexer.store import TRADING_PROGRAM, Store
from solgrid.indexer.verify import EpochVerification, verify_epochs

DB_HELP = "sqlite+aiosqlite:///PATH or postgresql+asyncpg://USER:PW@HOST/DB (env SOLGRID_INDEXER_DB)."
ARCHIVE_HELP = (
    "RPC node with a longer history (URL or moniker) to backfill history gaps from "
    "(env SOLGRID_INDEXER_ARCHIVE_URL)."
)


class GapsNotFilled(UserFacingError):
    """Some history gaps could not be backfilled."""


class EpochsDoNotMatch(UserFacingError):
    """Some indexed auction clearings differ from what their order events give."""


def _archive_url(_ctx: click.Context, _param: click.Parameter, value: str | None) -> str | None:
    if value is None:
        return None
    try:
        return resolve_url(value)
    except click.BadParameter as e:
        e.param_hint = "--archive-url"
        raise


@click.group("indexer")
def indexer() -> None:
    """Event indexer: SQL tables + websocket feed of the programs' events."""


@indexer.command("migrate")
@click.option(
    "--db", "db_url", default=DEFAULT_DB, show_default=True, envvar="SOLGRID_INDEXER_DB", help=DB_HELP
)
def migrate_cmd(db_url: str) -> None:
    """Bring the database schema to the latest migration (alembic upgrade head)."""

    async def upgrade() -> None:
        engine = create_engine(db_url)
        try:
            await migrate(engine)
        finally:
            await engine.dispose()

    asyncio.run(upgrade())
    click.echo("schema is at head")


@indexer.command("run")
@click.option(
    "--db", "db_url", default=DEFAULT_DB, show_default=True, envvar="SOLGRID_INDEXER_DB", help=DB_HELP
)
@click.option(
    "--url",
    "-u",
    "url",
    default="localnet",
    show_default=True,
    help="JSON-RPC URL or moniker (localnet, devnet, testnet, mainnet-beta).",
)
@click.option("--ws-url", default=None, help="PubSub URL (default: the RPC URL with ws:// and port + 1).")
@click.option("--feed-host", default="127.0.0.1", show_default=True, help="Interface the feed listens on.")
@click.option(
    "--feed-port",
    default=8910,
    show_default=True,
    type=click.IntRange(0, 65535),
    help="Websocket feed port (0: any free port); protocol in docs/indexer.md.",
)
@click.option(
    "--commitment",
    type=click.Choice(COMMITMENTS),
    default="confirmed",
    show_default=True,
    help="Level history is read at; either way the checkpoint only covers finalized slots.",
)
@click.option(
    "--poll-interval",
    default=5.0,
    show_default=True,
    type=click.FloatRange(0.1),
    help="Seconds between catch-ups when no notification arrives.",
)
@click.option(
    "--archive-url",
    default=None,
    envvar="SOLGRID_INDEXER_ARCHIVE_URL",
    callback=_archive_url,
    help=ARCHIVE_HELP,
)
@click.option("--quiet", "-q", is_flag=True, help="Only warnings on stderr.")
def run_cmd(
    db_url: str,
    url: str,
    ws_url: str | None,
    feed_host: str,
    feed_port: int,
    poll_interval: float,
    commitment: Commitment,
    archive_url: str | None,
    quiet: bool,
) -> None:
    """Index the registry, energy_token and trading programs until stopped."""
    logging.basicConfig(level=logging.WARNING if quiet else logging.INFO, format="%(asctime)s %(message)s")
    config = IndexerConfig(
        db_url=db_url,
        rpc_url=resolve_url(url),
        ws_url=ws_url,
        feed_host=feed_host,
        feed_port=feed_port,
        poll_interval=poll_interval,
        commitment=commitment,
        archive_url=archive_url,
    )
    asyncio.run(_serve(Indexer(config)))


def _gap_json(gap: HistoryGap) -> dict[str, Any]:
    return {
        "id": gap.id,
        "program": gap.program,
        "after_slot": gap.after_slot,
        "after_signature": gap.after_signature,
        "before_slot": gap.before_slot,
        "before_signature": gap.before_signature,
        "rpc_url": gap.rpc_url,
        "detected_at": gap.detected_at.isoformat(),
        "resolved_at": None if gap.resolved_at is None else gap.resolved_at.isoformat(),
        "resolved_by": gap.resolved_by,
        "backfilled": gap.backfilled,
    }


@indexer.command("gaps")
@click.option(
    "--db", "db_url", default=DEFAULT_DB, show_default=True, envvar="SOLGRID_INDEXER_DB", help=DB_HELP
)
@click.option("--all", "show_all", is_flag=True, help="Also the gaps already backfilled.")
@click.option("--json", "as_json", is_flag=True, help="One JSON document on stdout.")
def gaps_cmd(db_url: str, show_all: bool, as_json: bool) -> None:
    """List the history gaps: history the RPC node had pruned before the indexer read it."""

    async def load() -> list[HistoryGap]:
        engine = create_engine(db_url)
        try:
            await migrate(engine)
            query = select(HistoryGap).order_by(HistoryGap.id)
            if not show_all:
                query = query.where(HistoryGap.resolved_at.is_(None))
            async with sessions(engine)() as session:
                return list(await session.scalars(query))
        finally:
            await engine.dispose()

    rows = asyncio.run(load())
    if as_json:
        click.echo(json.dumps([_gap_json(gap) for gap in rows], indent=2))
        return
    if not rows:
        click.echo("no open history gaps" if not show_all else "no history gaps")
    for gap in rows:
        state = "open" if gap.resolved_at is None else f"backfilled from {gap.resolved_by}"
        click.echo(f"{describe(gap)}; not served by {gap.rpc_url}; {state}")


@indexer.command("backfill-gaps")
@click.option(
    "--db", "db_url", default=DEFAULT_DB, show_default=True, envvar="SOLGRID_INDEXER_DB", help=DB_HELP
)
@click.option(
    "--archive-url",
    required=True,
    envvar="SOLGRID_INDEXER_ARCHIVE_URL",
    callback=_archive_url,
    help=ARCHIVE_HELP,
)
@click.option("--quiet", "-q", is_flag=True, help="Only warnings on stderr.")
def backfill_gaps_cmd(db_url: str, archive_url: str, quiet: bool) -> None:
    """Fetch the open history gaps' transactions from an archive node, then close the gaps."""
    logging.basicConfig(level=logging.WARNING if quiet else logging.INFO, format="%(asctime)s %(message)s")
    url = archive_url
    coders = default_coders()
    programs = [str(c.program_id) for c in coders]

    async def backfill() -> tuple[int, list[tuple[HistoryGap, str]]]:
        engine = create_engine(db_url)
        try:
            await migrate(engine)
            async with RpcChainReader(url, "finalized") as archive:
                return await backfill_open_gaps(
                    archive, sessions(engine), Store(EventDecoder(coders)), programs, url
                )
        finally:
            await engine.dispose()

    stored, failed = asyncio.run(backfill())
    click.echo(f"{stored} transaction(s) stored from {url}")
    for gap, reason in failed:
        click.echo(f"{describe(gap)}: {reason}", err=True)
    if failed:
        raise GapsNotFilled(f"{len(failed)} history gap(s) could not be backfilled from {url}")


@indexer.command("verify-epochs")
@click.option(
    "--db", "db_url", default=DEFAULT_DB, show_default=True, envvar="SOLGRID_INDEXER_DB", help=DB_HELP
)
@click.option("--market", default=None, help="Only this periodic market (address).")
@click.option("--epoch", default=None, type=click.IntRange(0), help="Only this epoch.")
@click.option("--json", "as_json", is_flag=True, help="One JSON document on stdout.")
def verify_epochs_cmd(db_url: str, market: str | None, epoch: int | None, as_json: bool) -> None:
    """Recompute each indexed auction clearing from the indexed order events (the SDK's reference of the
    clearing rule) and compare with its EpochCleared, epochs row, curves and settlements."""
    [program] = [str(c.program_id) for c in default_coders() if c.idl.name == TRADING_PROGRAM]

    async def verify() -> list[EpochVerification]:
        engine = create_engine(db_url)
        try:
            await migrate(engine)
            async with sessions(engine)() as session:
                return await verify_epochs(session, program, market, epoch)
        finally:
            await engine.dispose()

    results = asyncio.run(verify())
    failed = [r for r in results if not r.ok]
    if as_json:
        rows = [{"market": r.market, "epoch": r.epoch, "problems": list(r.problems)} for r in results]
        click.echo(json.dumps(rows, indent=2))
    else:
        for result in failed:
            for problem in result.problems:
                click.echo(f"market {result.market} epoch {result.epoch}: {problem}")
        if not failed:
            click.echo(f"{len(results)} cleared epoch(s) verified: each matches its order events")
    if failed:
        raise EpochsDoNotMatch(
            f"{len(failed)} of {len(results)} cleared epoch(s) do not match their order events"
        )


@indexer.command("carbon")
@click.option(
    "--db", "db_url", default=DEFAULT_DB, show_default=True, envvar="SOLGRID_INDEXER_DB", help=DB_HELP
)
@click.option(
    "--by", type=click.Choice(CREDIT_KEYS), default="owner", show_default=True, help="Sum per this."
)
@click.option("--owner", default=None, help="Only this owner's credits (wallet).")
@click.option("--meter", default=None, help="Only credits of this meter's certificates (address).")
@click.option("--zone", default=None, type=click.IntRange(0), help="Only this zone's credits.")
@click.option(
    "--at",
    type=TIME,
    default=None,
    help="As at this time: Unix seconds or ISO 8601, UTC unless it names an offset (default: now).",
)
@click.option("--json", "as_json", is_flag=True, help="One JSON document on stdout.")
def carbon_cmd(
    db_url: str,
    by: str,
    owner: str | None,
    meter: str | None,
    zone: int | None,
    at: int | None,
    as_json: bool,
) -> None:
    """Carbon credits: the CO2 (g) and energy (Wh) of Valid certificates before their expiry (held), of
    Valid ones past it that nobody has marked Expired yet (lapsed: no longer usable), of Valid ones split
    off a certificate that was revoked (void: no longer usable), and of Retired ones (credited to
    whoever retired them; apart, those whose lineage a quorum revoked afterwards), summed per owner,
    meter or zone."""
    moment = int(time.time()) if at is None else at

    async def load() -> list[dict[str, Any]]:
        engine = create_engine(db_url)
        try:
            await migrate(engine)
            async with sessions(engine)() as session:
                return await carbon_totals(session, by, at=moment, owner=owner, meter=meter, zone=zone)
        finally:
            await engine.dispose()

    rows = asyncio.run(load())
    if as_json:
        click.echo(json.dumps(rows, indent=2))
        return
    if not rows:
        click.echo("no carbon credits")
    for row in rows:
        notes = ""
        if row["lapsed_wh"] or row["lapsed_co2_g"]:
            notes += (
                f"; {_thousandths(row['lapsed_co2_g'])} kg ({_thousandths(row['lapsed_wh'])} kWh) "
                "past expiry, not held (not yet marked Expired)"
            )
        if row["void_wh"] or row["void_co2_g"]:
            notes += (
                f"; {_thousandths(row['void_co2_g'])} kg ({_thousandths(row['void_wh'])} kWh) "
                "void, not held (split off a revoked certificate)"
            )
        if row["retired_revoked_wh"] or row["retired_revoked_co2_g"]:
            notes += (
                f"; {_thousandths(row['retired_revoked_co2_g'])} kg "
                f"({_thousandths(row['retired_revoked_wh'])} kWh) retired from a revoked lineage, not "
                "counted as retired (its original was revoked for fraud)"
            )
        click.echo(
            f"{by} {row[by]}: {_thousandths(row['held_co2_g'])} kg CO2 held "
            f"({_thousandths(row['held_wh'])} kWh), {_thousandths(row['retired_co2_g'])} kg retired "
            f"({_thousandths(row['retired_wh'])} kWh), {row['certificates']} certificate(s){notes}"
        )


def _thousandths(units: int) -> str:
    """``units`` / 1000 with three decimals, exactly (g as kg, Wh as kWh)."""
    return f"{units // 1000}.{units % 1000:03d}"


async def _serve(service: Indexer) -> None:
    loop = asyncio.get_running_loop()
    task = asyncio.create_task(service.run())

    async def announce() -> None:
        await service.ready.wait()
        click.echo(f"indexer ready: feed ws://{service.config.feed_host}:{service.feed.port}", err=True)

    announcer = asyncio.create_task(announce())
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, task.cancel)
    try:
        with contextlib.suppress(asyncio.CancelledError):
            await task
    finally:
        announcer.cancel()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.remove_signal_handler(sig)


if __name__ == "__main__":  # `python -m solgrid.cli.indexer_cmd run ...` (also before `solgrid` lists it)
    indexer()
