"""``carbon_credits``: a Valid certificate past its expiry is no longer held.

On chain a certificate is usable (transferred, split, retired) only while the clock is before its
``expires_at``; at or after it anyone may mark it Expired (governance-core ``certificate.rs``: expired
when ``now >= expires_at``). Until someone does, its status stays Valid, and 0007's view counted it as
held. The view now compares ``expires_at`` with the database's clock when it is queried: such a
certificate counts as ``lapsed`` (new columns ``lapsed_co2_g``, ``lapsed_wh``), not held. A Valid
certificate whose expiry is not indexed (``expires_at`` NULL: its validation is in a history gap)
still counts as held. ``certificates`` counts the group's Valid (held or lapsed) and Retired ones.

The clock is the database's: ``strftime('%s', 'now')`` on SQLite, the transaction's start
(``CURRENT_TIMESTAMP``) on PostgreSQL, in whole Unix seconds. ``solgrid indexer carbon`` computes the
same sums at any time (``--at``, default now) from ``certificates``.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-06 19:45:00.000000
"""

from __future__ import annotations

from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

NOW = {
    "sqlite": "CAST(strftime('%s', 'now') AS INTEGER)",
    "postgresql": "CAST(FLOOR(EXTRACT(EPOCH FROM CURRENT_TIMESTAMP)) AS BIGINT)",
}
"""The database's clock in whole Unix seconds, per dialect."""

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

CARBON_CREDITS_0007 = """
CREATE VIEW carbon_credits AS
SELECT owner,
       meter,
       zone_id,
       SUM(CASE WHEN status = 'Valid' THEN co2_avoided_g ELSE 0 END) AS held_co2_g,
       SUM(CASE WHEN status = 'Retired' THEN co2_avoided_g ELSE 0 END) AS retired_co2_g,
       SUM(CASE WHEN status = 'Valid' THEN volume_wh ELSE 0 END) AS held_wh,
       SUM(CASE WHEN status = 'Retired' THEN volume_wh ELSE 0 END) AS retired_wh,
       COUNT(*) AS certificates
FROM certificates
WHERE status IN ('Valid', 'Retired')
GROUP BY owner, meter, zone_id
"""


def upgrade() -> None:
    dialect = op.get_context().dialect.name
    if dialect not in NOW:
        raise NotImplementedError(f"no clock expression for the {dialect} dialect")
    op.execute("DROP VIEW carbon_credits")
    op.execute(CARBON_CREDITS.format(now=NOW[dialect]))


def downgrade() -> None:
    """Back to 0007's view (a Valid certificate counts as held whatever its expiry)."""
    op.execute("DROP VIEW carbon_credits")
    op.execute(CARBON_CREDITS_0007)
