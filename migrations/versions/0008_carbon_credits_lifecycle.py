"""``carbon_credits`` counts what a certificate is worth on chain, not only its stored status: lapsed,
void and retired-revoked credits, and ``certificates.effective_status``.

0007's view counted every Valid certificate as held and every Retired one as retired. But the status
stored for a certificate is not always what the program acts on: a Valid one may be past its expiry
(nobody marked it Expired yet) or split off an original that was revoked, and a Retired one may come
from a lineage a quorum revoked after the retirement. The view now puts each Valid or Retired
certificate into exactly one bucket, the first that applies, with its CO2 and volume in that bucket's
columns (appended after 0007's, in this order):

- ``retired_revoked`` (``retired_revoked_co2_g``, ``retired_revoked_wh``): a Retired certificate whose
  lineage was revoked (fraud) after it, or a certificate split from it, was retired. Retirement is final
  on chain: the certificate stays Retired and its retirement stays in ``retirements``, but it is no
  clean proof. Its lineage is revoked when its original (``original``; itself for a requested one) is
  Revoked or has a ``revoke_reason`` (a revocation sets it on a Retired or Expired original, which keeps
  its status), or when it has a ``revoke_reason`` itself (only an original's is set once Retired: its
  request may not be indexed).
- ``retired`` (0007's ``retired_co2_g``, ``retired_wh``): any other Retired certificate, credited to
  whoever retired it.
- ``void`` (``void_co2_g``, ``void_wh``): a Valid certificate whose ``effective_status`` is Revoked,
  whatever its expiry. Revoking a requested certificate leaves the stored status of the certificates
  split from it Valid (the program does not visit them), but from then on it refuses to transfer, split
  or retire any of them (``OriginalRevoked``: they pass their ``original`` and it must not be Revoked).
- ``lapsed`` (``lapsed_co2_g``, ``lapsed_wh``): a Valid certificate at or past its ``expires_at``. On
  chain a certificate is usable (transferred, split, retired) only while the clock is before its
  ``expires_at``; at or after it anyone may mark it Expired (governance-core ``certificate.rs``: expired
  when ``now >= expires_at``). Until someone does, its status stays Valid.
- ``held`` (0007's ``held_co2_g``, ``held_wh``): any other Valid certificate, one whose expiry is not
  indexed included (``expires_at`` NULL: its validation is in a history gap).

``certificates`` still counts the group's Valid and Retired ones (every bucket); Revoked, Expired and
Pending certificates count for nothing.

The new column ``certificates.effective_status`` is ``status`` as the program acts on it: Revoked for a
Valid certificate whose original (another certificate) is Revoked or has a ``revoke_reason`` (its
lineage was revoked while it was Retired or Expired), else ``status``. It is filled here for the rows
already indexed and kept by the indexer from then on, with the same rule (``effective_statuses`` in
``solgrid.indexer.certificates``).

The clock is the database's: ``strftime('%s', 'now')`` on SQLite, the transaction's start
(``CURRENT_TIMESTAMP``) on PostgreSQL, in whole Unix seconds. ``solgrid indexer carbon`` computes the
same sums at any time (``--at``, default now) from ``certificates``.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-06 19:45:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
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
    op.add_column(
        "certificates",
        sa.Column("effective_status", sa.String(length=16), nullable=False, server_default="Pending"),
    )
    op.execute(EFFECTIVE_STATUS)
    op.execute(CARBON_CREDITS.format(now=NOW[dialect]))


def downgrade() -> None:
    """Back to 0007's view (a Valid certificate counts as held, a Retired one as retired) and no
    ``effective_status`` (it is computed again on the next upgrade)."""
    op.execute("DROP VIEW carbon_credits")
    op.drop_column("certificates", "effective_status")
    op.execute(CARBON_CREDITS_0007)
