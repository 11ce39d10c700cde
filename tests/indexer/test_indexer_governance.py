"""The governance tables from the real programs' transactions (LiteSVM, read as getTransaction returns
them): certificates through their whole lifecycle (request, validation, splits, transfer, retirement,
revocation by a quorum, expiry, pending) with their history and retirements, carbon credits per owner,
meter and zone that add up to what was issued, proposals with votes in separate transactions (approvals
and rejections) executed, rejected and closed, cancelled; pauses and resumes by a regulator, by co-signing
regulators and by a proposal. Storing the same transactions again changes nothing, and storing them one
by one in another order gives the same tables."""

from __future__ import annotations

import asyncio
import dataclasses
import json
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from click.testing import CliRunner
from governance_world import DAY, SOUTH, ZONE, CertEnv, Lifecycle, Params, governance_world, lifecycle
from indexer_support import counts, store, store_out_of_order, store_pages
from sqlalchemy import select, text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from test_indexer_feed import ask, pending
from websockets.asyncio.client import connect

from solgrid.cli.indexer_cmd import indexer
from solgrid.indexer.certificates import fold
from solgrid.indexer.credits import credit_rows
from solgrid.indexer.db import create_engine, migrate, sessions
from solgrid.indexer.decode import EventDecoder
from solgrid.indexer.feed import EventFeed
from solgrid.indexer.models import (
    Approval,
    Certificate,
    CertificateChange,
    GridZone,
    Meter,
    Pause,
    Proposal,
    Retirement,
    Transaction,
    carbon_credits,
)
from solgrid.indexer.service import default_coders
from solgrid.indexer.store import Store
from solgrid.sdk.idl import load_idl_json
from solgrid.sdk.registry_governance import governance_pdas

GOVERNANCE_TABLES = (Certificate, CertificateChange, Retirement, Proposal, Approval, Pause)
Sums = tuple[int, int]
GOVERNANCE_ERRORS = {e["name"]: e["code"] for e in load_idl_json("governance")["errors"]}


@pytest.fixture
def life(governance_elves: dict[str, bytes]) -> Lifecycle:
    env, recorder = governance_world(governance_elves, Params(certificate_validity_secs=30 * DAY))
    return lifecycle(env, recorder)


def new_store() -> Store:
    return Store(EventDecoder(default_coders()))


async def snapshot(db: async_sessionmaker[AsyncSession]) -> dict[str, Any]:
    """The governance tables' contents (without surrogate ids), the view, and the registry columns the
    governance events set."""
    found: dict[str, Any] = {}
    async with db() as s:
        for model in GOVERNANCE_TABLES:
            table = model.__table__
            columns = [c for c in table.columns if c.name != "id"]
            rows = (await s.execute(select(*columns))).all()
            found[table.name] = sorted((tuple(row) for row in rows), key=repr)
        found["carbon_credits"] = sorted(tuple(r) for r in (await s.execute(select(carbon_credits))).all())
        found["meters"] = sorted(
            tuple(r)
            for r in await s.execute(select(Meter.address, Meter.certificate_wh, Meter.certificate_until))
        )
        found["grid_zones"] = sorted(
            tuple(r) for r in await s.execute(select(GridZone.zone_id, GridZone.emission_factor))
        )
    return found


def key(pubkey: Any) -> str:
    return str(pubkey)


