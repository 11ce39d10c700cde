"""Governance and renewable-energy certificates (issue 14): certificates with their history,
retirements, carbon credits, proposals and their votes, pauses.

- ``certificates``: one row per certificate (requested, or split off another) in its current state;
- ``certificate_events``: every change of a certificate, keyed by its event, with the state after it;
- ``retirements``: who retired which certificate for whom, for what, for which consumption period;
- ``carbon_credits`` (a view over ``certificates``): CO2 avoided per owner, meter and zone, held
  (Valid) and retired (Retired);
- ``proposals`` and ``approvals`` (each vote, approvals and rejections);
- ``pauses``: each pause and resume, of a zone or market-wide;
- ``grid_zones`` gain ``emission_factor``, ``meters`` gain ``certificate_wh`` (0 for existing rows)
  and ``certificate_until``.

A later migration that alters ``certificates`` in batch mode (SQLite recreates the table) must drop
``carbon_credits`` first and create it again after: SQLite refuses to rename a table into place
while a view names it.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-06 16:30:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
PUBKEY = sa.String(length=44)
SIGNATURE = sa.String(length=88)
U64 = sa.Numeric(precision=20, scale=0)

CARBON_CREDITS = """
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


def _position() -> list[sa.Column[object]]:
    """The event a row came from."""
    return [
        sa.Column("id", ID, autoincrement=True, nullable=False),
        sa.Column("signature", SIGNATURE, nullable=False),
        sa.Column("instruction_index", sa.Integer(), nullable=False),
        sa.Column("event_index", sa.Integer(), nullable=False),
    ]


