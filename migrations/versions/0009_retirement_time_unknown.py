"""``retirements.retired_at`` may be NULL: the time of a retirement whose event was rebuilt from a
transaction with truncated logs is the block's, and a node may give no block time (``blockTime`` null).
Such a retirement was refused by the NOT NULL constraint, which failed its whole batch again on every
catch-up: nothing after it was indexed. Now its row is kept, with the time unknown.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-06 19:55:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("retirements", schema=None) as batch_op:
        batch_op.alter_column("retired_at", existing_type=sa.BigInteger(), nullable=True)


def downgrade() -> None:
    """Back to NOT NULL: refused while a retirement's time is unknown (no time is made up)."""
    unknown = op.get_bind().execute(sa.text("SELECT COUNT(*) FROM retirements WHERE retired_at IS NULL"))
    count = int(unknown.scalar_one())
    if count:
        raise RuntimeError(f"cannot downgrade below 0009: {count} retirement(s) have no known time")
    with op.batch_alter_table("retirements", schema=None) as batch_op:
        batch_op.alter_column("retired_at", existing_type=sa.BigInteger(), nullable=False)
