"""Rejected readings through a real node: the chain refuses a suspended owner's readings, an inactive
meter's and those of a meter whose device was replaced before its new key was registered; ``solgrid
oracle rejected`` lists them with the reason; ``requeue`` skips what the chain would still refuse
(energy from a suspension is never credited, not even after reinstatement; windows before an
activation can never be applied); once the new device key is registered, its requeued readings land
exactly once and are settled."""

from __future__ import annotations

import asyncio
import dataclasses
import json
import logging
import sqlite3
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from oracle_support import (
    ZONE,
    OracleNode,
    TestMeter,
    add_meter,
    advance_time,
    meter_state,
    setup_market,
    write_config,
)
from solana.rpc.async_api import AsyncClient
from solana.rpc.commitment import Confirmed
from solders.keypair import Keypair

from solgrid.cli.main import cli
from solgrid.oracle.config import load_config
from solgrid.oracle.submitter import ProgramRejected, Submitter, cluster_time
from solgrid.oracle.worker import Worker
from solgrid.sdk.energy_token import EnergyTokenClient, wh_to_base_units
from solgrid.sdk.keys import write_keypair
from solgrid.sdk.readings import DeviceSigner
from solgrid.sdk.registry import RegistryClient
from solgrid.sdk.transactions import send_and_confirm

WINDOW = 900
ROWS = [(500, 100), (650, 120), (700, 90)]


def csv_rows(meter: TestMeter, start: int) -> str:
    return "".join(
        f"{meter.serial},{start + i * WINDOW},{start + (i + 1) * WINDOW},{p},{c}\n"
        for i, (p, c) in enumerate(ROWS)
    )


async def invoke(*args: str) -> Result:
    """``solgrid ARGS`` through click's runner, off the event loop (the command runs its own)."""
    return await asyncio.to_thread(CliRunner().invoke, cli, list(args))


def statuses(queue: Path) -> list[tuple[str, str, str]]:
    with sqlite3.connect(queue) as db:
        rows = db.execute("SELECT serial, status, note FROM readings ORDER BY serial, window_start")
        return [(serial, status, note) for serial, status, note in rows.fetchall()]


