"""A certificate split off an original that was revoked is not held: ``certificates.effective_status``
and the ``carbon_credits`` view's ``void_co2_g`` / ``void_wh``.

Revoking a requested certificate leaves the stored status of the certificates split from it Valid (the
program does not visit them), but from then on it refuses to transfer, split or retire any of them
(``OriginalRevoked``: they pass their ``original`` and it must not be Revoked). 0008's view still counted
them as held. The new column ``effective_status`` is ``status`` as the program acts on it: Revoked for a
Valid certificate whose original (another certificate) is Revoked, else ``status``; it is filled here
for the rows already indexed and kept by the indexer from then on. The view counts such certificates
as ``void`` (new columns ``void_co2_g``, ``void_wh``), whatever their expiry; the other buckets are
0008's. ``certificates`` still counts the group's Valid (held, lapsed or void) and Retired ones.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-06 20:20:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
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
        SELECT 1 FROM certificates AS o WHERE o.address = certificates.original AND o.status = 'Revoked'
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

CARBON_CREDITS_0008 = """
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
       SUM(CASE WHEN credit = 'lapsed' THEN volume_wh ELSE 0 END) AS lapsed_wh
FROM (
    SELECT owner,
           meter,
           zone_id,
           volume_wh,
           co2_avoided_g,
           CASE WHEN status = 'Retired' THEN 'retired'
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


def _has_effective_status() -> bool:
    """Whether the column is there. Both directions are plain ADD / DROP COLUMN (no SQLite table
    rebuild) and may run again: under SQLite's driver DDL is not transactional, so a downgrade past
    this one refused by an older step (0009's, while a retirement's time is unknown) has already
    dropped the column and the view when its transaction rolls back, and the retry must not fail."""
    columns = sa.inspect(op.get_bind()).get_columns("certificates")
    return any(column["name"] == "effective_status" for column in columns)


def upgrade() -> None:
    now = _now()
    op.execute("DROP VIEW IF EXISTS carbon_credits")
    if not _has_effective_status():
        op.add_column(
            "certificates",
            sa.Column("effective_status", sa.String(length=16), nullable=False, server_default="Pending"),
        )
    op.execute(EFFECTIVE_STATUS)
    op.execute(CARBON_CREDITS.format(now=now))


def downgrade() -> None:
    """Back to 0008's view (a Valid certificate of a revoked original counts as held or lapsed) and no
    ``effective_status`` (it is computed again on the next upgrade)."""
    now = _now()
    op.execute("DROP VIEW IF EXISTS carbon_credits")
    if _has_effective_status():
        op.drop_column("certificates", "effective_status")
    op.execute(CARBON_CREDITS_0008.format(now=now))
