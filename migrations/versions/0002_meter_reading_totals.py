"""meter_readings.produced_wh / consumed_wh: the meter's cumulative totals after each reading.

A meter registered after some of its readings or settlements were stored (another program's catch-up
ran ahead of the registry's) starts its counters from these rows instead of 0. Existing rows are
filled from their ReadingAccepted events in the audit log, which carry the same totals.

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-03 09:00:00.000000
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

PAGE = 5000
U64 = sa.Numeric(precision=20, scale=0)


def upgrade() -> None:
    with op.batch_alter_table("meter_readings", schema=None) as batch_op:
        batch_op.add_column(sa.Column("produced_wh", U64, nullable=True))
        batch_op.add_column(sa.Column("consumed_wh", U64, nullable=True))
    backfill()


def backfill() -> None:
    """Copies the totals of every stored ReadingAccepted event onto its meter_readings row."""
    events = sa.table("events", sa.column("id", sa.BigInteger), sa.column("name"), sa.column("data", sa.JSON))
    readings = sa.table(
        "meter_readings",
        sa.column("meter"),
        sa.column("window_start", sa.BigInteger),
        sa.column("produced_wh", U64),
        sa.column("consumed_wh", U64),
    )
    fill = (
        readings.update()
        .where(readings.c.meter == sa.bindparam("m"), readings.c.window_start == sa.bindparam("w"))
        .values(produced_wh=sa.bindparam("p"), consumed_wh=sa.bindparam("c"))
    )
    bind = op.get_bind()
    last = 0
    while True:
        page = bind.execute(
            sa.select(events.c.id, events.c.data)
            .where(events.c.name == "ReadingAccepted", events.c.id > last)
            .order_by(events.c.id)
            .limit(PAGE)
        ).all()
        if not page:
            return
        bind.execute(fill, [totals(row.data) for row in page])
        last = page[-1].id


def totals(data: Any) -> dict[str, Any]:
    """The update parameters of one ReadingAccepted event's fields."""
    return {"m": data["meter"], "w": data["window_start"], "p": data["produced_wh"], "c": data["consumed_wh"]}


def downgrade() -> None:
    with op.batch_alter_table("meter_readings", schema=None) as batch_op:
        batch_op.drop_column("consumed_wh")
        batch_op.drop_column("produced_wh")
