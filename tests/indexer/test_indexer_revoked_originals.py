"""Certificates split off an original that a proposal revoked, indexed from the programs' real
transactions (LiteSVM): their stored status stays Valid, as on chain, but the program refuses to move
or retire them, so the indexer's ``effective_status`` is Revoked, ``carbon_credits`` / ``credit_rows``
count them as void (not held), and the feed's ``certificates`` stream says so when the original is
revoked; one retired before the revocation stays Retired but counts as ``retired_revoked``, not
``retired``. SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import pytest
from click.testing import CliRunner
from governance_world import Revoked, split_lineage
from indexer_support import certificate_frames, certificate_rows, store, store_out_of_order, store_pages
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from solgrid.cli.indexer_cmd import indexer
from solgrid.indexer.credits import credit_rows
from solgrid.indexer.db import create_engine, migrate, sessions
from solgrid.indexer.decode import EventDecoder
from solgrid.indexer.models import Certificate, CertificateChange, carbon_credits
from solgrid.indexer.service import default_coders
from solgrid.indexer.store import Store
from solgrid.sdk.idl import load_idl_json

ZONE = 7
ERRORS = {e["name"]: e["code"] for e in load_idl_json("governance")["errors"]}


@pytest.fixture(scope="module")
def world(governance_elves: dict[str, bytes]) -> Revoked:
    """c1 (1,800 Wh, 720 g) split three times (k1 to carol, who splits k11 off it to dave; k2 to bob,
    who retires it), then revoked by an executed proposal; c2 of the same meter split once (k3), not
    revoked. After the revocation the program refuses to transfer, split or retire k1 and k11."""
    lineage = split_lineage(governance_elves)
    certs, ids, env = lineage.certs, lineage.ids, lineage.env
    alice, carol, dave, bob = lineage.alice, lineage.carol, lineage.dave, lineage.certs.wallet()
    ids["k2"] = certs.split(alice.wallet, ids["c1"], 300, bob.pubkey())  # 120 g; c1 keeps 1,000 Wh, 400 g
    certs.retire(bob, ids["k2"])
    env.warp(60)
    certs.produce(alice, 2, 600)
    ids["c2"] = certs.request(alice)
    certs.validate(ids["c2"])  # 1,200 Wh, 480 g
    ids["k3"] = certs.split(alice.wallet, ids["c2"], 400, carol.pubkey())  # 160 g
    certs.revoke_through_proposal(ids["c1"], reason="meter seal broken")

    # The program: a part of the revoked original moves no more, one of another original still does.
    assert (
        certs.fail([certs.transfer_ix(carol.pubkey(), ids["k1"], bob.pubkey())], [carol])
        == (ERRORS["OriginalRevoked"])
    )
    assert certs.fail([certs.retire_ix(dave.pubkey(), ids["k11"])], [dave]) == ERRORS["OriginalRevoked"]
    stored = {type(certs.certificate(ids[k]).status).__name__ for k in ("k1", "k11")}
    assert stored == {"Valid"}  # as stored on chain
    txs = list(lineage.recorder.sent)
    owner = {"c1": alice.wallet, "k1": carol, "k11": dave, "k2": bob, "c2": alice.wallet, "k3": carol}
    expiry = certs.certificate(ids["c1"]).expires_at
    return Revoked(txs, ids, {name: str(w.pubkey()) for name, w in owner.items()}, expiry)


async def certificates(db: async_sessionmaker[AsyncSession]) -> dict[str, tuple[Any, ...]]:
    return await certificate_rows(
        db,
        Certificate.status,
        Certificate.effective_status,
        Certificate.owner,
        Certificate.volume_wh,
        Certificate.co2_avoided_g,
    )


EFFECTIVE = {
    "c1": ("Revoked", "Revoked", 1_000, 400),
    "k1": ("Valid", "Revoked", 300, 120),
    "k11": ("Valid", "Revoked", 200, 80),
    "k2": ("Retired", "Retired", 300, 120),
    "c2": ("Valid", "Valid", 800, 320),
    "k3": ("Valid", "Valid", 400, 160),
}
"""Stored status, effective status, volume, CO2 of each certificate after the revocation."""


def expected(w: Revoked) -> dict[str, tuple[Any, ...]]:
    return {
        str(w.ids[name]): (status, effective, w.owners[name], wh, g)
        for name, (status, effective, wh, g) in EFFECTIVE.items()
    }


async def test_split_parts_of_a_revoked_original_are_revoked_in_effect_and_void_in_carbon_credits(
    db: async_sessionmaker[AsyncSession], world: Revoked
) -> None:
    stored = await store_pages(db, world.txs)
    assert await certificates(db) == expected(world)

    # The history records what happened on chain only: nothing happened to k1 or k11 at the revocation.
    async with db() as s:
        changes = list(await s.scalars(select(CertificateChange).order_by(CertificateChange.id)))
    parts = {str(world.ids["k1"]), str(world.ids["k11"])}
    assert [c.change for c in changes if c.certificate in parts] == ["split_from", "split", "split_from"]
    assert all(c.status == "Valid" for c in changes if c.certificate in parts)

    # The feed: the revocation's event carries the revoked certificate and an original_revoked frame per
    # Valid part of it (not the retired k2), in the zone; their owners match the event's user topic.
    revocation = [e for e in stored if e.name == "CertificateRevoked"]
    assert len(revocation) == 1
    c1 = str(world.ids["c1"])
    assert certificate_frames(revocation[0]) == [
        (c1, "revoked", "Revoked", "Revoked", None),
        *sorted((str(world.ids[k]), "original_revoked", "Valid", "Revoked", c1) for k in ("k1", "k11")),
    ]
    assert all(f["zone_id"] == ZONE and f["proposal"] is not None for f in revocation[0].certificates)
    assert {world.owners["k1"], world.owners["k11"]} <= revocation[0].users
    assert world.owners["k2"] not in revocation[0].users
    split_frames = [f for e in stored if e.name == "CertificateSplit" for f in e.certificates]
    assert all(f["effective_status"] == "Valid" for f in split_frames)  # before the revocation

    # Carbon credits: before the common expiry of c1's parts, k1 and k11 are void (not held), the
    # retired k2 is retired from a revoked lineage (not clean proof), c2 and k3 are held; at it, void
    # stays void (void before lapsed) and the held ones lapse. The view (the database's clock: long
    # after) agrees with credit_rows now.
    alice, carol, dave, bob = (world.owners[n] for n in ("c1", "k1", "k11", "k2"))
    async with db() as s:
        meter = await s.scalar(select(Certificate.meter).where(Certificate.address == c1))
        credits = {
            at: sorted(
                tuple(int(v) if isinstance(v, int) else v for v in r)
                for r in await s.execute(credit_rows(at))
            )
            for at in (world.expiry - 1, world.expiry)
        }
        view = sorted(tuple(r) for r in await s.execute(select(carbon_credits)))
    # bob retired k2 before c1 was revoked: still Retired, but retired from a revoked lineage, apart.
    assert credits[world.expiry - 1] == sorted(
        [
            (alice, meter, ZONE, 320, 0, 800, 0, 1, 0, 0, 0, 0, 0, 0),
            (bob, meter, ZONE, 0, 0, 0, 0, 1, 0, 0, 0, 0, 120, 300),
            (carol, meter, ZONE, 160, 0, 400, 0, 2, 0, 0, 120, 300, 0, 0),
            (dave, meter, ZONE, 0, 0, 0, 0, 1, 0, 0, 80, 200, 0, 0),
        ]
    )
    assert credits[world.expiry] == sorted(
        [
            (alice, meter, ZONE, 320, 0, 800, 0, 1, 0, 0, 0, 0, 0, 0),  # c2 was validated a minute later
            (bob, meter, ZONE, 0, 0, 0, 0, 1, 0, 0, 0, 0, 120, 300),
            (carol, meter, ZONE, 160, 0, 400, 0, 2, 0, 0, 120, 300, 0, 0),
            (dave, meter, ZONE, 0, 0, 0, 0, 1, 0, 0, 80, 200, 0, 0),
        ]
    )
    assert view == sorted(
        [
            (alice, meter, ZONE, 0, 0, 0, 0, 1, 320, 800, 0, 0, 0, 0),
            (bob, meter, ZONE, 0, 0, 0, 0, 1, 0, 0, 0, 0, 120, 300),
            (carol, meter, ZONE, 0, 0, 0, 0, 2, 160, 400, 120, 300, 0, 0),
            (dave, meter, ZONE, 0, 0, 0, 0, 1, 0, 0, 80, 200, 0, 0),
        ]
    )


@pytest.mark.parametrize("order", ["reversed", "shuffled"])
async def test_the_effective_status_does_not_depend_on_the_order_transactions_are_stored_in(
    db: async_sessionmaker[AsyncSession], world: Revoked, order: str
) -> None:
    """One transaction per batch, newest first or shuffled (a revocation indexed before the splits of
    the certificate it revoked, as a history gap backfilled late can make it): the same rows."""
    await store_out_of_order(db, world.txs, order)
    assert await certificates(db) == expected(world)


def test_solgrid_indexer_carbon_shows_void_and_retired_revoked_credits(
    sqlite_db: str, world: Revoked
) -> None:
    async def index() -> None:
        engine = create_engine(sqlite_db)
        await migrate(engine)
        indexer_store = Store(EventDecoder(default_coders()))
        await store(sessions(engine), indexer_store, *world.txs)
        await engine.dispose()

    asyncio.run(index())
    carol = world.owners["k1"]

    def carbon(*options: str) -> Any:
        result = CliRunner().invoke(indexer, ["carbon", "--db", sqlite_db, *options])
        assert result.exit_code == 0, result.output
        return json.loads(result.output) if "--json" in options else result.output

    at = str(world.expiry - 1)
    assert carbon("--owner", carol, "--at", at) == (
        f"owner {carol}: 0.160 kg CO2 held (0.400 kWh), 0.000 kg retired (0.000 kWh), 2 certificate(s); "
        "0.120 kg (0.300 kWh) void, not held (split off a revoked certificate)\n"
    )
    bob = world.owners["k2"]
    assert carbon("--owner", bob, "--at", at) == (
        f"owner {bob}: 0.000 kg CO2 held (0.000 kWh), 0.000 kg retired (0.000 kWh), 1 certificate(s); "
        "0.120 kg (0.300 kWh) retired from a revoked lineage, not counted as retired (its original was "
        "revoked for fraud)\n"
    )
    assert carbon("--by", "zone", "--json", "--at", at) == [
        {
            "zone": ZONE,
            "held_co2_g": 480,
            "retired_co2_g": 0,
            "held_wh": 1_200,
            "retired_wh": 0,
            "certificates": 5,
            "lapsed_co2_g": 0,
            "lapsed_wh": 0,
            "void_co2_g": 200,
            "void_wh": 500,
            "retired_revoked_co2_g": 120,
            "retired_revoked_wh": 300,
        }
    ]
