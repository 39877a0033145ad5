"""payments

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-27 12:09:32.014187
"""

import sqlalchemy as sa
from alembic import op

import openminis.db

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "coin_packs",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("coins", sa.Integer(), nullable=False),
        sa.Column("bonus_coins", sa.Integer(), nullable=False),
        sa.Column("prices", sa.JSON(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("sort", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_coin_packs")),
    )
    op.create_table(
        "provider_events",
        sa.Column("provider", sa.String(length=16), nullable=False),
        sa.Column("event_id", sa.String(length=128), nullable=False),
        sa.Column("received_at", openminis.db.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("provider", "event_id", name=op.f("pk_provider_events")),
    )
    op.create_table(
        "topups",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("user_id", sa.String(length=32), nullable=False),
        sa.Column("pack_id", sa.String(length=32), nullable=False),
        sa.Column("coins", sa.Integer(), nullable=False),
        sa.Column("amount", sa.BigInteger(), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("market", sa.String(length=8), nullable=False),
        sa.Column("provider", sa.String(length=16), nullable=False),
        sa.Column("provider_ref", sa.String(length=128), nullable=True),
        sa.Column("status", sa.String(length=24), nullable=False),
        sa.Column("created_at", openminis.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", openminis.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["pack_id"], ["coin_packs.id"], name=op.f("fk_topups_pack_id_coin_packs")),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], name=op.f("fk_topups_user_id_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_topups")),
    )
    with op.batch_alter_table("topups", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_topups_provider_ref"), ["provider_ref"], unique=False)
        batch_op.create_index(batch_op.f("ix_topups_user_id"), ["user_id"], unique=False)

    op.create_table(
        "app_users",
        sa.Column("app_id", sa.String(length=40), nullable=False),
        sa.Column("openid", sa.String(length=64), nullable=False),
        sa.Column("user_id", sa.String(length=32), nullable=False),
        sa.Column("first_seen_at", openminis.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["app_id"], ["apps.id"], name=op.f("fk_app_users_app_id_apps"), ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], name=op.f("fk_app_users_user_id_users"), ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("app_id", "openid", name=op.f("pk_app_users")),
    )
    with op.batch_alter_table("app_users", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_app_users_user_id"), ["user_id"], unique=False)

    op.create_table(
        "notification_attempts",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("app_id", sa.String(length=40), nullable=False),
        sa.Column("event_id", sa.String(length=40), nullable=False),
        sa.Column("event_type", sa.String(length=40), nullable=False),
        sa.Column("order_id", sa.String(length=32), nullable=True),
        sa.Column("url", sa.String(length=500), nullable=False),
        sa.Column("status_code", sa.Integer(), nullable=True),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("duration_ms", sa.Integer(), nullable=False),
        sa.Column("at", openminis.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["app_id"], ["apps.id"], name=op.f("fk_notification_attempts_app_id_apps")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_notification_attempts")),
    )
    with op.batch_alter_table("notification_attempts", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_notification_attempts_app_id"), ["app_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_notification_attempts_event_id"), ["event_id"], unique=False)

    op.create_table(
        "orders",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("app_id", sa.String(length=40), nullable=False),
        sa.Column("user_id", sa.String(length=32), nullable=False),
        sa.Column("product_id", sa.String(length=64), nullable=False),
        sa.Column("product_type", sa.String(length=16), nullable=False),
        sa.Column("quantity", sa.Integer(), nullable=False),
        sa.Column("amount", sa.BigInteger(), nullable=False),
        sa.Column("fee", sa.BigInteger(), nullable=False),
        sa.Column("payload", sa.Text(), nullable=False),
        sa.Column("idempotency_key", sa.String(length=128), nullable=False),
        sa.Column("created_by", sa.String(length=16), nullable=False),
        sa.Column("status", sa.String(length=24), nullable=False),
        sa.Column("refunded", sa.BigInteger(), nullable=False),
        sa.Column("created_at", openminis.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("paid_at", openminis.db.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["app_id"], ["apps.id"], name=op.f("fk_orders_app_id_apps")),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], name=op.f("fk_orders_user_id_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_orders")),
        sa.UniqueConstraint("app_id", "user_id", "idempotency_key", name=op.f("uq_orders_app_id")),
    )
    with op.batch_alter_table("orders", schema=None) as batch_op:
        batch_op.create_index("ix_orders_app_created", ["app_id", "created_at"], unique=False)
        batch_op.create_index(batch_op.f("ix_orders_user_id"), ["user_id"], unique=False)

    op.create_table(
        "payment_settings",
        sa.Column("app_id", sa.String(length=40), nullable=False),
        sa.Column("notify_url", sa.String(length=500), nullable=True),
        sa.Column("fee_bps", sa.Integer(), nullable=False),
        sa.Column("updated_at", openminis.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["app_id"], ["apps.id"], name=op.f("fk_payment_settings_app_id_apps"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("app_id", name=op.f("pk_payment_settings")),
    )
    op.create_table(
        "products",
        sa.Column("app_id", sa.String(length=40), nullable=False),
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("type", sa.String(length=16), nullable=False),
        sa.Column("price", sa.Integer(), nullable=False),
        sa.Column("title", sa.JSON(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("updated_at", openminis.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["app_id"], ["apps.id"], name=op.f("fk_products_app_id_apps"), ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("app_id", "id", name=op.f("pk_products")),
    )
    op.create_table(
        "entitlements",
        sa.Column("user_id", sa.String(length=32), nullable=False),
        sa.Column("app_id", sa.String(length=40), nullable=False),
        sa.Column("product_id", sa.String(length=64), nullable=False),
        sa.Column("order_id", sa.String(length=32), nullable=False),
        sa.Column("granted_at", openminis.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("revoked_at", openminis.db.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["app_id"], ["apps.id"], name=op.f("fk_entitlements_app_id_apps")),
        sa.ForeignKeyConstraint(["order_id"], ["orders.id"], name=op.f("fk_entitlements_order_id_orders")),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], name=op.f("fk_entitlements_user_id_users")),
        sa.PrimaryKeyConstraint("user_id", "app_id", "product_id", name=op.f("pk_entitlements")),
    )
    op.create_table(
        "order_events",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("order_id", sa.String(length=32), nullable=False),
        sa.Column("status", sa.String(length=24), nullable=False),
        sa.Column("details", sa.JSON(), nullable=False),
        sa.Column("at", openminis.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["order_id"], ["orders.id"], name=op.f("fk_order_events_order_id_orders")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_order_events")),
    )
    with op.batch_alter_table("order_events", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_order_events_order_id"), ["order_id"], unique=False)

    with op.batch_alter_table("app_secrets", schema=None) as batch_op:
        # Secrets made before this revision have no notify key (only their hash is kept): rotate them.
        batch_op.add_column(sa.Column("notify_key", sa.String(length=64), nullable=False, server_default=""))


def downgrade() -> None:
    with op.batch_alter_table("app_secrets", schema=None) as batch_op:
        batch_op.drop_column("notify_key")

    with op.batch_alter_table("order_events", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_order_events_order_id"))

    op.drop_table("order_events")
    op.drop_table("entitlements")
    op.drop_table("products")
    op.drop_table("payment_settings")
    with op.batch_alter_table("orders", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_orders_user_id"))
        batch_op.drop_index("ix_orders_app_created")

    op.drop_table("orders")
    with op.batch_alter_table("notification_attempts", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_notification_attempts_event_id"))
        batch_op.drop_index(batch_op.f("ix_notification_attempts_app_id"))

    op.drop_table("notification_attempts")
    with op.batch_alter_table("app_users", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_app_users_user_id"))

    op.drop_table("app_users")
    with op.batch_alter_table("topups", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_topups_user_id"))
        batch_op.drop_index(batch_op.f("ix_topups_provider_ref"))

    op.drop_table("topups")
    op.drop_table("provider_events")
    op.drop_table("coin_packs")
