"""creators

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-27 14:36:15.310055
"""

import sqlalchemy as sa
from alembic import op

import openminis.db

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "creators",
        sa.Column("user_id", sa.String(length=32), nullable=False),
        sa.Column("handle", sa.String(length=32), nullable=False),
        sa.Column("display_name", sa.String(length=60), nullable=False),
        sa.Column("bio", sa.String(length=200), nullable=False),
        sa.Column("created_at", openminis.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], name=op.f("fk_creators_user_id_users"), ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("user_id", name=op.f("pk_creators")),
        sa.UniqueConstraint("handle", name=op.f("uq_creators_handle")),
    )
    op.create_table(
        "conversions",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("ref", sa.String(length=120), nullable=False),
        sa.Column("app_id", sa.String(length=40), nullable=False),
        sa.Column("user_id", sa.String(length=32), nullable=False),
        sa.Column("launch_id", sa.String(length=32), nullable=True),
        sa.Column("source", sa.String(length=32), nullable=True),
        sa.Column("creator_id", sa.String(length=32), nullable=True),
        sa.Column("post_id", sa.String(length=32), nullable=True),
        sa.Column("first_creator_id", sa.String(length=32), nullable=True),
        sa.Column("first_post_id", sa.String(length=32), nullable=True),
        sa.Column("currency", sa.String(length=16), nullable=False),
        sa.Column("revenue", sa.BigInteger(), nullable=False),
        sa.Column("developer_net", sa.BigInteger(), nullable=False),
        sa.Column("commission", sa.BigInteger(), nullable=False),
        sa.Column("clawed_back", sa.BigInteger(), nullable=False),
        sa.Column("at", openminis.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["app_id"], ["apps.id"], name=op.f("fk_conversions_app_id_apps"), ondelete="CASCADE"),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_conversions_user_id_users"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_conversions")),
        sa.UniqueConstraint("ref", name=op.f("uq_conversions_ref")),
    )
    with op.batch_alter_table("conversions", schema=None) as batch_op:
        batch_op.create_index("ix_conversions_app_at", ["app_id", "at"], unique=False)
        batch_op.create_index("ix_conversions_creator_at", ["creator_id", "at"], unique=False)
        batch_op.create_index(batch_op.f("ix_conversions_user_id"), ["user_id"], unique=False)

    op.create_table(
        "posts",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("creator_id", sa.String(length=32), nullable=False),
        sa.Column("caption", sa.String(length=300), nullable=False),
        sa.Column("category", sa.String(length=32), nullable=False),
        sa.Column("anchor_kind", sa.String(length=16), nullable=True),
        sa.Column("anchor_app_id", sa.String(length=40), nullable=True),
        sa.Column("anchor_series_id", sa.String(length=32), nullable=True),
        sa.Column("anchor_episode", sa.Integer(), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("progress", sa.Integer(), nullable=False),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("media_key", sa.String(length=80), nullable=True),
        sa.Column("duration_ms", sa.Integer(), nullable=False),
        sa.Column("created_at", openminis.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("published_at", openminis.db.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["anchor_app_id"], ["apps.id"], name=op.f("fk_posts_anchor_app_id_apps"), ondelete="SET NULL"
        ),
        sa.ForeignKeyConstraint(
            ["anchor_series_id"], ["series.id"], name=op.f("fk_posts_anchor_series_id_series"), ondelete="SET NULL"
        ),
        sa.ForeignKeyConstraint(
            ["creator_id"], ["creators.user_id"], name=op.f("fk_posts_creator_id_creators"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_posts")),
    )
    with op.batch_alter_table("posts", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_posts_anchor_app_id"), ["anchor_app_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_posts_creator_id"), ["creator_id"], unique=False)
        batch_op.create_index("ix_posts_status_published", ["status", "published_at"], unique=False)

    with op.batch_alter_table("launches", schema=None) as batch_op:
        batch_op.add_column(sa.Column("post_id", sa.String(length=32), nullable=True))
        batch_op.add_column(sa.Column("creator_id", sa.String(length=32), nullable=True))
        batch_op.add_column(sa.Column("sharer_id", sa.String(length=32), nullable=True))
        batch_op.create_index("ix_launches_touches", ["user_id", "app_id", "created_at"], unique=False)

    with op.batch_alter_table("payment_settings", schema=None) as batch_op:
        batch_op.add_column(sa.Column("creator_commission_bps", sa.Integer(), server_default="1000", nullable=False))

    # ### end Alembic commands ###


def downgrade() -> None:
    with op.batch_alter_table("payment_settings", schema=None) as batch_op:
        batch_op.drop_column("creator_commission_bps")

    with op.batch_alter_table("launches", schema=None) as batch_op:
        batch_op.drop_index("ix_launches_touches")
        batch_op.drop_column("sharer_id")
        batch_op.drop_column("creator_id")
        batch_op.drop_column("post_id")

    with op.batch_alter_table("posts", schema=None) as batch_op:
        batch_op.drop_index("ix_posts_status_published")
        batch_op.drop_index(batch_op.f("ix_posts_creator_id"))
        batch_op.drop_index(batch_op.f("ix_posts_anchor_app_id"))

    op.drop_table("posts")
    with op.batch_alter_table("conversions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_conversions_user_id"))
        batch_op.drop_index("ix_conversions_creator_at")
        batch_op.drop_index("ix_conversions_app_at")

    op.drop_table("conversions")
    op.drop_table("creators")
    # ### end Alembic commands ###
