"""Carbon credits: what the certificates' CO2 and volume count as at a given time (held, lapsed, void,
retired, retired from a revoked lineage), per owner, meter and zone — the ``carbon_credits`` view's
rows at any clock (:func:`credit_rows`) and their sums (:func:`carbon_totals`).

Pure queries over the ``certificates`` table (models only), so that readers of the database (``solgrid
indexer credits``, the API) share them without the indexer's write path; :mod:`solgrid.indexer.certificates`
writes the rows they read.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import ColumnElement, Select, and_, case, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from solgrid.indexer.models import Certificate, table_of


def original_revoked(original: ColumnElement[Any]) -> ColumnElement[bool]:
    """Whether the certificate whose address is ``original`` (a column of the outer query) is indexed and
    its lineage was revoked (:func:`solgrid.indexer.certificates.lineage_revoked`, in SQL: Revoked, or
    its ``revoke_reason`` set)."""
    o = table_of(Certificate).alias("o")
    return (
        select(o.c.address)
        .where(o.c.address == original, or_(o.c.status == "Revoked", o.c.revoke_reason.is_not(None)))
        .exists()
    )


CREDIT_KEYS = ("owner", "meter", "zone")
"""What carbon credits can be summed by."""
CREDIT_SUMS = (
    "held_co2_g",
    "retired_co2_g",
    "held_wh",
    "retired_wh",
    "certificates",
    "lapsed_co2_g",
    "lapsed_wh",
    "void_co2_g",
    "void_wh",
    "retired_revoked_co2_g",
    "retired_revoked_wh",
)


def credit_of(at: int) -> ColumnElement[str]:
    """What a Valid or Retired certificate's CO2 and volume count as at Unix time ``at``:
    ``retired_revoked`` for a Retired one whose lineage a quorum revoked (fraud) after it was retired: its
    original's (itself, for a requested one: :func:`original_revoked`; or its own ``revoke_reason``, set
    only on an original, when its request is not indexed) — the retirement stays final on chain, but it
    is no clean proof; else ``retired``; ``void`` for a Valid one split off an original that was revoked
    (``effective_status`` Revoked: the program refuses to transfer, split or retire it), whatever its
    expiry; ``lapsed`` for a Valid one at
    or past its expiry (the program refuses to transfer, split or retire it from ``expires_at`` on, and
    anyone may mark it Expired); else ``held`` (an unknown expiry included: its validation is not
    indexed)."""
    c = Certificate
    revoked_lineage = or_(c.revoke_reason.is_not(None), original_revoked(table_of(c).c.original))
    return case(
        (and_(c.status == "Retired", revoked_lineage), "retired_revoked"),
        (c.status == "Retired", "retired"),
        (c.effective_status == "Revoked", "void"),
        (and_(c.expires_at.is_not(None), c.expires_at <= at), "lapsed"),
        else_="held",
    )


def credit_rows(at: int) -> Select[Any]:
    """The ``carbon_credits`` view's rows as they are at Unix time ``at`` (the view itself uses the
    database's clock): per owner, meter and zone, the columns of :data:`CREDIT_SUMS`."""
    credits = (
        select(
            Certificate.owner,
            Certificate.meter,
            Certificate.zone_id,
            Certificate.volume_wh,
            Certificate.co2_avoided_g,
            credit_of(at).label("credit"),
        )
        .where(Certificate.status.in_(("Valid", "Retired")))
        .subquery("credits")
    )

    def total(credit: str, column: str) -> ColumnElement[Any]:
        return func.sum(case((credits.c.credit == credit, credits.c[column]), else_=0))

    return select(
        credits.c.owner,
        credits.c.meter,
        credits.c.zone_id,
        total("held", "co2_avoided_g").label("held_co2_g"),
        total("retired", "co2_avoided_g").label("retired_co2_g"),
        total("held", "volume_wh").label("held_wh"),
        total("retired", "volume_wh").label("retired_wh"),
        func.count().label("certificates"),
        total("lapsed", "co2_avoided_g").label("lapsed_co2_g"),
        total("lapsed", "volume_wh").label("lapsed_wh"),
        total("void", "co2_avoided_g").label("void_co2_g"),
        total("void", "volume_wh").label("void_wh"),
        total("retired_revoked", "co2_avoided_g").label("retired_revoked_co2_g"),
        total("retired_revoked", "volume_wh").label("retired_revoked_wh"),
    ).group_by(credits.c.owner, credits.c.meter, credits.c.zone_id)


async def carbon_totals(
    session: AsyncSession,
    by: str,
    *,
    at: int,
    owner: str | None = None,
    meter: str | None = None,
    zone: int | None = None,
) -> list[dict[str, Any]]:
    """Carbon credits at Unix time ``at`` (:func:`credit_rows`) summed per ``by`` (owner, meter or
    zone), of the given owner, meter and zone only; ordered by ``by``."""
    rows = credit_rows(at).subquery("carbon_credits")
    key = rows.c["zone_id" if by == "zone" else by]
    query = select(key, *(func.sum(rows.c[name]) for name in CREDIT_SUMS)).group_by(key).order_by(key)
    for column, value in ((rows.c.owner, owner), (rows.c.meter, meter), (rows.c.zone_id, zone)):
        if value is not None:
            query = query.where(column == value)
    found = await session.execute(query)
    return [
        {
            by: None if row[0] is None else (int(row[0]) if by == "zone" else str(row[0])),
            **{name: int(value or 0) for name, value in zip(CREDIT_SUMS, row[1:], strict=True)},
        }
        for row in found
    ]
