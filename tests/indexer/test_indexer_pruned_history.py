"""End to end on local nodes: the indexer's checkpoint is pruned from the node's history while the
indexer is stopped, and an archive node fills the gap.

The primary is our node with a history limit, pruning as a validator does (``--limit-ledger-slots``).
The archive is a second node started from a copy of the primary's own ledger taken just before the
pruning (same genesis, same transactions in the same slots with the same signatures), keeping its
whole history: an archive node that lags behind the primary (it stopped following the chain there).
Two independent nodes could not serve one chain.

``test_catch_up_survives_a_checkpoint_the_node_does_not_have`` needs nothing but a node URL, so it runs
on our node and on the real validator (``any_rpc_url``, the compat suite).
"""

from __future__ import annotations

import asyncio
import json
import logging
import sqlite3
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import CliRunner
from indexer_support import DbView, chain_events, eventually, indexed_events, running
from market import Market, node_config
from solana.rpc.async_api import AsyncClient
from solana.rpc.commitment import Confirmed
from solders.keypair import Keypair
from solders.system_program import TransferParams, transfer
from sqlalchemy import select

from solgrid.cli.main import cli
from solgrid.indexer import backfill
from solgrid.indexer.backfill import catch_up
from solgrid.indexer.chain import HistoryUnavailable, RpcChainReader
from solgrid.indexer.db import create_engine, migrate, sessions
from solgrid.indexer.decode import EventDecoder
from solgrid.indexer.gaps import GAP_ALERT
from solgrid.indexer.models import Alert, Checkpoint, HistoryGap
from solgrid.indexer.service import IndexerConfig, default_coders
from solgrid.indexer.store import Store
from solgrid.localnet.background import BackgroundNode
from solgrid.localnet.finality import ROOT_DISTANCE
from solgrid.localnet.server import NodeConfig
from solgrid.localnet.store import DB_FILE
from solgrid.sdk.registry import RegistryClient
from solgrid.sdk.transactions import send_and_confirm

KEEP = 1000
"""Slots of history the primary keeps: far more than the test takes, so only a warp prunes."""


def snapshot(node: BackgroundNode, ledger: Path, target: Path) -> None:
    """A consistent copy of a running node's ledger (committed first, copied with SQLite's backup)."""
    node.call(lambda chain: chain.commit())
    target.mkdir()
    source, copy = sqlite3.connect(ledger / DB_FILE), sqlite3.connect(target / DB_FILE)
    try:
        source.backup(copy)
    finally:
        source.close()
        copy.close()


def prune(node: BackgroundNode) -> int:
    """Jumps the primary past its history limit; returns its first available slot."""
    node.call(lambda chain: chain.warp_to_slot(chain.slot + KEEP + 10))
    return node.call(lambda chain: chain.first_available_slot)


async def in_gap_on(rpc_url: str, gap: HistoryGap) -> int:
    """How many of the gap's program's transactions ``rpc_url`` lists in the gap's slots."""
    async with RpcChainReader(rpc_url) as chain:
        listed = await chain.signatures(gap.program, until=None, before=None, limit=1000)
    return sum(1 for info in listed if (gap.after_slot or -1) < info.slot < gap.before_slot)


async def slots_of(rpc_url: str, signatures: list[str]) -> list[int]:
    async with RpcChainReader(rpc_url) as chain:
        return [(await chain.transaction(s)).slot for s in signatures]  # type: ignore[union-attr]


