"""traffic that counts: ad show tokens, event dedup

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-02 12:30:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "ad_invalid_traffic",
        sa.Column("campaign_id", sa.String(length=32), nullable=False),
        sa.Column("app_id", sa.String(length=40), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("reason", sa.String(length=24), nullable=False),
        sa.Column("count", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["app_id"], ["apps.id"], name=op.f("fk_ad_invalid_traffic_app_id_apps"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["campaign_id"],
            ["campaigns.id"],
            name=op.f("fk_ad_invalid_traffic_campaign_id_campaigns"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("campaign_id", "app_id", "day", "reason", name=op.f("pk_ad_invalid_traffic")),
    )
    with op.batch_alter_table("impressions", schema=None) as batch_op:
        batch_op.add_column(sa.Column("show_token", sa.String(length=32), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("impressions", schema=None) as batch_op:
        batch_op.drop_column("show_token")

    op.drop_table("ad_invalid_traffic")