async def test_certificates_their_history_retirements_and_carbon_credits(
    db: async_sessionmaker[AsyncSession], life: Lifecycle
) -> None:
    await store_pages(db, life.txs)
    ids = {name: str(address) for name, address in life.certificates.items()}
    alice, erin = key(life.alice.wallet.pubkey()), key(life.erin.wallet.pubkey())
    bob, carol, dave = key(life.bob.pubkey()), key(life.carol.pubkey()), key(life.dave.pubkey())
    alice_meter, erin_meter = key(life.alice.meter), key(life.erin.meter)
    r0, _, _ = (key(r.pubkey()) for r in life.regulators)
    async with db() as s:
        rows = {c.address: c for c in await s.scalars(select(Certificate))}
        history = list(
            await s.scalars(select(CertificateChange).order_by(CertificateChange.slot, CertificateChange.id))
        )
        retirements = list(await s.scalars(select(Retirement)))
        view = sorted(tuple(r) for r in (await s.execute(select(carbon_credits))).all())
        expiry = rows[ids["c1"]].expires_at
        assert expiry is not None
        credits = {
            at: sorted(tuple(r) for r in await s.execute(credit_rows(at))) for at in (expiry - 1, expiry)
        }
        meters = {m.address: (m.certificate_wh, m.certificate_until) for m in await s.scalars(select(Meter))}
        zones = {z.zone_id: z.emission_factor for z in await s.scalars(select(GridZone))}

    def state(name: str) -> tuple[Any, ...]:
        c = rows[ids[name]]
        return (c.status, c.owner, c.volume_wh, c.co2_avoided_g, c.initial_volume_wh)

    assert set(rows) == set(ids.values())
    assert state("c1") == ("Valid", bob, 1_000, 400, 1_800)
    assert state("k1") == ("Retired", carol, 500, 200, 500)
    assert state("k2") == ("Valid", dave, 300, 120, 300)
    assert state("c2") == ("Revoked", alice, 1_200, 480, 1_200)
    assert state("c3") == ("Expired", alice, 600, 240, 600)
    assert state("c4") == ("Revoked", alice, 450, 0, 450)
    assert state("c5") == ("Pending", alice, 350, 0, 350)
    assert state("e1") == ("Valid", erin, 1_400, 140, 1_400)
    c1, k1, k2 = rows[ids["c1"]], rows[ids["k1"]], rows[ids["k2"]]
    # A split child keeps the header and points at its parent and at the requested certificate.
    for child, index in ((k1, 0), (k2, 1)):
        assert (child.parent, child.original, child.split_index) == (ids["c1"], ids["c1"], index)
        header = (
            "meter",
            "zone_id",
            "source",
            "generation_start",
            "generation_end",
            "issued_at",
            "issuer",
            "expires_at",
        )
        assert [getattr(child, h) for h in header] == [getattr(c1, h) for h in header]
    assert (c1.parent, c1.original, c1.split_count, c1.meter, c1.zone_id, c1.source) == (
        None,
        ids["c1"],
        2,
        alice_meter,
        ZONE,
        "Solar",
    )
    assert (c1.issuer, c1.emission_factor, c1.expires_at - c1.issued_at) == (r0, 400, 30 * DAY)
    assert rows[ids["c2"]].revoke_reason == "meter seal broken"
    assert (rows[ids["e1"]].zone_id, rows[ids["e1"]].source, rows[ids["e1"]].emission_factor) == (
        SOUTH,
        "Wind",
        100,
    )

    # Every change, with the state after it, who made it, and when.
    def changes(name: str) -> list[tuple[Any, ...]]:
        return [
            (h.change, h.status, h.owner, h.volume_wh, h.co2_avoided_g, h.actor)
            for h in history
            if h.certificate == ids[name]
        ]

    assert changes("c1") == [
        ("requested", "Pending", alice, 1_800, 0, alice),
        ("validated", "Valid", alice, 1_800, 720, r0),
        ("split", "Valid", alice, 1_300, 520, alice),
        ("transferred", "Valid", bob, 1_300, 520, alice),
        ("split", "Valid", bob, 1_000, 400, bob),
    ]
    assert changes("k1") == [
        ("split_from", "Valid", carol, 500, 200, alice),
        ("retired", "Retired", carol, 500, 200, carol),
    ]
    assert changes("c3")[-1] == ("expired", "Expired", alice, 600, 240, None)
    # Revocations by executed proposals (the governance PDA): co-signing regulators no longer revoke
    # once the registry names a governance program.
    revoked = {h.certificate: (h.actor, h.cosigners, h.proposal) for h in history if h.change == "revoked"}
    governance = str(governance_pdas(life.env.program_id).governance.address)
    assert revoked == {
        ids["c2"]: (governance, None, str(life.proposals["revoke_seal"])),
        ids["c4"]: (governance, None, str(life.proposals["revoke"])),
    }
    assert rows[ids["c4"]].revoke_reason == "duplicate claim"
    assert [h.related for h in history if h.certificate == ids["c1"] and h.change == "split"] == [
        ids["k1"],
        ids["k2"],
    ]
    by_signature = {tx.signature: tx for tx in life.txs}
    for h in history:
        tx = by_signature[h.signature]
        assert h.slot == tx.slot and h.timestamp is not None and h.recovered is False
    assert (
        next(h for h in history if h.change == "transferred").timestamp
        == by_signature[next(h for h in history if h.change == "transferred").signature].block_time
    )

    # The retirement: who used the energy, for what, when.
    (retirement,) = retirements
    assert (
        retirement.certificate,
        retirement.owner,
        retirement.beneficiary,
        retirement.beneficiary_name,
        retirement.purpose,
        retirement.consumption_end - retirement.consumption_start,
        retirement.volume_wh,
        retirement.co2_avoided_g,
        retirement.meter,
        retirement.zone_id,
    ) == (
        ids["k1"],
        carol,
        key(life.household.pubkey()),
        "Carol's household",
        "home electricity",
        30 * DAY,
        500,
        200,
        alice_meter,
        ZONE,
    )

    # Carbon credits per owner, meter and zone: held (Valid before its expiry), retired, lapsed (Valid
    # from its expiry on, not marked Expired: no longer usable); revoked, expired and pending
    # certificates count for nothing; transfers and splits moved them between owners; retired ones stay
    # credited to whoever retired them. c1 and its split k2 expire together (the header), e1 later.
    assert rows[ids["k2"]].expires_at == expiry < rows[ids["e1"]].expires_at
    carol_retired = (carol, alice_meter, ZONE, 0, 200, 0, 500, 1, 0, 0, 0, 0, 0, 0)
    erin_held = (erin, erin_meter, SOUTH, 140, 0, 1_400, 0, 1, 0, 0, 0, 0, 0, 0)
    assert credits[expiry - 1] == sorted(
        [
            (bob, alice_meter, ZONE, 400, 0, 1_000, 0, 1, 0, 0, 0, 0, 0, 0),
            (dave, alice_meter, ZONE, 120, 0, 300, 0, 1, 0, 0, 0, 0, 0, 0),
            carol_retired,
            erin_held,
        ]
    )
    assert credits[expiry] == sorted(
        [
            (bob, alice_meter, ZONE, 0, 0, 0, 0, 1, 400, 1_000, 0, 0, 0, 0),
            (dave, alice_meter, ZONE, 0, 0, 0, 0, 1, 120, 300, 0, 0, 0, 0),
            carol_retired,
            erin_held,
        ]
    )
    for at in (expiry - 1, expiry):
        per_meter = sum(sum(row[i] for i in (3, 4, 8)) for row in credits[at] if row[1] == alice_meter)
        assert per_meter == 720  # c1's CO2 at validation, now spread over three owners
    # The program draws the same line: from expires_at on it refuses to move the certificate.
    certs, c1 = CertEnv(life.env), life.certificates["c1"]
    life.env.registry.set_unix_time(expiry)
    transfer = certs.transfer_ix(life.bob.pubkey(), c1, life.dave.pubkey())
    assert certs.fail([transfer], [life.bob]) == GOVERNANCE_ERRORS["CertificateExpired"]
    life.env.registry.set_unix_time(expiry - 1)
    certs.transfer(life.bob, c1, life.dave.pubkey())
    # The view counts at the database's clock: these certificates of early 2026 have all expired by now.
    assert rows[ids["e1"]].expires_at < time.time()
    assert view == sorted(
        [
            (bob, alice_meter, ZONE, 0, 0, 0, 0, 1, 400, 1_000, 0, 0, 0, 0),
            (dave, alice_meter, ZONE, 0, 0, 0, 0, 1, 120, 300, 0, 0, 0, 0),
            carol_retired,
            (erin, erin_meter, SOUTH, 0, 0, 0, 0, 1, 140, 1_400, 0, 0, 0, 0),
        ]
    )
    assert meters[alice_meter] == (1_800 + 1_200 + 600 + 450 + 350, rows[ids["c5"]].generation_end)
    assert meters[erin_meter] == (1_400, rows[ids["e1"]].generation_end)
    assert (zones[ZONE], zones[SOUTH]) == (400, 100)


