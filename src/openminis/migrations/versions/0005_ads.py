"""ads

Revision ID: 0005
Revises: 0006
Create Date: 2026-11-27 12:45:48.014394
"""

import sqlalchemy as sa
from alembic import op

import openminis.db

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "advertisers",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("name", sa.String(length=80), nullable=False),
        sa.Column("created_at", openminis.db.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_advertisers")),
    )
    op.create_table(
        "signing_keys",
        sa.Column("kid", sa.String(length=32), nullable=False),
        sa.Column("private_key_pem", sa.Text(), nullable=False),
        sa.Column("public_key_pem", sa.Text(), nullable=False),
        sa.Column("created_at", openminis.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("retired_at", openminis.db.UTCDateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("kid", name=op.f("pk_signing_keys")),
    )
    op.create_table(
        "campaigns",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("advertiser_id", sa.String(length=32), nullable=False),
        sa.Column("name", sa.String(length=80), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("house", sa.Boolean(), nullable=False),
        sa.Column("bid_cpm", sa.BigInteger(), nullable=False),
        sa.Column("total_budget", sa.BigInteger(), nullable=True),
        sa.Column("daily_budget", sa.BigInteger(), nullable=True),
        sa.Column("spent", sa.BigInteger(), nullable=False),
        sa.Column("categories", sa.JSON(), nullable=False),
        sa.Column("markets", sa.JSON(), nullable=False),
        sa.Column("frequency_count", sa.Integer(), nullable=True),
        sa.Column("frequency_seconds", sa.Integer(), nullable=True),
        sa.Column("created_at", openminis.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", openminis.db.UTCDateTime(timezone=True), nullable=False),
        sa.CheckConstraint("total_budget IS NULL OR spent <= total_budget", name=op.f("ck_campaigns_within_budget")),
        sa.ForeignKeyConstraint(
            ["advertiser_id"], ["advertisers.id"], name=op.f("fk_campaigns_advertiser_id_advertisers")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_campaigns")),
    )
    with op.batch_alter_table("campaigns", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_campaigns_advertiser_id"), ["advertiser_id"], unique=False)

    op.create_table(
        "campaign_days",
        sa.Column("campaign_id", sa.String(length=32), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("spent", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["campaign_id"], ["campaigns.id"], name=op.f("fk_campaign_days_campaign_id_campaigns"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("campaign_id", "day", name=op.f("pk_campaign_days")),
    )
    op.create_table(
        "creatives",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("campaign_id", sa.String(length=32), nullable=False),
        sa.Column("kind", sa.String(length=8), nullable=False),
        sa.Column("file", sa.String(length=80), nullable=False),
        sa.Column("content_type", sa.String(length=32), nullable=False),
        sa.Column("size_bytes", sa.BigInteger(), nullable=False),
        sa.Column("duration_ms", sa.Integer(), nullable=False),
        sa.Column("width", sa.Integer(), nullable=False),
        sa.Column("height", sa.Integer(), nullable=False),
        sa.Column("click_url", sa.String(length=1000), nullable=False),
        sa.Column("title", sa.String(length=80), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("created_at", openminis.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["campaign_id"], ["campaigns.id"], name=op.f("fk_creatives_campaign_id_campaigns"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_creatives")),
    )
    with op.batch_alter_table("creatives", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_creatives_campaign_id"), ["campaign_id"], unique=False)

    op.create_table(
        "ad_settings",
        sa.Column("app_id", sa.String(length=40), nullable=False),
        sa.Column("developer_share_bps", sa.Integer(), nullable=False),
        sa.Column("updated_at", openminis.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["app_id"], ["apps.id"], name=op.f("fk_ad_settings_app_id_apps"), ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("app_id", name=op.f("pk_ad_settings")),
    )
    op.create_table(
        "ad_units",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("app_id", sa.String(length=40), nullable=False),
        sa.Column("name", sa.String(length=60), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("reward_type", sa.String(length=32), nullable=True),
        sa.Column("reward_amount", sa.Integer(), nullable=True),
        sa.Column("verify_url", sa.String(length=500), nullable=True),
        sa.Column("floor_cpm", sa.BigInteger(), nullable=False),
        sa.Column("min_watch_seconds", sa.Integer(), nullable=True),
        sa.Column("min_interval_seconds", sa.Integer(), nullable=True),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("created_at", openminis.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", openminis.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["app_id"], ["apps.id"], name=op.f("fk_ad_units_app_id_apps"), ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ad_units")),
    )
    with op.batch_alter_table("ad_units", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_ad_units_app_id"), ["app_id"], unique=False)

    op.create_table(
        "reward_attempts",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("app_id", sa.String(length=40), nullable=False),
        sa.Column("transaction_id", sa.String(length=32), nullable=False),
        sa.Column("url", sa.String(length=500), nullable=False),
        sa.Column("kid", sa.String(length=32), nullable=False),
        sa.Column("status_code", sa.Integer(), nullable=True),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("duration_ms", sa.Integer(), nullable=False),
        sa.Column("at", openminis.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["app_id"], ["apps.id"], name=op.f("fk_reward_attempts_app_id_apps"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_reward_attempts")),
    )
    with op.batch_alter_table("reward_attempts", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_reward_attempts_app_id"), ["app_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_reward_attempts_transaction_id"), ["transaction_id"], unique=False)

    op.create_table(
        "impressions",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("app_id", sa.String(length=40), nullable=False),
        sa.Column("unit_id", sa.String(length=32), nullable=False),
        sa.Column("campaign_id", sa.String(length=32), nullable=False),
        sa.Column("creative_id", sa.String(length=32), nullable=False),
        sa.Column("user_id", sa.String(length=32), nullable=False),
        sa.Column("launch_id", sa.String(length=32), nullable=True),
        sa.Column("format", sa.String(length=16), nullable=False),
        sa.Column("house", sa.Boolean(), nullable=False),
        sa.Column("price_cpm", sa.BigInteger(), nullable=False),
        sa.Column("price", sa.BigInteger(), nullable=False),
        sa.Column("developer_share", sa.BigInteger(), nullable=False),
        sa.Column("platform_share", sa.BigInteger(), nullable=False),
        sa.Column("min_watch_ms", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("decided_at", openminis.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("shown_at", openminis.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("ended_at", openminis.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("clicked_at", openminis.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("watched_ms", sa.Integer(), nullable=True),
        sa.Column("visible", sa.Boolean(), nullable=True),
        sa.Column("rewarded", sa.Boolean(), nullable=False),
        sa.Column("billed_day", sa.Date(), nullable=True),
        sa.ForeignKeyConstraint(["app_id"], ["apps.id"], name=op.f("fk_impressions_app_id_apps"), ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["campaign_id"], ["campaigns.id"], name=op.f("fk_impressions_campaign_id_campaigns")),
        sa.ForeignKeyConstraint(["creative_id"], ["creatives.id"], name=op.f("fk_impressions_creative_id_creatives")),
        sa.ForeignKeyConstraint(
            ["unit_id"], ["ad_units.id"], name=op.f("fk_impressions_unit_id_ad_units"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_impressions_user_id_users"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_impressions")),
    )
    with op.batch_alter_table("impressions", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_impressions_app_id"), ["app_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_impressions_campaign_id"), ["campaign_id"], unique=False)
        batch_op.create_index("ix_impressions_unit_day", ["unit_id", "billed_day"], unique=False)
        batch_op.create_index(batch_op.f("ix_impressions_user_id"), ["user_id"], unique=False)

    op.create_table(
        "reward_grants",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("ad_id", sa.String(length=32), nullable=False),
        sa.Column("app_id", sa.String(length=40), nullable=False),
        sa.Column("unit_id", sa.String(length=32), nullable=False),
        sa.Column("user_id", sa.String(length=32), nullable=False),
        sa.Column("reward_type", sa.String(length=32), nullable=False),
        sa.Column("reward_amount", sa.Integer(), nullable=False),
        sa.Column("created_at", openminis.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("verified_at", openminis.db.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["ad_id"], ["impressions.id"], name=op.f("fk_reward_grants_ad_id_impressions"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(["app_id"], ["apps.id"], name=op.f("fk_reward_grants_app_id_apps"), ondelete="CASCADE"),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_reward_grants_user_id_users"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_reward_grants")),
        sa.UniqueConstraint("ad_id", name=op.f("uq_reward_grants_ad_id")),
    )
    with op.batch_alter_table("reward_grants", schema=None) as batch_op:
        batch_op.create_index("ix_reward_grants_app_created", ["app_id", "created_at"], unique=False)

    _currency_length(8, 16)


def downgrade() -> None:
    _currency_length(16, 8)
    with op.batch_alter_table("reward_grants", schema=None) as batch_op:
        batch_op.drop_index("ix_reward_grants_app_created")

    op.drop_table("reward_grants")
    with op.batch_alter_table("impressions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_impressions_user_id"))
        batch_op.drop_index("ix_impressions_unit_day")
        batch_op.drop_index(batch_op.f("ix_impressions_campaign_id"))
        batch_op.drop_index(batch_op.f("ix_impressions_app_id"))

    op.drop_table("impressions")
    with op.batch_alter_table("reward_attempts", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_reward_attempts_transaction_id"))
        batch_op.drop_index(batch_op.f("ix_reward_attempts_app_id"))

    op.drop_table("reward_attempts")
    with op.batch_alter_table("ad_units", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_ad_units_app_id"))

    op.drop_table("ad_units")
    op.drop_table("ad_settings")
    with op.batch_alter_table("creatives", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_creatives_campaign_id"))

    op.drop_table("creatives")
    op.drop_table("campaign_days")
    with op.batch_alter_table("campaigns", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_campaigns_advertiser_id"))

    op.drop_table("campaigns")
    op.drop_table("signing_keys")
    op.drop_table("advertisers")


def _currency_length(old: int, new: int) -> None:
    """Ledger currency codes get room for "USD_MICROS" (ads keep their amounts in micros of USD)."""
    bind = op.get_bind()
    if bind.dialect.name != "sqlite":
        for table in ("accounts", "ledger_transfers"):
            op.alter_column(
                table,
                "currency",
                existing_type=sa.String(length=old),
                type_=sa.String(length=new),
                existing_nullable=False,
            )
        return
    # SQLite enforces no VARCHAR length, so only the declared type changes: the stored CREATE TABLE
    # text is edited as SQLite documents for changes that leave the data as it is
    # (https://www.sqlite.org/lang_altertable.html#otheralter). Rebuilding the table (batch mode)
    # would fail: foreign keys are enforced and ledger entries point at the accounts.
    version = bind.exec_driver_sql("PRAGMA schema_version").scalar_one()
    bind.exec_driver_sql("PRAGMA writable_schema = ON")
    for table in ("accounts", "ledger_transfers"):
        bind.exec_driver_sql(
            "UPDATE sqlite_master SET sql = "
            f"replace(sql, 'currency VARCHAR({old}) NOT NULL', 'currency VARCHAR({new}) NOT NULL') "
            f"WHERE type = 'table' AND name = '{table}'"
        )
    bind.exec_driver_sql(f"PRAGMA schema_version = {version + 1}")
    bind.exec_driver_sql("PRAGMA writable_schema = OFF")