@pytest.mark.slow
async def test_a_pruned_checkpoint_is_reported_resumed_and_backfilled_from_an_archive(
    elf_of: Callable[[str], bytes], tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    authority = Keypair()
    ledger = tmp_path / "primary"
    db_url = f"sqlite+aiosqlite:///{tmp_path / 'indexer.db'}"
    view = DbView(db_url)
    registry = str(RegistryClient().program_id)
    with BackgroundNode(node_config(elf_of, authority, ledger=ledger, history_slots=KEEP)) as primary:
        config = IndexerConfig(
            db_url=db_url, rpc_url=primary.rpc_url, ws_url=primary.ws_url, feed_port=0, poll_interval=0.5
        )
        market = Market(primary.rpc_url, authority)
        try:
            # 1. Indexed while the indexer runs.
            await market.setup()
            p = await market.prosumer()
            await market.readings(p, 2)
            async with running(config):
                await eventually(lambda: view.has_all(market.signatures), "the market indexed")
                # The checkpoint covers finalized slots only: root what was indexed, then it follows.
                primary.call(lambda chain: chain.warp_to_slot(chain.slot + ROOT_DISTANCE))

                async def checkpoint_at_the_last() -> bool:
                    async with view.sessions() as s:
                        checkpoint = await s.get(Checkpoint, registry)
                    return checkpoint is not None and checkpoint.signature == market.signatures[-1]

                await eventually(checkpoint_at_the_last, "the checkpoint at the last transaction")
            async with view.sessions() as s:
                stopped_at = await s.get(Checkpoint, registry)
                assert stopped_at is not None and stopped_at.signature == market.signatures[-1]

            # 2. While the indexer is stopped: activity, then the node prunes it (the archive keeps it).
            start = len(market.signatures)
            await market.readings(p, 2)  # one transaction
            await market.settle(p)  # listed for both programs (energy_token calls the registry)
            missed = market.signatures[start:]
            snapshot(primary, ledger, tmp_path / "archive")
            first_available = prune(primary)
            async with RpcChainReader(primary.rpc_url) as chain:
                assert await chain.transaction(missed[0]) is None
                with pytest.raises(HistoryUnavailable):
                    await chain.signatures(registry, until=stopped_at.signature, before=None, limit=10)
            await market.readings(p, 1)
            later = market.signatures[-1:]

            # 3. Restart: one alert and one WARNING per program, later transactions indexed, the gap not.
            with caplog.at_level(logging.WARNING):
                async with running(config):
                    await eventually(lambda: view.has_all(later), "the transactions after the gap")
            assert not (set(missed) & await view.signatures())
            gaps = {g.program: g for g in await view.rows(HistoryGap, HistoryGap.resolved_at.is_(None))}
            gap = gaps[registry]
            assert (gap.after_slot, gap.after_signature) == (stopped_at.covered_slot, stopped_at.signature)
            assert (gap.before_signature, gap.rpc_url) == (later[0], primary.rpc_url)
            # The node's first available block at detection (its slots go on, and pruning with them).
            assert (
                first_available <= gap.before_slot <= primary.call(lambda chain: chain.first_available_slot)
            )
            assert gap.before_slot <= (await slots_of(primary.rpc_url, later))[0]
            alerts = await view.rows(Alert, Alert.kind == GAP_ALERT)
            assert {a.id for a in alerts} == {g.alert_id for g in gaps.values()}
            (message,) = [a.message for a in alerts if a.id == gap.alert_id]
            checkpoint = f"(checkpoint {stopped_at.signature})"
            assert f"between slot {gap.after_slot} {checkpoint} and slot {gap.before_slot}" in message
            warnings = [
                r.getMessage()
                for r in caplog.records
                if r.levelno == logging.WARNING and r.name == backfill.__name__
            ]
            assert sorted(warnings) == sorted(a.message for a in alerts)  # one line per gap

            listed = await asyncio.to_thread(
                CliRunner().invoke, cli, ["indexer", "gaps", "--db", db_url, "--json"]
            )
            assert listed.exit_code == 0, listed.output
            by_program = {g["program"]: g for g in json.loads(listed.output)}
            assert (by_program[registry]["id"], by_program[registry]["before_slot"]) == (
                gap.id,
                gap.before_slot,
            )

            # 4. Backfill from the archive (the operator's command), then the gaps are closed.
            with BackgroundNode(NodeConfig(rpc_port=0, ws_port=0, ledger=tmp_path / "archive")) as archive:
                result = await asyncio.to_thread(
                    CliRunner().invoke,
                    cli,
                    ["indexer", "backfill-gaps", "--db", db_url, "--archive-url", archive.rpc_url, "-q"],
                )
                assert result.exit_code == 0, result.output
                assert f"{len(missed)} transaction(s) stored from {archive.rpc_url}" in result.output
                assert await indexed_events(view, missed) == await chain_events(archive.rpc_url, missed)
                in_gap = await slots_of(archive.rpc_url, missed)
                assert all(gap.after_slot < slot < gap.before_slot for slot in in_gap)
                in_gaps = {p: await in_gap_on(archive.rpc_url, g) for p, g in gaps.items()}
            assert await view.rows(HistoryGap, HistoryGap.resolved_at.is_(None)) == []
            resolved = {g.program: g for g in await view.rows(HistoryGap)}
            assert {p: g.backfilled for p, g in resolved.items()} == in_gaps
            token = str(market.token.program_id)
            assert in_gaps[registry] >= len(missed) and in_gaps[token] >= 1  # the settle is in both
            assert {g.resolved_by for g in resolved.values()} == {archive.rpc_url}
            assert all(a.resolved_at is not None for a in await view.rows(Alert, Alert.kind == GAP_ALERT))

            # 5. Again, with the archive given to `run`: the gap is found and filled in one go.
            async with running(config):
                await eventually(lambda: view.has_all(market.signatures), "everything indexed")
            start = len(market.signatures)
            await market.readings(p, 1)
            await market.burn(p, 1)
            missed_again = market.signatures[start:]
            snapshot(primary, ledger, tmp_path / "archive-2")
            prune(primary)
            await market.readings(p, 1)
            with BackgroundNode(NodeConfig(rpc_port=0, ws_port=0, ledger=tmp_path / "archive-2")) as archive:
                with_archive = IndexerConfig(
                    db_url=db_url,
                    rpc_url=primary.rpc_url,
                    ws_url=primary.ws_url,
                    feed_port=0,
                    poll_interval=0.5,
                    archive_url=archive.rpc_url,
                )
                async with running(with_archive) as service:

                    async def all_closed() -> bool:
                        return await view.rows(HistoryGap, HistoryGap.resolved_at.is_(None)) == []

                    await eventually(lambda: view.has_all(market.signatures), "the gap backfilled by run")
                    await eventually(all_closed, "the new gaps closed")
                    assert service.published_events > 0
                expected = await chain_events(archive.rpc_url, missed_again)
                assert expected and await indexed_events(view, missed_again) == expected
            assert len(await view.rows(HistoryGap)) == 2 * len(resolved)
        finally:
            await market.close()
            await view.close()


async def test_catch_up_survives_a_checkpoint_the_node_does_not_have(
    any_rpc_url: str, tmp_path: Path
) -> None:
    """Any node (ours, then the real validator): a ``before``/``until`` signature it does not have is
    -32020, and a catch-up whose checkpoint it does not have (pruned) lists what it serves instead of
    failing, with no gap when the history since the checkpoint is accounted for (the address was merely
    idle)."""
    rpc_url = any_rpc_url
    payer, address = Keypair(), Keypair().pubkey()
    async with AsyncClient(rpc_url, commitment=Confirmed) as client:
        airdrop = await client.request_airdrop(payer.pubkey(), 10**9)
        await client.confirm_transaction(airdrop.value, Confirmed)
        pay = transfer(TransferParams(from_pubkey=payer.pubkey(), to_pubkey=address, lamports=10**6))
        landed = await send_and_confirm(client, [pay], payer)
    never = str(Keypair().sign_message(b"a transaction no node has"))
    engine = create_engine(f"sqlite+aiosqlite:///{tmp_path / 'indexer.db'}")
    await migrate(engine)
    db = sessions(engine)
    try:
        async with RpcChainReader(rpc_url) as chain:
            for bound in ({"until": never, "before": None}, {"until": None, "before": never}):
                with pytest.raises(HistoryUnavailable, match=f"Transaction {never} not found"):
                    await chain.signatures(str(address), limit=10, **bound)
            assert 0 <= await chain.first_available_slot() <= await chain.finalized_slot()
            idle_until = landed.slot - 1
            async with db() as s, s.begin():
                s.add(
                    Checkpoint(
                        program=str(address), signature=never, slot=idle_until, covered_slot=idle_until
                    )
                )
            assert (
                await catch_up(chain, db, Store(EventDecoder(default_coders())), str(address), node=rpc_url)
                == 1
            )
        async with db() as s:
            assert await s.scalar(select(HistoryGap)) is None
            assert await s.scalar(select(Alert)) is None
            checkpoint = await s.get(Checkpoint, str(address))
            assert checkpoint is not None and checkpoint.covered_slot >= idle_until
    finally:
        await engine.dispose()