async def test_proposals_votes_and_pauses(db: async_sessionmaker[AsyncSession], life: Lifecycle) -> None:
    await store_pages(db, life.txs)
    r0, r1, r2 = (key(r.pubkey()) for r in life.regulators)
    governance = str(governance_pdas(life.env.program_id).governance.address)
    p = {name: str(address) for name, address in life.proposals.items()}
    async with db() as s:
        proposals = {row.address: row for row in await s.scalars(select(Proposal))}
        votes = list(await s.scalars(select(Approval).order_by(Approval.slot)))
        pauses = list(await s.scalars(select(Pause).order_by(Pause.slot)))

    factor = proposals[p["factor"]]
    assert (factor.proposal_id, factor.proposer, factor.title, factor.status) == (
        0,
        r0,
        "Zone 7 grid mix: 400 g/kWh",
        "Executed",
    )
    assert (factor.approvals, factor.rejections, factor.threshold, factor.account_count) == (2, 1, 2, 3)
    assert factor.quorum_at is not None and factor.executed_at is not None and factor.executed_signature
    assert factor.target_program == str(life.env.registry.program_id)
    assert proposals[p["resume"]].status == proposals[p["revoke"]].status == "Executed"
    assert proposals[p["revoke_seal"]].status == "Executed"
    rejected = proposals[p["rejected"]]
    assert (
        rejected.status,
        rejected.rejections,
        rejected.closed_status,
        rejected.closed_signature is not None,
    ) == (
        "Rejected",
        2,
        "Rejected",
        True,
    )
    cancelled = proposals[p["cancelled"]]
    assert (cancelled.status, cancelled.cancelled_by, cancelled.approvals) == ("Cancelled", r2, 1)
    assert [(v.proposal, v.regulator, v.approve, v.approvals, v.rejections, v.status) for v in votes] == [
        (p["factor"], r2, False, 0, 1, "Open"),
        (p["factor"], r0, True, 1, 1, "Open"),
        (p["factor"], r1, True, 2, 1, "Open"),
        (p["resume"], r0, True, 1, 0, "Open"),
        (p["resume"], r1, True, 2, 0, "Open"),
        (p["rejected"], r0, False, 0, 1, "Open"),
        (p["rejected"], r2, False, 0, 2, "Rejected"),
        (p["cancelled"], r2, True, 1, 0, "Open"),
        (p["revoke_seal"], r0, True, 1, 0, "Open"),
        (p["revoke_seal"], r1, True, 2, 0, "Open"),
        (p["revoke"], r0, True, 1, 0, "Open"),
        (p["revoke"], r1, True, 2, 0, "Open"),
    ]
    assert len({v.signature for v in votes}) == len(votes)  # each vote its own transaction

    assert [(x.action, x.zone_id, x.flags, x.paused, x.by, x.cosigners, x.proposal) for x in pauses] == [
        ("pause", ZONE, 3, 3, r0, None, None),
        ("pause", None, 4, 4, r1, None, None),
        ("resume", ZONE, 1, 2, None, [r0, r1], None),
        ("resume", ZONE, 2, 0, governance, None, p["resume"]),
    ]
    assert all(x.timestamp is not None for x in pauses)


