"""Indexes for a market's resting book, which the market data API answers per zone
(``GET /api/v1/zones/{zone_id}/book``: each market's L2 book and its newest trades), and for the trading
projection's recomputations that read the same orders:

- ``orders (market, remaining_lots)``: the book reads the market's orders with ``remaining_lots > 0``
  (a few hundred) instead of every order the market ever had (the primary key's ``market`` prefix);
- ``orders (market, updated_at)``: with the first, the trading projection's price-bucket recomputation
  (every batch, every market it touched: ``remaining_lots > 0 OR updated_at >= since``) reads the
  resting and recently changed orders (SQLite's multi-index OR) instead of every order of the market,
  a cost that grew with the market's history and made catch-up of a long trading history slow down.

A market's newest trades (``ORDER BY timestamp DESC, id DESC LIMIT n``) need nothing new: they are read
from the end of ``ix_trades_market_timestamp`` (SQLite keeps the rowid, ``id``, at the end of every index
entry).

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-07 05:10:00.000000
"""

from __future__ import annotations

from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("orders", schema=None) as batch_op:
        batch_op.create_index("ix_orders_market_remaining_lots", ["market", "remaining_lots"], unique=False)
        batch_op.create_index("ix_orders_market_updated_at", ["market", "updated_at"], unique=False)


def downgrade() -> None:
    """IF EXISTS: on SQLite a refused downgrade further down (0009's) does not roll back this DDL, so the
    next attempt finds the indexes already gone."""
    op.drop_index("ix_orders_market_updated_at", table_name="orders", if_exists=True)
    op.drop_index("ix_orders_market_remaining_lots", table_name="orders", if_exists=True)