def upgrade() -> None:
    op.create_table(
        "certificates",
        sa.Column("address", PUBKEY, nullable=False),
        sa.Column("original", PUBKEY, nullable=True),
        sa.Column("parent", PUBKEY, nullable=True),
        sa.Column("split_index", sa.Integer(), nullable=True),
        sa.Column("meter", PUBKEY, nullable=True),
        sa.Column("zone_id", sa.BigInteger(), nullable=True),
        sa.Column("source", sa.String(length=16), nullable=True),
        sa.Column("generation_start", sa.BigInteger(), nullable=True),
        sa.Column("generation_end", sa.BigInteger(), nullable=True),
        sa.Column("initial_volume_wh", U64, nullable=True),
        sa.Column("volume_wh", U64, nullable=False),
        sa.Column("co2_avoided_g", U64, nullable=False),
        sa.Column("emission_factor", sa.Integer(), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("owner", PUBKEY, nullable=True),
        sa.Column("split_count", sa.Integer(), nullable=False),
        sa.Column("requested_at", sa.BigInteger(), nullable=True),
        sa.Column("issued_at", sa.BigInteger(), nullable=True),
        sa.Column("issuer", PUBKEY, nullable=True),
        sa.Column("expires_at", sa.BigInteger(), nullable=True),
        sa.Column("retired_at", sa.BigInteger(), nullable=True),
        sa.Column("revoke_reason", sa.Text(), nullable=True),
        sa.Column("created_signature", SIGNATURE, nullable=True),
        sa.Column("created_slot", sa.BigInteger(), nullable=True),
        sa.Column("updated_slot", sa.BigInteger(), nullable=False),
        sa.Column("updated_at", sa.BigInteger(), nullable=True),
        sa.PrimaryKeyConstraint("address", name=op.f("pk_certificates")),
    )
    with op.batch_alter_table("certificates", schema=None) as batch_op:
        for column in ("meter", "original", "owner", "parent", "status", "zone_id"):
            batch_op.create_index(batch_op.f(f"ix_certificates_{column}"), [column], unique=False)

    op.create_table(
        "certificate_events",
        *_position(),
        sa.Column("step", sa.Integer(), nullable=False),
        sa.Column("certificate", PUBKEY, nullable=False),
        sa.Column("change", sa.String(length=16), nullable=False),
        sa.Column("related", PUBKEY, nullable=True),
        sa.Column("actor", PUBKEY, nullable=True),
        sa.Column("cosigners", sa.JSON(), nullable=True),
        sa.Column("proposal", PUBKEY, nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("owner", PUBKEY, nullable=True),
        sa.Column("volume_wh", U64, nullable=False),
        sa.Column("co2_avoided_g", U64, nullable=False),
        sa.Column("data", sa.JSON(), nullable=False),
        sa.Column("recovered", sa.Boolean(), nullable=False),
        sa.Column("slot", sa.BigInteger(), nullable=False),
        sa.Column("timestamp", sa.BigInteger(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_certificate_events")),
        sa.UniqueConstraint(
            "signature",
            "instruction_index",
            "event_index",
            "step",
            name=op.f("uq_certificate_events_signature"),
        ),
    )
    with op.batch_alter_table("certificate_events", schema=None) as batch_op:
        batch_op.create_index("ix_certificate_events_certificate_slot", ["certificate", "slot"], unique=False)
        batch_op.create_index(batch_op.f("ix_certificate_events_related"), ["related"], unique=False)

    op.create_table(
        "retirements",
        *_position(),
        sa.Column("certificate", PUBKEY, nullable=False),
        sa.Column("owner", PUBKEY, nullable=False),
        sa.Column("beneficiary", PUBKEY, nullable=False),
        sa.Column("beneficiary_name", sa.Text(), nullable=False),
        sa.Column("purpose", sa.Text(), nullable=False),
        sa.Column("consumption_start", sa.BigInteger(), nullable=False),
        sa.Column("consumption_end", sa.BigInteger(), nullable=False),
        sa.Column("retired_at", sa.BigInteger(), nullable=False),
        sa.Column("volume_wh", U64, nullable=False),
        sa.Column("co2_avoided_g", U64, nullable=False),
        sa.Column("meter", PUBKEY, nullable=True),
        sa.Column("zone_id", sa.BigInteger(), nullable=True),
        sa.Column("slot", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_retirements")),
        sa.UniqueConstraint(
            "signature", "instruction_index", "event_index", name=op.f("uq_retirements_signature")
        ),
    )
    with op.batch_alter_table("retirements", schema=None) as batch_op:
        for column in ("beneficiary", "certificate", "owner"):
            batch_op.create_index(batch_op.f(f"ix_retirements_{column}"), [column], unique=False)

    op.create_table(
        "proposals",
        sa.Column("address", PUBKEY, nullable=False),
        sa.Column("proposal_id", U64, nullable=False),
        sa.Column("proposer", PUBKEY, nullable=True),
        sa.Column("target_program", PUBKEY, nullable=True),
        sa.Column("title", sa.Text(), nullable=True),
        sa.Column("created_at", sa.BigInteger(), nullable=True),
        sa.Column("expires_at", sa.BigInteger(), nullable=True),
        sa.Column("timelock_secs", sa.BigInteger(), nullable=True),
        sa.Column("account_count", sa.Integer(), nullable=True),
        sa.Column("data_len", sa.Integer(), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("approvals", sa.Integer(), nullable=False),
        sa.Column("rejections", sa.Integer(), nullable=False),
        sa.Column("threshold", sa.Integer(), nullable=True),
        sa.Column("quorum_at", sa.BigInteger(), nullable=True),
        sa.Column("executed_at", sa.BigInteger(), nullable=True),
        sa.Column("executed_signature", SIGNATURE, nullable=True),
        sa.Column("cancelled_at", sa.BigInteger(), nullable=True),
        sa.Column("cancelled_by", PUBKEY, nullable=True),
        sa.Column("cancelled_signature", SIGNATURE, nullable=True),
        sa.Column("closed_signature", SIGNATURE, nullable=True),
        sa.Column("closed_status", sa.String(length=16), nullable=True),
        sa.Column("created_signature", SIGNATURE, nullable=True),
        sa.Column("created_slot", sa.BigInteger(), nullable=True),
        sa.Column("updated_slot", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("address", name=op.f("pk_proposals")),
    )
    with op.batch_alter_table("proposals", schema=None) as batch_op:
        for column in ("proposal_id", "proposer", "status"):
            batch_op.create_index(batch_op.f(f"ix_proposals_{column}"), [column], unique=False)

    op.create_table(
        "approvals",
        *_position(),
        sa.Column("proposal", PUBKEY, nullable=False),
        sa.Column("proposal_id", U64, nullable=False),
        sa.Column("regulator", PUBKEY, nullable=False),
        sa.Column("approve", sa.Boolean(), nullable=False),
        sa.Column("approvals", sa.Integer(), nullable=False),
        sa.Column("rejections", sa.Integer(), nullable=False),
        sa.Column("threshold", sa.Integer(), nullable=False),
        sa.Column("quorum_at", sa.BigInteger(), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("slot", sa.BigInteger(), nullable=False),
        sa.Column("timestamp", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_approvals")),
        sa.UniqueConstraint(
            "signature", "instruction_index", "event_index", name=op.f("uq_approvals_signature")
        ),
    )
    with op.batch_alter_table("approvals", schema=None) as batch_op:
        batch_op.create_index("ix_approvals_proposal_slot", ["proposal", "slot"], unique=False)
        batch_op.create_index(batch_op.f("ix_approvals_regulator"), ["regulator"], unique=False)

    op.create_table(
        "pauses",
        *_position(),
        sa.Column("action", sa.String(length=8), nullable=False),
        sa.Column("zone_id", sa.BigInteger(), nullable=True),
        sa.Column("flags", sa.Integer(), nullable=False),
        sa.Column("paused", sa.Integer(), nullable=False),
        sa.Column("by", PUBKEY, nullable=True),
        sa.Column("cosigners", sa.JSON(), nullable=True),
        sa.Column("proposal", PUBKEY, nullable=True),
        sa.Column("slot", sa.BigInteger(), nullable=False),
        sa.Column("timestamp", sa.BigInteger(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_pauses")),
        sa.UniqueConstraint(
            "signature", "instruction_index", "event_index", name=op.f("uq_pauses_signature")
        ),
    )
    with op.batch_alter_table("pauses", schema=None) as batch_op:
        batch_op.create_index("ix_pauses_zone_id_slot", ["zone_id", "slot"], unique=False)

    with op.batch_alter_table("grid_zones", schema=None) as batch_op:
        batch_op.add_column(sa.Column("emission_factor", sa.Integer(), nullable=True))

    with op.batch_alter_table("meters", schema=None) as batch_op:
        batch_op.add_column(sa.Column("certificate_wh", U64, server_default="0", nullable=False))
        batch_op.add_column(sa.Column("certificate_until", sa.BigInteger(), nullable=True))

    op.execute(CARBON_CREDITS)


def downgrade() -> None:
    """Back to 0006: the governance tables and the view go; the older tables keep their rows."""
    op.execute("DROP VIEW carbon_credits")

    with op.batch_alter_table("meters", schema=None) as batch_op:
        batch_op.drop_column("certificate_until")
        batch_op.drop_column("certificate_wh")

    with op.batch_alter_table("grid_zones", schema=None) as batch_op:
        batch_op.drop_column("emission_factor")

    with op.batch_alter_table("pauses", schema=None) as batch_op:
        batch_op.drop_index("ix_pauses_zone_id_slot")
    op.drop_table("pauses")

    with op.batch_alter_table("approvals", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_approvals_regulator"))
        batch_op.drop_index("ix_approvals_proposal_slot")
    op.drop_table("approvals")

    with op.batch_alter_table("proposals", schema=None) as batch_op:
        for column in ("status", "proposer", "proposal_id"):
            batch_op.drop_index(batch_op.f(f"ix_proposals_{column}"))
    op.drop_table("proposals")

    with op.batch_alter_table("retirements", schema=None) as batch_op:
        for column in ("owner", "certificate", "beneficiary"):
            batch_op.drop_index(batch_op.f(f"ix_retirements_{column}"))
    op.drop_table("retirements")

    with op.batch_alter_table("certificate_events", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_certificate_events_related"))
        batch_op.drop_index("ix_certificate_events_certificate_slot")
    op.drop_table("certificate_events")

    with op.batch_alter_table("certificates", schema=None) as batch_op:
        for column in ("zone_id", "status", "parent", "owner", "original", "meter"):
            batch_op.drop_index(batch_op.f(f"ix_certificates_{column}"))
    op.drop_table("certificates")