async def test_storing_the_same_transactions_again_changes_nothing(
    db: async_sessionmaker[AsyncSession], life: Lifecycle
) -> None:
    await store_pages(db, life.txs)
    before, rows = await snapshot(db), await counts(db)
    assert await store(db, new_store(), *life.txs) == []
    for tx in life.txs[::7]:
        assert await store(db, new_store(), tx) == []
    assert await snapshot(db) == before
    assert await counts(db) == rows


@pytest.fixture
def reference_db(tmp_path: Path) -> Iterator[str]:
    yield f"sqlite+aiosqlite:///{tmp_path / 'reference.db'}"


@pytest.mark.parametrize("order", ["reversed", "shuffled"])
async def test_the_tables_do_not_depend_on_the_order_transactions_are_stored_in(
    db: async_sessionmaker[AsyncSession], life: Lifecycle, reference_db: str, order: str
) -> None:
    """One transaction per batch, newest first or shuffled (as history gaps backfilled late and another
    program's catch-up storing a shared transaction first can make it: a split child before its parent's
    request, votes after the execution), gives the tables in-order indexing gives (compared across
    backends: the reference is SQLite)."""
    engine = create_engine(reference_db)
    try:
        await migrate(engine)
        await store_pages(sessions(engine), life.txs)
        expected = await snapshot(sessions(engine))
    finally:
        await engine.dispose()
    await store_out_of_order(db, life.txs, order)
    assert await snapshot(db) == expected
    async with db() as s:
        assert await s.scalar(text("SELECT COUNT(*) FROM certificates")) == len(life.certificates)


