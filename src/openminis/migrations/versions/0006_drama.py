"""drama

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-27 13:19:36.747405
"""

import sqlalchemy as sa
from alembic import op

import openminis.db

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "series",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("app_id", sa.String(length=40), nullable=False),
        sa.Column("title", sa.String(length=120), nullable=False),
        sa.Column("synopsis", sa.Text(), nullable=False),
        sa.Column("genres", sa.JSON(), nullable=False),
        sa.Column("language", sa.String(length=16), nullable=False),
        sa.Column("age_rating", sa.String(length=8), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("free_episodes", sa.Integer(), nullable=False),
        sa.Column("episode_price", sa.Integer(), nullable=False),
        sa.Column("series_price", sa.Integer(), nullable=True),
        sa.Column("ad_unlock", sa.Boolean(), nullable=False),
        sa.Column("ad_unlocks_per_day", sa.Integer(), nullable=False),
        sa.Column("created_at", openminis.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("published_at", openminis.db.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["app_id"], ["apps.id"], name=op.f("fk_series_app_id_apps"), ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_series")),
    )
    with op.batch_alter_table("series", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_series_app_id"), ["app_id"], unique=False)

    op.create_table(
        "drama_passes",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("app_id", sa.String(length=40), nullable=False),
        sa.Column("series_id", sa.String(length=32), nullable=True),
        sa.Column("title", sa.String(length=80), nullable=False),
        sa.Column("period_days", sa.Integer(), nullable=False),
        sa.Column("price", sa.Integer(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(["app_id"], ["apps.id"], name=op.f("fk_drama_passes_app_id_apps"), ondelete="CASCADE"),
        sa.ForeignKeyConstraint(
            ["series_id"], ["series.id"], name=op.f("fk_drama_passes_series_id_series"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_drama_passes")),
    )
    with op.batch_alter_table("drama_passes", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_drama_passes_app_id"), ["app_id"], unique=False)

    op.create_table(
        "episodes",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("series_id", sa.String(length=32), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(length=120), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("progress", sa.Integer(), nullable=False),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("duration_ms", sa.Integer(), nullable=False),
        sa.Column("media_key", sa.String(length=80), nullable=True),
        sa.Column("created_at", openminis.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", openminis.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["series_id"], ["series.id"], name=op.f("fk_episodes_series_id_series"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_episodes")),
        sa.UniqueConstraint("series_id", "number", name=op.f("uq_episodes_series_id")),
    )
    with op.batch_alter_table("episodes", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_episodes_series_id"), ["series_id"], unique=False)

    op.create_table(
        "series_unlocks",
        sa.Column("user_id", sa.String(length=32), nullable=False),
        sa.Column("series_id", sa.String(length=32), nullable=False),
        sa.Column("created_at", openminis.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["series_id"], ["series.id"], name=op.f("fk_series_unlocks_series_id_series"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_series_unlocks_user_id_users"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("user_id", "series_id", name=op.f("pk_series_unlocks")),
    )
    op.create_table(
        "watch_progress",
        sa.Column("user_id", sa.String(length=32), nullable=False),
        sa.Column("series_id", sa.String(length=32), nullable=False),
        sa.Column("episode_number", sa.Integer(), nullable=False),
        sa.Column("position_ms", sa.Integer(), nullable=False),
        sa.Column("updated_at", openminis.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["series_id"], ["series.id"], name=op.f("fk_watch_progress_series_id_series"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_watch_progress_user_id_users"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("user_id", "series_id", name=op.f("pk_watch_progress")),
    )
    op.create_table(
        "episode_unlocks",
        sa.Column("user_id", sa.String(length=32), nullable=False),
        sa.Column("episode_id", sa.String(length=32), nullable=False),
        sa.Column("series_id", sa.String(length=32), nullable=False),
        sa.Column("method", sa.String(length=16), nullable=False),
        sa.Column("ad_id", sa.String(length=32), nullable=True),
        sa.Column("created_at", openminis.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["episode_id"], ["episodes.id"], name=op.f("fk_episode_unlocks_episode_id_episodes"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["series_id"], ["series.id"], name=op.f("fk_episode_unlocks_series_id_series"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_episode_unlocks_user_id_users"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("user_id", "episode_id", name=op.f("pk_episode_unlocks")),
        sa.UniqueConstraint("ad_id", name=op.f("uq_episode_unlocks_ad_id")),
    )
    with op.batch_alter_table("episode_unlocks", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_episode_unlocks_series_id"), ["series_id"], unique=False)

    op.create_table(
        "subscriptions",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("user_id", sa.String(length=32), nullable=False),
        sa.Column("pass_id", sa.String(length=32), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("period", sa.Integer(), nullable=False),
        sa.Column("current_period_end", openminis.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("created_at", openminis.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["pass_id"], ["drama_passes.id"], name=op.f("fk_subscriptions_pass_id_drama_passes"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_subscriptions_user_id_users"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_subscriptions")),
        sa.UniqueConstraint("user_id", "pass_id", name=op.f("uq_subscriptions_user_id")),
    )
    with op.batch_alter_table("subscriptions", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_subscriptions_user_id"), ["user_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("subscriptions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_subscriptions_user_id"))

    op.drop_table("subscriptions")
    with op.batch_alter_table("episode_unlocks", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_episode_unlocks_series_id"))

    op.drop_table("episode_unlocks")
    op.drop_table("watch_progress")
    op.drop_table("series_unlocks")
    with op.batch_alter_table("episodes", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_episodes_series_id"))

    op.drop_table("episodes")
    with op.batch_alter_table("drama_passes", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_drama_passes_app_id"))

    op.drop_table("drama_passes")
    with op.batch_alter_table("series", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_series_app_id"))

    op.drop_table("series")
