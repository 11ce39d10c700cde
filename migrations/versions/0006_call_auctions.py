"""Call auctions (periodic markets): epochs, their supply and demand curves, settlements, and auction
orders and fills in the trading tables.

- ``epochs``: one row per epoch of a periodic market: its clearing (EpochCleared), its orders and
  settlement so far, where it was cleared and settled;
- ``epoch_levels``: per epoch and price, the lots bid and asked and the demand and supply curves,
  recomputed from the auction's order events;
- ``epoch_settlements``: what settling each auction order did (EpochSettled's records);
- ``markets`` gain ``mode`` and ``epoch_secs`` (existing markets are continuous: 0);
- ``orders`` and ``order_states`` gain the auction (``epoch``, ``auction_index``) and ``orders`` the
  ``rollover`` flag; an auction order has no ``self_trade`` mode;
- ``trades`` gain ``epoch`` (an auction fill's) and ``maker_side`` (existing rows: the opposite of
  ``taker_side``); an auction fill has no taker, and its ``price_ticks`` waits for its EpochCleared.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-06 13:30:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
PUBKEY = sa.String(length=44)
SIGNATURE = sa.String(length=88)
U64 = sa.Numeric(precision=20, scale=0)


def _u64(*names: str, nullable: bool) -> list[sa.Column[object]]:
    return [sa.Column(name, U64, nullable=nullable) for name in names]


def _counts(*names: str) -> list[sa.Column[object]]:
    return [sa.Column(name, sa.BigInteger(), nullable=False) for name in names]


def _position(prefix: str) -> list[sa.Column[object]]:
    return [
        sa.Column(f"{prefix}_signature", SIGNATURE, nullable=True),
        sa.Column(f"{prefix}_instruction_index", sa.Integer(), nullable=True),
        sa.Column(f"{prefix}_event_index", sa.Integer(), nullable=True),
        sa.Column(f"{prefix}_slot", sa.BigInteger(), nullable=True),
        sa.Column(f"{prefix}_at", sa.BigInteger(), nullable=True),
    ]


def upgrade() -> None:
    with op.batch_alter_table("markets", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("mode", sa.String(length=16), server_default="continuous", nullable=False)
        )
        batch_op.add_column(sa.Column("epoch_secs", sa.BigInteger(), server_default="0", nullable=False))

    with op.batch_alter_table("orders", schema=None) as batch_op:
        batch_op.alter_column("self_trade", existing_type=sa.String(length=24), nullable=True)
        batch_op.add_column(sa.Column("epoch", U64, nullable=True))
        batch_op.add_column(sa.Column("auction_index", sa.BigInteger(), nullable=True))
        batch_op.add_column(sa.Column("rollover", sa.Boolean(), nullable=True))

    with op.batch_alter_table("order_states", schema=None) as batch_op:
        batch_op.add_column(sa.Column("epoch", U64, nullable=True))
        batch_op.add_column(sa.Column("auction_index", sa.BigInteger(), nullable=True))
        batch_op.create_index("ix_order_states_market_epoch", ["market", "epoch"], unique=False)

    with op.batch_alter_table("trades", schema=None) as batch_op:
        batch_op.add_column(sa.Column("maker_side", sa.String(length=8), nullable=True))
        batch_op.add_column(sa.Column("epoch", U64, nullable=True))
        batch_op.alter_column("taker", existing_type=PUBKEY, nullable=True)
        batch_op.alter_column("taker_order_id", existing_type=U64, nullable=True)
        batch_op.alter_column("taker_side", existing_type=sa.String(length=8), nullable=True)
        batch_op.alter_column("price_ticks", existing_type=U64, nullable=True)
    trades = sa.table("trades", sa.column("maker_side", sa.String), sa.column("taker_side", sa.String))
    op.execute(
        trades.update().values(
            maker_side=sa.case((trades.c.taker_side == "Bid", "Ask"), else_="Bid"),
        )
    )
    with op.batch_alter_table("trades", schema=None) as batch_op:
        batch_op.alter_column("maker_side", existing_type=sa.String(length=8), nullable=False)

    op.create_table(
        "epochs",
        sa.Column("market", PUBKEY, nullable=False),
        sa.Column("epoch", U64, nullable=False),
        sa.Column("zone_id", sa.BigInteger(), nullable=True),
        sa.Column("starts_at", sa.BigInteger(), nullable=True),
        sa.Column("ends_at", sa.BigInteger(), nullable=True),
        sa.Column("state", sa.String(length=16), nullable=False),
        *_u64("tick_size", "lot_size_wh", nullable=True),
        *_u64(
            "price",
            "price_per_kwh",
            "reference_price",
            "volume_lots",
            "volume_wh",
            "demand_lots",
            "supply_lots",
            "total_bid_lots",
            "total_ask_lots",
            "bid_marginal_price",
            "bid_marginal_lots",
            "ask_marginal_price",
            "ask_marginal_lots",
            nullable=True,
        ),
        sa.Column("cleared_orders", sa.BigInteger(), nullable=True),
        sa.Column("cleared_levels", sa.BigInteger(), nullable=True),
        *_position("cleared"),
        *_counts(
            "placed_orders",
            "rolled_in",
            "cancelled_orders",
            "settled_orders",
            "matched_orders",
            "rolled_out",
            "expired_orders",
        ),
        *_u64("settled_lots", "quote_amount", "fees", nullable=False),
        *_position("settled"),
        sa.PrimaryKeyConstraint("market", "epoch", name=op.f("pk_epochs")),
    )
    with op.batch_alter_table("epochs", schema=None) as batch_op:
        batch_op.create_index("ix_epochs_zone_id_epoch", ["zone_id", "epoch"], unique=False)

    op.create_table(
        "epoch_levels",
        sa.Column("market", PUBKEY, nullable=False),
        sa.Column("epoch", U64, nullable=False),
        sa.Column("price", U64, nullable=False),
        *_u64("bid_lots", "ask_lots", "demand_lots", "supply_lots", nullable=False),
        sa.PrimaryKeyConstraint("market", "epoch", "price", name=op.f("pk_epoch_levels")),
    )

    op.create_table(
        "epoch_settlements",
        sa.Column("id", ID, autoincrement=True, nullable=False),
        sa.Column("signature", SIGNATURE, nullable=False),
        sa.Column("instruction_index", sa.Integer(), nullable=False),
        sa.Column("event_index", sa.Integer(), nullable=False),
        sa.Column("step", sa.Integer(), nullable=False),
        sa.Column("market", PUBKEY, nullable=False),
        sa.Column("epoch", U64, nullable=False),
        sa.Column("auction_index", sa.BigInteger(), nullable=False),
        sa.Column("order_id", U64, nullable=False),
        sa.Column("trader", PUBKEY, nullable=False),
        sa.Column("client_order_id", U64, nullable=False),
        sa.Column("side", sa.String(length=8), nullable=False),
        *_u64(
            "price",
            "filled_lots",
            "base_amount",
            "quote_amount",
            "fee",
            "base_released",
            "quote_released",
            "remaining_lots",
            nullable=False,
        ),
        sa.Column("rolled_index", sa.BigInteger(), nullable=True),
        sa.Column("outcome", sa.String(length=24), nullable=False),
        sa.Column("slot", sa.BigInteger(), nullable=False),
        sa.Column("timestamp", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_epoch_settlements")),
        sa.UniqueConstraint(
            "signature",
            "instruction_index",
            "event_index",
            "step",
            name=op.f("uq_epoch_settlements_signature"),
        ),
    )
    with op.batch_alter_table("epoch_settlements", schema=None) as batch_op:
        batch_op.create_index("ix_epoch_settlements_market_epoch", ["market", "epoch"], unique=False)
        batch_op.create_index(batch_op.f("ix_epoch_settlements_trader"), ["trader"], unique=False)


def downgrade() -> None:
    """Back to 0005: the auction tables go, and so do the auction rows 0005's columns cannot hold
    (auction fills, auction orders and their changes; a periodic market's rows with them)."""
    with op.batch_alter_table("epoch_settlements", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_epoch_settlements_trader"))
        batch_op.drop_index("ix_epoch_settlements_market_epoch")
    op.drop_table("epoch_settlements")
    op.drop_table("epoch_levels")
    with op.batch_alter_table("epochs", schema=None) as batch_op:
        batch_op.drop_index("ix_epochs_zone_id_epoch")
    op.drop_table("epochs")

    op.execute("DELETE FROM trades WHERE epoch IS NOT NULL")
    with op.batch_alter_table("trades", schema=None) as batch_op:
        batch_op.alter_column("price_ticks", existing_type=U64, nullable=False)
        batch_op.alter_column("taker_side", existing_type=sa.String(length=8), nullable=False)
        batch_op.alter_column("taker_order_id", existing_type=U64, nullable=False)
        batch_op.alter_column("taker", existing_type=PUBKEY, nullable=False)
        batch_op.drop_column("epoch")
        batch_op.drop_column("maker_side")

    op.execute("DELETE FROM order_states WHERE epoch IS NOT NULL")
    with op.batch_alter_table("order_states", schema=None) as batch_op:
        batch_op.drop_index("ix_order_states_market_epoch")
        batch_op.drop_column("auction_index")
        batch_op.drop_column("epoch")

    op.execute("DELETE FROM orders WHERE self_trade IS NULL")
    with op.batch_alter_table("orders", schema=None) as batch_op:
        batch_op.drop_column("rollover")
        batch_op.drop_column("auction_index")
        batch_op.drop_column("epoch")
        batch_op.alter_column("self_trade", existing_type=sa.String(length=24), nullable=False)

    with op.batch_alter_table("markets", schema=None) as batch_op:
        batch_op.drop_column("epoch_secs")
        batch_op.drop_column("mode")