CLOCKLESS = {"transferred", "split", "split_from"}
"""The certificate changes whose events carry no clock (CertificateTransferred, CertificateSplit)."""


async def times(db: async_sessionmaker[AsyncSession]) -> dict[str, Any]:
    """Per table, each row's event key -> its time; certificates' status, owner, volume and CO2."""
    async with db() as s:
        changes = await s.execute(
            select(
                CertificateChange.signature,
                CertificateChange.event_index,
                CertificateChange.step,
                CertificateChange.change,
                CertificateChange.timestamp,
            )
        )
        pauses = await s.execute(select(Pause.signature, Pause.event_index, Pause.timestamp))
        certificates = await s.execute(
            select(Certificate.address, Certificate.status, Certificate.owner, Certificate.volume_wh)
        )
        blocks = await s.execute(select(Transaction.signature, Transaction.block_time))
        return {
            "certificate_events": {(sig, i, step): (change, t) for sig, i, step, change, t in changes},
            "pauses": {(sig, i): t for sig, i, t in pauses},
            "certificates": sorted(tuple(r) for r in certificates),
            "block_time": dict(tuple(r) for r in blocks),
        }


async def test_events_without_a_clock_take_the_block_time_and_a_missing_one_loses_no_row(
    db: async_sessionmaker[AsyncSession], life: Lifecycle, reference_db: str
) -> None:
    """CertificateTransferred, CertificateSplit, Paused and Resumed carry no timestamp: their rows take
    the block time. Indexed from a node that gives no block time (``blockTime`` null), the same rows
    are there, the same certificates, only those times NULL (the other events carry their own clock)."""
    engine = create_engine(reference_db)
    try:
        await migrate(engine)
        await store_pages(sessions(engine), life.txs)
        timed, timed_counts = await times(sessions(engine)), await counts(sessions(engine))
    finally:
        await engine.dispose()
    block_time = {tx.signature: tx.block_time for tx in life.txs}
    clockless = {k: v for k, v in timed["certificate_events"].items() if v[0] in CLOCKLESS}
    assert {v[0] for v in clockless.values()} == CLOCKLESS
    assert all(t == block_time[sig] is not None for (sig, *_), (_, t) in clockless.items())
    assert len(timed["pauses"]) == 4
    assert all(t == block_time[sig] is not None for (sig, _), t in timed["pauses"].items())

    await store_pages(db, [dataclasses.replace(tx, block_time=None) for tx in life.txs])
    untimed = await times(db)
    assert await counts(db) == timed_counts
    assert untimed["certificates"] == timed["certificates"]
    assert set(untimed["block_time"].values()) == {None}
    assert untimed["pauses"] == dict.fromkeys(timed["pauses"])
    assert untimed["certificate_events"] == {
        k: (change, None if change in CLOCKLESS else t)
        for k, (change, t) in timed["certificate_events"].items()
    }