async def test_rejected_readings_are_listed_and_land_once_requeued(
    oracle_node: OracleNode, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    url = oracle_node.rpc_url
    registry = RegistryClient()
    regulator = oracle_node.authority
    async with AsyncClient(url, Confirmed) as rpc:
        await setup_market(rpc, regulator)
        suspended = await add_meter(rpc, regulator, tmp_path, "SUSP-1", "solar")
        inactive = await add_meter(rpc, regulator, tmp_path, "LATE-1", "solar", activate=False)
        replaced = await add_meter(rpc, regulator, tmp_path, "SWAP-1", "solar")
        meters = (suspended, inactive, replaced)
        starts = {m.serial: (await meter_state(rpc, m.serial)).last_window_end for m in meters}
        suspend = registry.suspend_user(regulator=regulator.pubkey(), wallet=suspended.owner)
        await send_and_confirm(rpc, [suspend], regulator, coders=[registry.coder])
    # SWAP-1's device was replaced: the oracle signs with the new key, the chain still has the old one.
    new_device_pair = Keypair()
    write_keypair(tmp_path / "SWAP-1.new-device.json", new_device_pair)
    new_device = DeviceSigner.from_seed(bytes(new_device_pair)[:32])
    replaced = dataclasses.replace(replaced, device=new_device, key_file=tmp_path / "SWAP-1.new-device.json")
    await advance_time(url, len(ROWS) * WINDOW + 60)
    (tmp_path / "in.csv").write_text("".join(csv_rows(m, starts[m.serial]) for m in meters))
    extra = 'csv = ["in.csv"]\n[settle]\ninterval_secs = 0.2\n'
    config = write_config(tmp_path, url, oracle_node.authority_file, [suspended, inactive, replaced], extra)
    queue = tmp_path / "oracle-queue.sqlite"

    with caplog.at_level(logging.WARNING, "solgrid.oracle"):
        await Worker(load_config(config), drain=True).run()
    assert "meter LATE-1: inactive on chain, not active; its readings will be refused" in caplog.messages
    assert {status for _, status, _ in statuses(queue)} == {"rejected"}

    listed = await invoke("oracle", "rejected", "--config", str(config), "--json")
    assert listed.exit_code == 0, listed.output
    rows = json.loads(listed.stdout)
    assert sorted((r["meter"], r["window_start"] - starts[r["meter"]], r["production_wh"]) for r in rows) == [
        (m.serial, i * WINDOW, p) for m in (inactive, suspended, replaced) for i, (p, _) in enumerate(ROWS)
    ]
    assert [r["window_start"] for r in rows] == sorted(r["window_start"] for r in rows)  # oldest first
    reasons = {r["meter"]: r["reason"] for r in rows}
    assert reasons["SUSP-1"].startswith("registry: UserSuspended (")
    assert reasons["LATE-1"].startswith("registry: MeterNotActive (")
    assert reasons["SWAP-1"].startswith("registry: DeviceKeyMismatch (")
    text = await invoke("oracle", "rejected", "--config", str(config), "--meter", "LATE-1")
    assert text.exit_code == 0 and len(text.stdout.splitlines()) == len(ROWS)
    assert all("\tLATE-1\t" in line and "MeterNotActive" in line for line in text.stdout.splitlines())

    # Nothing is fixed yet: every reading is skipped with the reason, nothing changes.
    early = await invoke("oracle", "requeue", "--config", str(config), "--all")
    assert early.exit_code == 1
    assert early.stderr.count("owner of meter 'SUSP-1' is suspended on chain, not verified") == len(ROWS)
    assert early.stderr.count("meter 'LATE-1' is inactive on chain, not active") == len(ROWS)
    assert early.stderr.count("the device key of meter 'SWAP-1' on chain is") == len(ROWS)
    assert (
        early.stderr.splitlines()[-1] == f"error: {3 * len(ROWS)} of {3 * len(ROWS)} reading(s) not requeued"
    )
    assert {status for _, status, _ in statuses(queue)} == {"rejected"}

    async with AsyncClient(url, Confirmed) as rpc:
        fix = [
            registry.reinstate_user(regulator=regulator.pubkey(), wallet=suspended.owner),
            registry.activate_meter(regulator=regulator.pubkey(), meter=registry.meter_pda("LATE-1").address),
            registry.rotate_device_key(
                meter=registry.meter_pda("SWAP-1").address,
                new_key=new_device.public_key,
                cosigners=[regulator.pubkey()],
            ),
        ]
        await send_and_confirm(rpc, fix, regulator, coders=[registry.coder])

    fixed = await invoke("oracle", "requeue", "--config", str(config), "--meter", "SWAP-1", "--json")
    assert fixed.exit_code == 0, fixed.output
    requeued = json.loads(fixed.stdout)
    assert len(requeued["requeued"]) == len(ROWS) and requeued["skipped"] == []
    # The reinstated owner's readings from the suspension, and the windows before LATE-1's activation,
    # can never be applied.
    never = await invoke("oracle", "requeue", "--config", str(config), "--all", "--json")
    assert never.exit_code == 1
    assert json.loads(never.stdout)["requeued"] == []
    reasons = [s["reason"] for s in json.loads(never.stdout)["skipped"]]
    assert len(reasons) == 2 * len(ROWS)
    suspension = "of meter 'SUSP-1' was last verified: energy from a suspension is never credited"
    assert sum(r.endswith(suspension) for r in reasons) == len(ROWS)
    assert sum("'LATE-1'" in r and r.endswith("it can never be applied") for r in reasons) == len(ROWS)

    await Worker(load_config(config), drain=True).run()
    async with AsyncClient(url, Confirmed) as rpc:
        state = await meter_state(rpc, "SWAP-1")
        assert (state.produced_wh, state.consumed_wh, state.reading_count) == (
            sum(p for p, _ in ROWS),
            sum(c for _, c in ROWS),
            len(ROWS),
        )
        surplus = sum(p - c for p, c in ROWS)
        assert await EnergyTokenClient().fetch_balance(rpc, replaced.owner) == wh_to_base_units(surplus)
        assert (await meter_state(rpc, "SUSP-1")).reading_count == 0

        # The settle crank's "another cranker was first" refusal is recognised by its IDL name, raised by
        # the registry inside energy_token's CPI.
        worker = Worker(load_config(config))
        submitter = Submitter(rpc, regulator, [worker.registry.coder, worker.token.coder])
        token = EnergyTokenClient()
        with pytest.raises(ProgramRejected) as refused:
            await submitter.send(
                [
                    token.settle_and_mint(
                        meter=registry.meter_pda("SWAP-1").address, owner=replaced.owner, zone_id=ZONE
                    )
                ]
            )
        assert refused.value.is_(worker.errors.nothing_to_settle)
        assert not refused.value.is_(worker.errors.window_not_after_last)
        worker.queue.close()

    final = statuses(queue)
    assert [(s, status) for s, status, _ in final] == [("LATE-1", "rejected")] * len(ROWS) + [
        ("SUSP-1", "rejected")
    ] * len(ROWS) + [("SWAP-1", "applied")] * len(ROWS)
    assert all(
        note.startswith("requeued; was rejected: registry: DeviceKeyMismatch")
        for s, _, note in final
        if s == "SWAP-1"
    )


async def test_a_meter_missing_on_chain_is_named_in_the_reason(
    oracle_node: OracleNode, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    url = oracle_node.rpc_url
    async with AsyncClient(url, Confirmed) as rpc:
        await setup_market(rpc, oracle_node.authority)
        start = await cluster_time(rpc)
    pair = Keypair()
    write_keypair(tmp_path / "ghost.json", pair)
    device = DeviceSigner.from_seed(bytes(pair)[:32])
    ghost = TestMeter("GHOST", Keypair().pubkey(), device, tmp_path / "ghost.json", "solar", 8_000)
    await advance_time(url, len(ROWS) * WINDOW + 60)
    (tmp_path / "in.csv").write_text(csv_rows(ghost, start))
    extra = 'csv = ["in.csv"]\n[settle]\nenabled = false\n'
    config = write_config(tmp_path, url, oracle_node.authority_file, [ghost], extra)
    with caplog.at_level(logging.WARNING, "solgrid.oracle"):
        await Worker(load_config(config), drain=True).run()
    assert "meter GHOST: not registered on chain; its readings will be refused" in caplog.messages
    listed = json.loads((await invoke("oracle", "rejected", "--config", str(config), "--json")).stdout)
    assert len(listed) == len(ROWS)
    assert all(r["reason"].startswith("meter 'GHOST' is not registered on chain (registry: ") for r in listed)
    again = await invoke("oracle", "requeue", "--config", str(config), "--all")
    assert again.exit_code == 1
    assert again.stderr.count(": meter 'GHOST' is not registered on chain\n") == len(ROWS)
