"""Trading: markets, orders with their state history, trades and 15-minute price buckets.

- ``markets``: one row per MarketCreated, with the parameters of its latest MarketUpdated;
- ``orders``: one row per order (OrderPlaced), its fills, remaining lots and state;
- ``order_states``: every change of an order (placement, fill as a maker, cancel, expiry, self-trade
  removal or decrement) with the event position that caused it;
- ``trades``: one row per fill;
- ``price_history``: per market and 15-minute bucket, OHLCV, VWAP and the resting book at its end.

No data to carry over: the trading program was not indexed before this revision.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-06 10:24:44.942034
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
PUBKEY = sa.String(length=44)
SIGNATURE = sa.String(length=88)
U64 = sa.Numeric(precision=20, scale=0)


def _position() -> list[sa.Column[object]]:
    return [
        sa.Column("id", ID, autoincrement=True, nullable=False),
        sa.Column("signature", SIGNATURE, nullable=False),
        sa.Column("instruction_index", sa.Integer(), nullable=False),
        sa.Column("event_index", sa.Integer(), nullable=False),
        sa.Column("step", sa.Integer(), nullable=False),
    ]


def upgrade() -> None:
    op.create_table(
        "markets",
        sa.Column("address", PUBKEY, nullable=False),
        sa.Column("zone_id", sa.BigInteger(), nullable=False),
        sa.Column("base_mint", PUBKEY, nullable=False),
        sa.Column("quote_mint", PUBKEY, nullable=False),
        sa.Column("quote_decimals", sa.Integer(), nullable=True),
        sa.Column("base_vault", PUBKEY, nullable=False),
        sa.Column("quote_vault", PUBKEY, nullable=False),
        sa.Column("fee_recipient", PUBKEY, nullable=False),
        sa.Column("tick_size", U64, nullable=False),
        sa.Column("lot_size_wh", U64, nullable=False),
        sa.Column("min_order_lots", U64, nullable=False),
        sa.Column("taker_fee_bps", sa.Integer(), nullable=False),
        sa.Column("maker_fee_bps", sa.Integer(), nullable=False),
        sa.Column("max_orders_per_epoch", sa.BigInteger(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("signature", SIGNATURE, nullable=False),
        sa.Column("created_slot", sa.BigInteger(), nullable=False),
        sa.Column("created_at", sa.BigInteger(), nullable=False),
        sa.Column("updated_slot", sa.BigInteger(), nullable=False),
        sa.Column("updated_at", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("address", name=op.f("pk_markets")),
    )
    with op.batch_alter_table("markets", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_markets_zone_id"), ["zone_id"], unique=False)

    op.create_table(
        "orders",
        sa.Column("market", PUBKEY, nullable=False),
        sa.Column("order_id", U64, nullable=False),
        sa.Column("trader", PUBKEY, nullable=False),
        sa.Column("seat", sa.BigInteger(), nullable=False),
        sa.Column("side", sa.String(length=8), nullable=False),
        sa.Column("kind", sa.String(length=24), nullable=False),
        sa.Column("self_trade", sa.String(length=24), nullable=False),
        sa.Column("price", U64, nullable=False),
        sa.Column("lots", U64, nullable=False),
        sa.Column("filled_lots", U64, nullable=False),
        sa.Column("cancelled_lots", U64, nullable=False),
        sa.Column("remaining_lots", U64, nullable=False),
        sa.Column("client_order_id", U64, nullable=False),
        sa.Column("expires_at", sa.BigInteger(), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("signature", SIGNATURE, nullable=False),
        sa.Column("placed_slot", sa.BigInteger(), nullable=False),
        sa.Column("placed_at", sa.BigInteger(), nullable=False),
        sa.Column("updated_slot", sa.BigInteger(), nullable=False),
        sa.Column("updated_at", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("market", "order_id", name=op.f("pk_orders")),
    )
    with op.batch_alter_table("orders", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_orders_state"), ["state"], unique=False)
        batch_op.create_index(batch_op.f("ix_orders_trader"), ["trader"], unique=False)

    op.create_table(
        "order_states",
        *_position(),
        sa.Column("market", PUBKEY, nullable=False),
        sa.Column("order_id", U64, nullable=False),
        sa.Column("trader", PUBKEY, nullable=False),
        sa.Column("side", sa.String(length=8), nullable=False),
        sa.Column("price", U64, nullable=False),
        sa.Column("change", sa.String(length=24), nullable=False),
        sa.Column("filled_lots", U64, nullable=False),
        sa.Column("cancelled_lots", U64, nullable=False),
        sa.Column("remaining_lots", U64, nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("slot", sa.BigInteger(), nullable=False),
        sa.Column("timestamp", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_order_states")),
        sa.UniqueConstraint(
            "signature", "instruction_index", "event_index", "step", name=op.f("uq_order_states_signature")
        ),
    )
    with op.batch_alter_table("order_states", schema=None) as batch_op:
        batch_op.create_index("ix_order_states_market_order_id", ["market", "order_id"], unique=False)
        batch_op.create_index("ix_order_states_market_timestamp", ["market", "timestamp"], unique=False)

    op.create_table(
        "trades",
        *_position(),
        sa.Column("market", PUBKEY, nullable=False),
        sa.Column("zone_id", sa.BigInteger(), nullable=True),
        sa.Column("maker", PUBKEY, nullable=False),
        sa.Column("taker", PUBKEY, nullable=False),
        sa.Column("maker_order_id", U64, nullable=False),
        sa.Column("taker_order_id", U64, nullable=False),
        sa.Column("taker_side", sa.String(length=8), nullable=False),
        sa.Column("price_ticks", U64, nullable=False),
        sa.Column("price", U64, nullable=False),
        sa.Column("lots", U64, nullable=False),
        sa.Column("energy_wh", U64, nullable=False),
        sa.Column("base_amount", U64, nullable=False),
        sa.Column("quote_amount", U64, nullable=False),
        sa.Column("maker_fee", U64, nullable=False),
        sa.Column("taker_fee", U64, nullable=False),
        sa.Column("slot", sa.BigInteger(), nullable=False),
        sa.Column("timestamp", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_trades")),
        sa.UniqueConstraint(
            "signature", "instruction_index", "event_index", "step", name=op.f("uq_trades_signature")
        ),
    )
    with op.batch_alter_table("trades", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_trades_maker"), ["maker"], unique=False)
        batch_op.create_index(batch_op.f("ix_trades_taker"), ["taker"], unique=False)
        batch_op.create_index("ix_trades_market_timestamp", ["market", "timestamp"], unique=False)
        batch_op.create_index("ix_trades_zone_id_timestamp", ["zone_id", "timestamp"], unique=False)

    op.create_table(
        "price_history",
        sa.Column("market", PUBKEY, nullable=False),
        sa.Column("bucket_start", sa.BigInteger(), nullable=False),
        sa.Column("zone_id", sa.BigInteger(), nullable=False),
        sa.Column("open", U64, nullable=True),
        sa.Column("high", U64, nullable=True),
        sa.Column("low", U64, nullable=True),
        sa.Column("close", U64, nullable=True),
        sa.Column("vwap", U64, nullable=True),
        sa.Column("volume_wh", U64, nullable=False),
        sa.Column("volume_quote", U64, nullable=False),
        sa.Column("trade_count", sa.Integer(), nullable=False),
        sa.Column("ask_wh", U64, nullable=False),
        sa.Column("bid_wh", U64, nullable=False),
        sa.PrimaryKeyConstraint("market", "bucket_start", name=op.f("pk_price_history")),
    )
    with op.batch_alter_table("price_history", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_price_history_zone_id"), ["zone_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("price_history", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_price_history_zone_id"))
    op.drop_table("price_history")
    with op.batch_alter_table("trades", schema=None) as batch_op:
        batch_op.drop_index("ix_trades_zone_id_timestamp")
        batch_op.drop_index("ix_trades_market_timestamp")
        batch_op.drop_index(batch_op.f("ix_trades_taker"))
        batch_op.drop_index(batch_op.f("ix_trades_maker"))
    op.drop_table("trades")
    with op.batch_alter_table("order_states", schema=None) as batch_op:
        batch_op.drop_index("ix_order_states_market_timestamp")
        batch_op.drop_index("ix_order_states_market_order_id")
    op.drop_table("order_states")
    with op.batch_alter_table("orders", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_orders_trader"))
        batch_op.drop_index(batch_op.f("ix_orders_state"))
    op.drop_table("orders")
    with op.batch_alter_table("markets", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_markets_zone_id"))
    op.drop_table("markets")