async def test_the_feed_streams_certificates_proposals_and_pauses(sqlite_db: str, life: Lifecycle) -> None:
    """The governance topics get one frame per change (the certificate after it, the proposal's change,
    the pause row) of what they select; a market-wide pause goes to every ``pauses`` subscription; the
    event topics see the governance events with their certificate's zone and the wallets they name."""
    engine = create_engine(sqlite_db)
    await migrate(engine)
    events = await store_pages(sessions(engine), life.txs)
    await engine.dispose()
    coders = default_coders()
    feed = EventFeed(
        {c.idl.name: str(c.program_id) for c in coders},
        [n for c in coders for n in c.coder.events.discriminators.values()],
    )
    await feed.start("127.0.0.1", 0)
    carol = key(life.carol.pubkey())
    subscriptions = {
        "north": {"certificates": [ZONE]},
        "all": {"certificates": True},
        "first": {"proposals": 0},
        "votes": {"proposals": True},
        "south": {"pauses": [SOUTH]},
        "pauses": {"pauses": True},
        "carol": {"program": "governance", "user": carol},
        "zone8": {"zone": SOUTH, "program": "governance"},
    }
    try:
        async with connect(f"ws://127.0.0.1:{feed.port}") as socket:
            for sid, topics in subscriptions.items():
                assert (await ask(socket, {"op": "subscribe", "id": sid, "filter": topics}))[
                    "type"
                ] == "subscribed"
            for bad, message in [
                ({"proposals": "all"}, "proposals must be true or proposal ids"),
                ({"certificates": []}, "certificates must be true or zone ids"),
                ({"pauses": 7, "zone": 7}, "cannot be combined with event topics (zone)"),
            ]:
                reply = await ask(socket, {"op": "subscribe", "id": "bad", "filter": bad})
                assert reply["type"] == "error" and message in reply["message"], reply
            await feed.publish(events)
            got = await pending(socket)
    finally:
        await feed.stop()

    def frames(sid: str, kind: str) -> list[dict[str, Any]]:
        return [m[kind] for m in got if m["type"] == kind and sid in m["subscriptions"]]

    ids = {name: str(address) for name, address in life.certificates.items()}
    every = frames("all", "certificate")
    assert len(every) == len([e for e in events for _ in e.certificates]) == 19
    assert [f["address"] for f in frames("north", "certificate")] == [
        f["address"] for f in every if f["address"] != ids["e1"]
    ]
    k1 = [f for f in every if f["address"] == ids["k1"]]
    assert [
        (f["change"], f["status"], f["owner"], f["volume_wh"], f["co2_avoided_g"], f["parent"], f["zone_id"])
        for f in k1
    ] == [
        ("split_from", "Valid", carol, 500, 200, ids["c1"], ZONE),
        ("retired", "Retired", carol, 500, 200, ids["c1"], ZONE),
    ]
    first = frames("first", "proposal")
    assert [(f["change"], f["status"], f["proposal_id"]) for f in first] == [
        ("created", "Open", 0),
        ("rejected", "Open", 0),
        ("approved", "Open", 0),
        ("approved", "Open", 0),
        ("executed", "Executed", 0),
    ]
    assert {f["change"] for f in frames("votes", "proposal")} == {
        "created",
        "approved",
        "rejected",
        "executed",
        "cancelled",
        "closed",
    }
    assert [(f["action"], f["zone_id"], f["flag_names"]) for f in frames("south", "pause")] == [
        ("pause", None, ["TRADING"])
    ]
    assert [(f["action"], f["zone_id"], f["paused_names"]) for f in frames("pauses", "pause")] == [
        ("pause", ZONE, ["READINGS", "MINTING"]),
        ("pause", None, ["TRADING"]),
        ("resume", ZONE, ["MINTING"]),
        ("resume", ZONE, []),
    ]
    named = [m["event"]["name"] for m in got if m["type"] == "event" and "carol" in m["subscriptions"]]
    assert named == ["CertificateSplit", "CertificateRetired"]
    south = [m["event"]["name"] for m in got if m["type"] == "event" and "zone8" in m["subscriptions"]]
    assert south == ["CertificateRequested", "CertificateValidated"]


