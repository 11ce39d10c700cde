"""A requested certificate retired before a quorum revoked it (its lineage), indexed from the programs'
real transactions (LiteSVM): on chain it stays Retired with ``lineage_revoked`` set and the certificates
split from it are refused (``OriginalRevoked``). The indexer keeps it Retired (its retirement stays in
``retirements``; in its owner's credits as ``retired_revoked``, not clean proof) with the revocation's
reason, and its split parts are Revoked in effect and void in ``carbon_credits``, whatever order the
transactions are stored in. SQLite and PostgreSQL."""

from __future__ import annotations

from typing import Any

import pytest
from governance_world import Revoked, split_lineage
from indexer_support import certificate_frames, certificate_rows, store_out_of_order, store_pages
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from solgrid.indexer.credits import credit_rows
from solgrid.indexer.models import Certificate, CertificateChange, Retirement, carbon_credits
from solgrid.sdk.idl import load_idl_json

ZONE = 7
ERRORS = {e["name"]: e["code"] for e in load_idl_json("governance")["errors"]}
REASON = "meter seal broken"


@pytest.fixture(scope="module")
def world(governance_elves: dict[str, bytes]) -> Revoked:
    """c1 (1,800 Wh, 720 g): k1 (500 Wh) split off to carol, who splits k11 (200 Wh) off to dave; alice
    retires what c1 keeps (1,300 Wh, 520 g); then a proposal revokes c1: it stays Retired, k1 and k11
    move no more."""
    lineage = split_lineage(governance_elves)
    certs, ids, carol = lineage.certs, lineage.ids, lineage.carol
    certs.retire(lineage.alice.wallet, ids["c1"])  # 1,300 Wh, 520 g
    certs.revoke_through_proposal(ids["c1"], reason=REASON)

    original = certs.certificate(ids["c1"])
    assert (type(original.status).__name__, original.lineage_revoked) == ("Retired", 1)
    assert certs.fail([certs.retire_ix(carol.pubkey(), ids["k1"])], [carol]) == ERRORS["OriginalRevoked"]
    txs = list(lineage.recorder.sent)
    owner = {"c1": lineage.alice.wallet, "k1": carol, "k11": lineage.dave}
    return Revoked(txs, ids, {name: str(w.pubkey()) for name, w in owner.items()}, original.expires_at)


async def certificates(db: async_sessionmaker[AsyncSession]) -> dict[str, tuple[Any, ...]]:
    return await certificate_rows(
        db,
        Certificate.status,
        Certificate.effective_status,
        Certificate.owner,
        Certificate.volume_wh,
        Certificate.co2_avoided_g,
        Certificate.revoke_reason,
    )


def expected(w: Revoked) -> dict[str, tuple[Any, ...]]:
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
    db: async_sessionmaker[AsyncSession], world: Revoked
) -> None:
    stored = await store_pages(db, world.txs)
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
    assert certificate_frames(revocation) == [
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
    db: async_sessionmaker[AsyncSession], world: Revoked, order: str
) -> None:
    await store_out_of_order(db, world.txs, order)
    assert await certificates(db) == expected(world)
