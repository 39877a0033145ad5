"""payments: coupons, the people who hold them, their uses, and a coupon's part of an order

Revision ID: 0024
Revises: 0023
Create Date: 2026-12-04 02:00:00
"""

import sqlalchemy as sa
from alembic import op

import openminis.db

revision = "0024"
down_revision = "0023"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "coupons",
        sa.Column("id", sa.String(length=32), primary_key=True),
        sa.Column("app_id", sa.String(length=40), sa.ForeignKey("apps.id", ondelete="CASCADE"), nullable=True),
        sa.Column("code", sa.String(length=32), nullable=True, unique=True),
        sa.Column("title", sa.String(length=80), nullable=False),
        sa.Column("issuer", sa.String(length=16), nullable=False),
        sa.Column("funder", sa.String(length=16), nullable=False),
        sa.Column("amount_off", sa.Integer(), nullable=True),
        sa.Column("percent_off_bps", sa.Integer(), nullable=True),
        sa.Column("max_off", sa.Integer(), nullable=True),
        sa.Column("product_ids", sa.JSON(), nullable=True),
        sa.Column("starts_at", openminis.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("ends_at", openminis.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("per_person_limit", sa.Integer(), nullable=False),
        sa.Column("total_limit", sa.Integer(), nullable=True),
        sa.Column("used", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("created_by", sa.String(length=200), nullable=False),
        sa.Column("created_at", openminis.db.UTCDateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_coupons_app_id", "coupons", ["app_id"])
    op.create_table(
        "coupon_grants",
        sa.Column("coupon_id", sa.String(length=32), sa.ForeignKey("coupons.id", ondelete="CASCADE"), nullable=False),
        sa.Column("user_id", sa.String(length=32), sa.ForeignKey("users.id"), nullable=False),
        sa.Column("used", sa.Integer(), nullable=False),
        sa.Column("via", sa.String(length=16), nullable=False),
        sa.Column("granted_at", openminis.db.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("coupon_id", "user_id"),
    )
    op.create_index("ix_coupon_grants_user_id", "coupon_grants", ["user_id"])
    op.create_table(
        "coupon_uses",
        sa.Column("order_id", sa.String(length=32), sa.ForeignKey("orders.id"), primary_key=True),
        sa.Column("coupon_id", sa.String(length=32), sa.ForeignKey("coupons.id", ondelete="CASCADE"), nullable=False),
        sa.Column("user_id", sa.String(length=32), nullable=False),
        sa.Column("discount", sa.BigInteger(), nullable=False),
        sa.Column("funder", sa.String(length=16), nullable=False),
        sa.Column("at", openminis.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("released_at", openminis.db.UTCDateTime(timezone=True), nullable=True),
    )
    op.create_index("ix_coupon_uses_coupon_id", "coupon_uses", ["coupon_id"])
    with op.batch_alter_table("orders") as batch:
        batch.add_column(sa.Column("coupon_id", sa.String(length=32), nullable=True))
        batch.add_column(sa.Column("discount", sa.BigInteger(), nullable=False, server_default="0"))


def downgrade() -> None:
    with op.batch_alter_table("orders") as batch:
        batch.drop_column("discount")
        batch.drop_column("coupon_id")
    op.drop_table("coupon_uses")
    op.drop_table("coupon_grants")
    op.drop_table("coupons")