def test_solgrid_indexer_carbon_sums_credits_per_owner_meter_or_zone(sqlite_db: str, life: Lifecycle) -> None:
    async def index() -> int:
        engine = create_engine(sqlite_db)
        await migrate(engine)
        await store_pages(sessions(engine), life.txs)
        async with sessions(engine)() as s:
            expiry = await s.scalar(
                select(Certificate.expires_at).where(Certificate.address == str(life.certificates["c1"]))
            )
        await engine.dispose()
        assert expiry is not None
        return int(expiry)

    expiry = asyncio.run(index())  # c1's and its split k2's; e1 expires later
    bob, carol, dave, erin = (key(w.pubkey()) for w in (life.bob, life.carol, life.dave, life.erin.wallet))

    def carbon(*options: str) -> Any:
        result = CliRunner().invoke(indexer, ["carbon", "--db", sqlite_db, *options])
        assert result.exit_code == 0, result.output
        return json.loads(result.output) if "--json" in options else result.output

    def zone(
        zone_id: int, held: tuple[int, int], retired: tuple[int, int], lapsed: tuple[int, int], n: int
    ) -> Any:
        return {
            "zone": zone_id,
            "held_co2_g": held[0],
            "retired_co2_g": retired[0],
            "held_wh": held[1],
            "retired_wh": retired[1],
            "certificates": n,
            "lapsed_co2_g": lapsed[0],
            "lapsed_wh": lapsed[1],
            "void_co2_g": 0,
            "void_wh": 0,
            "retired_revoked_co2_g": 0,
            "retired_revoked_wh": 0,
        }

    before = str(expiry - 1)
    assert carbon("--by", "zone", "--json", "--at", before) == [
        zone(ZONE, (520, 1_300), (200, 500), (0, 0), 3),
        zone(SOUTH, (140, 1_400), (0, 0), (0, 0), 1),
    ]
    at_expiry = datetime.fromtimestamp(expiry, UTC).isoformat()  # an ISO 8601 time, the same second
    assert carbon("--by", "zone", "--json", "--at", at_expiry) == [
        zone(ZONE, (0, 0), (200, 500), (520, 1_300), 3),
        zone(SOUTH, (140, 1_400), (0, 0), (0, 0), 1),
    ]
    assert carbon("--by", "zone", "--json") == [  # now: long after every one of them expired
        zone(ZONE, (0, 0), (200, 500), (520, 1_300), 3),
        zone(SOUTH, (0, 0), (0, 0), (140, 1_400), 1),
    ]
    assert carbon("--by", "meter", "--meter", key(life.alice.meter), "--json", "--at", before) == [
        {
            "meter": key(life.alice.meter),
            "held_co2_g": 520,
            "retired_co2_g": 200,
            "held_wh": 1_300,
            "retired_wh": 500,
            "certificates": 3,
            "lapsed_co2_g": 0,
            "lapsed_wh": 0,
            "void_co2_g": 0,
            "void_wh": 0,
            "retired_revoked_co2_g": 0,
            "retired_revoked_wh": 0,
        }
    ]
    per_owner = {
        row["owner"]: (row["held_co2_g"], row["retired_co2_g"], row["lapsed_co2_g"])
        for row in carbon("--json", "--at", before)
    }
    assert per_owner == {bob: (400, 0, 0), dave: (120, 0, 0), carol: (0, 200, 0), erin: (140, 0, 0)}
    assert carbon("--owner", carol, "--zone", str(ZONE)) == (
        f"owner {carol}: 0.000 kg CO2 held (0.000 kWh), 0.200 kg retired (0.500 kWh), 1 certificate(s)\n"
    )
    assert carbon("--owner", bob) == (
        f"owner {bob}: 0.000 kg CO2 held (0.000 kWh), 0.000 kg retired (0.000 kWh), 1 certificate(s); "
        "0.400 kg (1.000 kWh) past expiry, not held (not yet marked Expired)\n"
    )
    assert carbon("--owner", key(life.alice.wallet.pubkey())) == "no carbon credits\n"
    result = CliRunner().invoke(indexer, ["carbon", "--db", sqlite_db, "--at", "yesterday"])
    assert result.exit_code == 2 and "neither a Unix time nor an ISO 8601 date" in result.output


def test_changes_in_one_slot_fold_in_the_certificates_state_machine_order() -> None:
    """Transactions of one slot may be stored in any order (by two programs' catch-ups): a certificate's
    changes within a slot are folded request, validation, transfer, final change, whatever their ids."""
    request = {"meter": "M", "owner": "alice", "zone_id": 7, "source": "Solar", "generation_start": 0}
    request |= {"generation_end": 900, "volume_wh": 1_000, "requested_at": 900}
    validation = {"issuer": "r0", "volume_wh": 1_000, "emission_factor": 400, "co2_avoided_g": 400}
    validation |= {"issued_at": 900, "expires_at": 1_900}
    retirement = {"owner": "bob", "retirement": {"retired_at": 901}}
    history = [
        SimpleNamespace(id=1, change="retired", data=retirement),
        SimpleNamespace(id=2, change="transferred", data={"from": "alice", "to": "bob"}),
        SimpleNamespace(id=3, change="validated", data=validation),
        SimpleNamespace(id=4, change="requested", data=request),
    ]
    rows = [
        SimpleNamespace(
            **vars(h),
            related=None,
            signature="S",
            slot=5,
            timestamp=900,
            status="",
            owner=None,
            volume_wh=0,
            co2_avoided_g=0,
        )
        for h in history
    ]
    row, afters = fold("C", rows, None)
    assert (row["status"], row["owner"], row["volume_wh"], row["co2_avoided_g"], row["issuer"]) == (
        "Retired",
        "bob",
        1_000,
        400,
        "r0",
    )
    after = {a["b_id"]: (a["b_status"], a["b_owner"]) for a in afters}
    assert after == {
        4: ("Pending", "alice"),
        3: ("Valid", "alice"),
        2: ("Valid", "bob"),
        1: ("Retired", "bob"),
    }
