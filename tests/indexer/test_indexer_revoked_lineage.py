"""A requested certificate retired before a quorum revoked it (its lineage), indexed from the programs'
real transactions (LiteSVM): on chain it stays Retired with ``lineage_revoked`` set and the certificates
split from it are refused (``OriginalRevoked``). The indexer keeps it Retired (its retirement stays in
``retirements``; in its owner's credits as ``retired_revoked``, not clean proof) with the revocation's
reason, and its split parts are Revoked in effect and void in ``carbon_credits``, whatever order the
transactions are stored in. SQLite and PostgreSQL."""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from governance_world import DAY, CertEnv, Params, governance_world
from indexer_support import store
from solders.keypair import Keypair
from solders.pubkey import Pubkey
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from solgrid.indexer.certificates import credit_rows
from solgrid.indexer.decode import EventDecoder
from solgrid.indexer.models import Certificate, CertificateChange, Retirement, carbon_credits
from solgrid.indexer.service import default_coders
from solgrid.indexer.store import FetchedTransaction, Store, StoredEvent
from solgrid.sdk.idl import load_idl_json

ZONE = 7
ERRORS = {e["name"]: e["code"] for e in load_idl_json("governance")["errors"]}
REASON = "meter seal broken"


@pytest.fixture(scope="module")
def governance_elves(elf_of: Callable[[str], bytes]) -> dict[str, bytes]:
    return {name: elf_of(name) for name in ("registry", "energy_token", "trading", "governance")}


@dataclass
class Lineage:
    txs: list[FetchedTransaction]
    ids: dict[str, Pubkey]
    owners: dict[str, str]
    expiry: int


@pytest.fixture(scope="module")
def world(governance_elves: dict[str, bytes]) -> Lineage:
    """c1 (1,800 Wh, 720 g): k1 (500 Wh) split off to carol, who splits k11 (200 Wh) off to dave; alice
    retires what c1 keeps (1,300 Wh, 520 g); then a proposal revokes c1: it stays Retired, k1 and k11
    move no more."""
    env, recorder = governance_world(governance_elves, Params(certificate_validity_secs=30 * DAY))
    reg, c = env.registry, env.registry.client
    quorum = reg.quorum()
    env.send(
        [c.set_emission_factor(zone_id=ZONE, g_per_kwh=400, cosigners=[q.pubkey() for q in quorum])], quorum
    )
    env.set_governance()
    certs = CertEnv(env)
    alice = certs.prosumer()
    carol, dave = certs.wallet(), Keypair()
    ids: dict[str, Pubkey] = {}
    certs.produce(alice, 3, 600)
    ids["c1"] = certs.request(alice)
    certs.validate(ids["c1"])  # 720 g
    ids["k1"] = certs.split(alice.wallet, ids["c1"], 500, carol.pubkey())  # 200 g
    ids["k11"] = certs.split(carol, ids["k1"], 200, dave.pubkey())  # 80 g; k1 keeps 300 Wh, 120 g
    certs.retire(alice.wallet, ids["c1"])  # 1,300 Wh, 520 g
    certs.revoke_through_proposal(ids["c1"], reason=REASON)

    original = certs.certificate(ids["c1"])
    assert (type(original.status).__name__, original.lineage_revoked) == ("Retired", 1)
    assert certs.fail([certs.retire_ix(carol.pubkey(), ids["k1"])], [carol]) == ERRORS["OriginalRevoked"]
    txs = list(recorder.sent)
    owner = {"c1": alice.wallet, "k1": carol, "k11": dave}
    return Lineage(txs, ids, {name: str(w.pubkey()) for name, w in owner.items()}, original.expires_at)


async def certificates(db: async_sessionmaker[AsyncSession]) -> dict[str, tuple[Any, ...]]:
    async with db() as s:
        rows = await s.execute(
            select(
                Certificate.address,
                Certificate.status,
                Certificate.effective_status,
                Certificate.owner,
                Certificate.volume_wh,
                Certificate.co2_avoided_g,
                Certificate.revoke_reason,
            )
        )
        return {row[0]: tuple(row[1:]) for row in rows}


def expected(w: Lineage) -> dict[str, tuple[Any, ...]]:
    rows = {
        "c1": ("Retired", "Retired", 1_300, 520, REASON),
        "k1": ("Valid", "Revoked", 300, 120, None),
        "k11": ("Valid", "Revoked", 200, 80, None),
    }
    return {
        str(w.ids[name]): (status, effective, w.owners[name], wh, g, reason)
        for name, (status, effective, wh, g, reason) in rows.items()
    }


async def test_a_retired_originals_lineage_revoked_keeps_its_retirement_and_voids_its_parts(
    db: async_sessionmaker[AsyncSession], world: Lineage
) -> None:
    indexer_store = Store(EventDecoder(default_coders()))
    stored: list[StoredEvent] = []
    for start in range(0, len(world.txs), 10):
        stored += await store(db, indexer_store, *world.txs[start : start + 10])
    assert await certificates(db) == expected(world)
    c1 = str(world.ids["c1"])

    async with db() as s:
        retirements = [
            (r.certificate, r.volume_wh, r.co2_avoided_g) for r in await s.scalars(select(Retirement))
        ]
        history = [
            (c.change, c.status)
            for c in await s.scalars(
                select(CertificateChange)
                .where(CertificateChange.certificate == c1)
                .order_by(CertificateChange.id)
            )
        ]
        meter = await s.scalar(select(Certificate.meter).where(Certificate.address == c1))
        credits = sorted(
            tuple(int(v) if isinstance(v, int) else v for v in r)
            for r in await s.execute(credit_rows(world.expiry - 1))
        )
        view = sorted(tuple(r) for r in await s.execute(select(carbon_credits)))  # the database's clock
    assert retirements == [(c1, 1_300, 520)]
    assert history == [
        ("requested", "Pending"),
        ("validated", "Valid"),
        ("split", "Valid"),
        ("retired", "Retired"),
        ("revoked", "Retired"),
    ]

    [revocation] = [e for e in stored if e.name == "CertificateRevoked"]
    assert (revocation.data["previous_status"], revocation.data["status"]) == ("Retired", "Retired")
    frames = [
        (f["address"], f["change"], f["status"], f["effective_status"], f["related"])
        for f in revocation.certificates
    ]
    assert frames == [
        (c1, "revoked", "Retired", "Retired", None),
        *sorted((str(world.ids[k]), "original_revoked", "Valid", "Revoked", c1) for k in ("k1", "k11")),
    ]

    alice, carol, dave = (world.owners[n] for n in ("c1", "k1", "k11"))
    assert credits == sorted(
        [
            (alice, meter, ZONE, 0, 0, 0, 0, 1, 0, 0, 0, 0, 520, 1_300),  # retired, from a revoked lineage
            (carol, meter, ZONE, 0, 0, 0, 0, 1, 0, 0, 120, 300, 0, 0),  # void, not held
            (dave, meter, ZONE, 0, 0, 0, 0, 1, 0, 0, 80, 200, 0, 0),
        ]
    )
    assert view == credits  # long after the expiry: void and retired do not lapse


@pytest.mark.parametrize("order", ["reversed", "shuffled"])
async def test_the_lineage_is_revoked_whatever_the_order_transactions_are_stored_in(
    db: async_sessionmaker[AsyncSession], world: Lineage, order: str
) -> None:
    txs = list(reversed(world.txs))
    if order == "shuffled":
        random.Random(14).shuffle(txs)
    indexer_store = Store(EventDecoder(default_coders()))
    for tx in txs:
        await store(db, indexer_store, tx)
    assert await certificates(db) == expected(world)
