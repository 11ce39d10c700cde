"""Initial indexer schema: domain tables, the events audit log, transactions, checkpoints, alerts.

Revision ID: 0001
Revises: (none)
Create Date: 2026-11-22 06:11:52.672878
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "alerts",
        sa.Column(
            "id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False
        ),
        sa.Column("signature", sa.String(length=88), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("message", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_alerts")),
    )
    with op.batch_alter_table("alerts", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_alerts_signature"), ["signature"], unique=False)

    op.create_table(
        "burns",
        sa.Column(
            "id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False
        ),
        sa.Column("signature", sa.String(length=88), nullable=False),
        sa.Column("instruction_index", sa.Integer(), nullable=False),
        sa.Column("event_index", sa.Integer(), nullable=False),
        sa.Column("holder", sa.String(length=44), nullable=False),
        sa.Column("token_account", sa.String(length=44), nullable=False),
        sa.Column("amount", sa.Numeric(precision=20, scale=0), nullable=False),
        sa.Column("slot", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_burns")),
        sa.UniqueConstraint("signature", "instruction_index", "event_index", name=op.f("uq_burns_signature")),
    )
    with op.batch_alter_table("burns", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_burns_holder"), ["holder"], unique=False)

    op.create_table(
        "checkpoints",
        sa.Column("program", sa.String(length=44), nullable=False),
        sa.Column("signature", sa.String(length=88), nullable=False),
        sa.Column("slot", sa.BigInteger(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
        sa.PrimaryKeyConstraint("program", name=op.f("pk_checkpoints")),
    )
    op.create_table(
        "grid_zones",
        sa.Column("zone_id", sa.BigInteger(), nullable=False),
        sa.Column("address", sa.String(length=44), nullable=False),
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("max_capacity_kw", sa.Numeric(precision=20, scale=0), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("created_at", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("zone_id", name=op.f("pk_grid_zones")),
    )
    op.create_table(
        "meter_readings",
        sa.Column(
            "id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False
        ),
        sa.Column("meter", sa.String(length=44), nullable=False),
        sa.Column("window_start", sa.BigInteger(), nullable=False),
        sa.Column("window_end", sa.BigInteger(), nullable=False),
        sa.Column("production_wh", sa.BigInteger(), nullable=False),
        sa.Column("consumption_wh", sa.BigInteger(), nullable=False),
        sa.Column("signature", sa.String(length=88), nullable=False),
        sa.Column("slot", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_meter_readings")),
        sa.UniqueConstraint("meter", "window_start", name=op.f("uq_meter_readings_meter")),
    )
    op.create_table(
        "meters",
        sa.Column("address", sa.String(length=44), nullable=False),
        sa.Column("serial", sa.String(length=64), nullable=False),
        sa.Column("owner", sa.String(length=44), nullable=False),
        sa.Column("zone_id", sa.BigInteger(), nullable=False),
        sa.Column("device_key", sa.String(length=44), nullable=False),
        sa.Column("source", sa.String(length=16), nullable=False),
        sa.Column("capacity_w", sa.Numeric(precision=20, scale=0), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("produced_wh", sa.Numeric(precision=20, scale=0), nullable=False),
        sa.Column("consumed_wh", sa.Numeric(precision=20, scale=0), nullable=False),
        sa.Column("settled_wh", sa.Numeric(precision=20, scale=0), nullable=False),
        sa.Column("registered_at", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("address", name=op.f("pk_meters")),
    )
    with op.batch_alter_table("meters", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_meters_owner"), ["owner"], unique=False)
        batch_op.create_index(batch_op.f("ix_meters_zone_id"), ["zone_id"], unique=False)

    op.create_table(
        "settlements",
        sa.Column(
            "id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False
        ),
        sa.Column("signature", sa.String(length=88), nullable=False),
        sa.Column("instruction_index", sa.Integer(), nullable=False),
        sa.Column("event_index", sa.Integer(), nullable=False),
        sa.Column("meter", sa.String(length=44), nullable=False),
        sa.Column("owner", sa.String(length=44), nullable=False),
        sa.Column("amount_wh", sa.Numeric(precision=20, scale=0), nullable=False),
        sa.Column("settled_wh", sa.Numeric(precision=20, scale=0), nullable=False),
        sa.Column("slot", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_settlements")),
        sa.UniqueConstraint(
            "signature", "instruction_index", "event_index", name=op.f("uq_settlements_signature")
        ),
    )
    with op.batch_alter_table("settlements", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_settlements_meter"), ["meter"], unique=False)

    op.create_table(
        "token_mints",
        sa.Column(
            "id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False
        ),
        sa.Column("signature", sa.String(length=88), nullable=False),
        sa.Column("instruction_index", sa.Integer(), nullable=False),
        sa.Column("event_index", sa.Integer(), nullable=False),
        sa.Column("meter", sa.String(length=44), nullable=False),
        sa.Column("owner", sa.String(length=44), nullable=False),
        sa.Column("destination", sa.String(length=44), nullable=False),
        sa.Column("amount_wh", sa.Numeric(precision=20, scale=0), nullable=False),
        sa.Column("amount", sa.Numeric(precision=20, scale=0), nullable=False),
        sa.Column("slot", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_token_mints")),
        sa.UniqueConstraint(
            "signature", "instruction_index", "event_index", name=op.f("uq_token_mints_signature")
        ),
    )
    with op.batch_alter_table("token_mints", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_token_mints_meter"), ["meter"], unique=False)
        batch_op.create_index(batch_op.f("ix_token_mints_owner"), ["owner"], unique=False)

    op.create_table(
        "transactions",
        sa.Column("signature", sa.String(length=88), nullable=False),
        sa.Column("slot", sa.BigInteger(), nullable=False),
        sa.Column("block_time", sa.BigInteger(), nullable=True),
        sa.Column("succeeded", sa.Boolean(), nullable=False),
        sa.Column("logs_truncated", sa.Boolean(), nullable=False),
        sa.Column("event_count", sa.Integer(), nullable=False),
        sa.Column("indexed_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
        sa.PrimaryKeyConstraint("signature", name=op.f("pk_transactions")),
    )
    with op.batch_alter_table("transactions", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_transactions_slot"), ["slot"], unique=False)

    op.create_table(
        "users",
        sa.Column("address", sa.String(length=44), nullable=False),
        sa.Column("authority", sa.String(length=44), nullable=False),
        sa.Column("role", sa.String(length=16), nullable=False),
        sa.Column("zone_id", sa.BigInteger(), nullable=False),
        sa.Column("user_index", sa.Numeric(precision=20, scale=0), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("registered_at", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("address", name=op.f("pk_users")),
    )
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_users_authority"), ["authority"], unique=False)

    op.create_table(
        "events",
        sa.Column(
            "id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False
        ),
        sa.Column("signature", sa.String(length=88), nullable=False),
        sa.Column("instruction_index", sa.Integer(), nullable=False),
        sa.Column("event_index", sa.Integer(), nullable=False),
        sa.Column("slot", sa.BigInteger(), nullable=False),
        sa.Column("program", sa.String(length=44), nullable=False),
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("data", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(
            ["signature"], ["transactions.signature"], name=op.f("fk_events_signature_transactions")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_events")),
        sa.UniqueConstraint(
            "signature", "instruction_index", "event_index", name=op.f("uq_events_signature")
        ),
    )
    with op.batch_alter_table("events", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_events_name"), ["name"], unique=False)
        batch_op.create_index(batch_op.f("ix_events_slot"), ["slot"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("events", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_events_slot"))
        batch_op.drop_index(batch_op.f("ix_events_name"))

    op.drop_table("events")
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_users_authority"))

    op.drop_table("users")
    with op.batch_alter_table("transactions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_transactions_slot"))

    op.drop_table("transactions")
    with op.batch_alter_table("token_mints", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_token_mints_owner"))
        batch_op.drop_index(batch_op.f("ix_token_mints_meter"))

    op.drop_table("token_mints")
    with op.batch_alter_table("settlements", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_settlements_meter"))

    op.drop_table("settlements")
    with op.batch_alter_table("meters", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_meters_zone_id"))
        batch_op.drop_index(batch_op.f("ix_meters_owner"))

    op.drop_table("meters")
    op.drop_table("meter_readings")
    op.drop_table("grid_zones")
    op.drop_table("checkpoints")
    with op.batch_alter_table("burns", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_burns_holder"))

    op.drop_table("burns")
    with op.batch_alter_table("alerts", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_alerts_signature"))

    op.drop_table("alerts")
