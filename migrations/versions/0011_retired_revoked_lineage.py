"""A retirement from a lineage revoked afterwards is not clean proof: the ``carbon_credits`` view's
``retired_revoked_co2_g`` / ``retired_revoked_wh``.

A quorum can revoke a requested certificate (its lineage: fraud) after it, or a certificate split from
it, was retired. Retirement is final on chain: the retired certificate stays Retired, its retirement
stays in ``retirements``. 0010's view still counted its CO2 and volume as ``retired``, as if it were
clean proof. The view now counts a Retired certificate whose lineage was revoked apart, as
``retired_revoked`` (new columns, appended): its original (``original``; itself for a requested one) is
Revoked or has a ``revoke_reason`` (a revocation set it on a Retired or Expired original, which keeps
its status), or it has a ``revoke_reason`` itself (only an original's is set once Retired: its request
may not be indexed). The other buckets are 0010's; ``certificates`` still counts the group's Valid and
Retired ones.

``effective_status`` is filled again with the indexer's rule: 0010 filled it from an original's status
only, so a Valid part of a Retired or Expired original whose lineage was revoked (its ``revoke_reason``
set) indexed before 0010 stayed Valid; the indexer's ``effective_statuses`` also reads the reason.

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-06 21:10:00.000000
"""

from __future__ import annotations

from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None

NOW = {
    "sqlite": "CAST(strftime('%s', 'now') AS INTEGER)",
    "postgresql": "CAST(FLOOR(EXTRACT(EPOCH FROM CURRENT_TIMESTAMP)) AS BIGINT)",
}
"""The database's clock in whole Unix seconds, per dialect (0008's)."""

EFFECTIVE_STATUS = """
UPDATE certificates SET effective_status = CASE
    WHEN status = 'Valid' AND original IS NOT NULL AND original <> address AND EXISTS (
        SELECT 1 FROM certificates AS o
        WHERE o.address = certificates.original AND (o.status = 'Revoked' OR o.revoke_reason IS NOT NULL)
    ) THEN 'Revoked'
    ELSE status END
"""

CARBON_CREDITS = """
CREATE VIEW carbon_credits AS
SELECT owner,
       meter,
       zone_id,
       SUM(CASE WHEN credit = 'held' THEN co2_avoided_g ELSE 0 END) AS held_co2_g,
       SUM(CASE WHEN credit = 'retired' THEN co2_avoided_g ELSE 0 END) AS retired_co2_g,
       SUM(CASE WHEN credit = 'held' THEN volume_wh ELSE 0 END) AS held_wh,
       SUM(CASE WHEN credit = 'retired' THEN volume_wh ELSE 0 END) AS retired_wh,
       COUNT(*) AS certificates,
       SUM(CASE WHEN credit = 'lapsed' THEN co2_avoided_g ELSE 0 END) AS lapsed_co2_g,
       SUM(CASE WHEN credit = 'lapsed' THEN volume_wh ELSE 0 END) AS lapsed_wh,
       SUM(CASE WHEN credit = 'void' THEN co2_avoided_g ELSE 0 END) AS void_co2_g,
       SUM(CASE WHEN credit = 'void' THEN volume_wh ELSE 0 END) AS void_wh,
       SUM(CASE WHEN credit = 'retired_revoked' THEN co2_avoided_g ELSE 0 END) AS retired_revoked_co2_g,
       SUM(CASE WHEN credit = 'retired_revoked' THEN volume_wh ELSE 0 END) AS retired_revoked_wh
FROM (
    SELECT c.owner,
           c.meter,
           c.zone_id,
           c.volume_wh,
           c.co2_avoided_g,
           CASE WHEN c.status = 'Retired' AND (c.revoke_reason IS NOT NULL OR EXISTS (
                    SELECT 1 FROM certificates AS o
                    WHERE o.address = c.original AND (o.status = 'Revoked' OR o.revoke_reason IS NOT NULL)
                )) THEN 'retired_revoked'
                WHEN c.status = 'Retired' THEN 'retired'
                WHEN c.effective_status = 'Revoked' THEN 'void'
                WHEN c.expires_at IS NOT NULL AND c.expires_at <= {now} THEN 'lapsed'
                ELSE 'held' END AS credit
    FROM certificates AS c
    WHERE c.status IN ('Valid', 'Retired')
) AS credits
GROUP BY owner, meter, zone_id
"""

CARBON_CREDITS_0010 = """
CREATE VIEW carbon_credits AS
SELECT owner,
       meter,
       zone_id,
       SUM(CASE WHEN credit = 'held' THEN co2_avoided_g ELSE 0 END) AS held_co2_g,
       SUM(CASE WHEN credit = 'retired' THEN co2_avoided_g ELSE 0 END) AS retired_co2_g,
       SUM(CASE WHEN credit = 'held' THEN volume_wh ELSE 0 END) AS held_wh,
       SUM(CASE WHEN credit = 'retired' THEN volume_wh ELSE 0 END) AS retired_wh,
       COUNT(*) AS certificates,
       SUM(CASE WHEN credit = 'lapsed' THEN co2_avoided_g ELSE 0 END) AS lapsed_co2_g,
       SUM(CASE WHEN credit = 'lapsed' THEN volume_wh ELSE 0 END) AS lapsed_wh,
       SUM(CASE WHEN credit = 'void' THEN co2_avoided_g ELSE 0 END) AS void_co2_g,
       SUM(CASE WHEN credit = 'void' THEN volume_wh ELSE 0 END) AS void_wh
FROM (
    SELECT owner,
           meter,
           zone_id,
           volume_wh,
           co2_avoided_g,
           CASE WHEN status = 'Retired' THEN 'retired'
                WHEN effective_status = 'Revoked' THEN 'void'
                WHEN expires_at IS NOT NULL AND expires_at <= {now} THEN 'lapsed'
                ELSE 'held' END AS credit
    FROM certificates
    WHERE status IN ('Valid', 'Retired')
) AS credits
GROUP BY owner, meter, zone_id
"""


def _now() -> str:
    dialect = op.get_context().dialect.name
    if dialect not in NOW:
        raise NotImplementedError(f"no clock expression for the {dialect} dialect")
    return NOW[dialect]


def upgrade() -> None:
    now = _now()
    op.execute("DROP VIEW IF EXISTS carbon_credits")
    op.execute(EFFECTIVE_STATUS)
    op.execute(CARBON_CREDITS.format(now=now))


def downgrade() -> None:
    """Back to 0010's view (a retirement from a revoked lineage counts as retired). ``effective_status``
    keeps the indexer's values (0010's column, which the indexer keeps with the same rule)."""
    now = _now()
    op.execute("DROP VIEW IF EXISTS carbon_credits")
    op.execute(CARBON_CREDITS_0010.format(now=now))
