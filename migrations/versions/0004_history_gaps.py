"""History gaps: stretches of a program's history the RPC node had pruned before the indexer read them.

- ``history_gaps``: one row per gap (after which slot / checkpoint, before which slot the node still
  served the program's history), resolved once backfilled from an archive node;
- ``alerts.resolved_at``; ``alerts.signature`` may be empty (a gap from the program's first
  transaction names no checkpoint);
- ``checkpoints.covered_slot``: every transaction of the program up to that slot is stored or in a
  recorded gap. ``signature`` / ``slot`` may be empty (a program without transactions yet). Existing
  checkpoints cover the slot before theirs: every transaction up to the checkpoint's signature is
  stored, but a later one in the same slot may not be.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-06 09:00:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
SIGNATURE = sa.String(length=88)


def upgrade() -> None:
    with op.batch_alter_table("alerts", schema=None) as batch_op:
        batch_op.alter_column("signature", existing_type=SIGNATURE, nullable=True)
        batch_op.add_column(sa.Column("resolved_at", sa.DateTime(timezone=True), nullable=True))
    with op.batch_alter_table("checkpoints", schema=None) as batch_op:
        batch_op.add_column(sa.Column("covered_slot", sa.BigInteger(), nullable=True))
        batch_op.alter_column("signature", existing_type=SIGNATURE, nullable=True)
        batch_op.alter_column("slot", existing_type=sa.BigInteger(), nullable=True)
    checkpoints = sa.table(
        "checkpoints", sa.column("slot", sa.BigInteger), sa.column("covered_slot", sa.BigInteger)
    )
    op.execute(checkpoints.update().values(covered_slot=checkpoints.c.slot - 1))
    with op.batch_alter_table("checkpoints", schema=None) as batch_op:
        batch_op.alter_column("covered_slot", existing_type=sa.BigInteger(), nullable=False)
    op.create_table(
        "history_gaps",
        sa.Column("id", ID, autoincrement=True, nullable=False),
        sa.Column("program", sa.String(length=44), nullable=False),
        sa.Column("after_slot", sa.BigInteger(), nullable=True),
        sa.Column("after_signature", SIGNATURE, nullable=True),
        sa.Column("before_slot", sa.BigInteger(), nullable=False),
        sa.Column("before_signature", SIGNATURE, nullable=True),
        sa.Column("rpc_url", sa.Text(), nullable=False),
        sa.Column("alert_id", ID, nullable=True),
        sa.Column("detected_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
        sa.Column("resolved_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("resolved_by", sa.Text(), nullable=True),
        sa.Column("backfilled", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(["alert_id"], ["alerts.id"], name=op.f("fk_history_gaps_alert_id_alerts")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_history_gaps")),
    )
    with op.batch_alter_table("history_gaps", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_history_gaps_program"), ["program"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("history_gaps", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_history_gaps_program"))
    op.drop_table("history_gaps")
    op.execute("DELETE FROM checkpoints WHERE signature IS NULL")
    with op.batch_alter_table("checkpoints", schema=None) as batch_op:
        batch_op.alter_column("slot", existing_type=sa.BigInteger(), nullable=False)
        batch_op.alter_column("signature", existing_type=SIGNATURE, nullable=False)
        batch_op.drop_column("covered_slot")
    op.execute("DELETE FROM alerts WHERE signature IS NULL")
    with op.batch_alter_table("alerts", schema=None) as batch_op:
        batch_op.drop_column("resolved_at")
        batch_op.alter_column("signature", existing_type=SIGNATURE, nullable=False)
