"""social: leaderboards and their scores, contexts (a share chain, a tournament) with their
members, and app shares with a payload (docs/social.md)

Revision ID: 0022
Revises: 0021
Create Date: 2026-12-03 23:00:00
"""

import sqlalchemy as sa
from alembic import op

import openminis.db

revision = "0022"
down_revision = "0021"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "leaderboards",
        sa.Column("app_id", sa.String(length=40), nullable=False),
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("sort", sa.String(length=4), nullable=False),
        sa.Column("format", sa.String(length=16), nullable=False),
        sa.Column("reset", sa.String(length=8), nullable=False),
        sa.Column("timezone", sa.String(length=64), nullable=False),
        sa.Column("client_scores", sa.Boolean(), nullable=False),
        sa.Column("max_score", sa.BigInteger(), nullable=True),
        sa.Column("declared_in", sa.String(length=8), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("updated_at", openminis.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["app_id"], ["apps.id"], name=op.f("fk_leaderboards_app_id_apps"), ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("app_id", "id", name=op.f("pk_leaderboards")),
    )
    op.create_table(
        "social_contexts",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("app_id", sa.String(length=40), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("created_by", sa.String(length=32), nullable=True),
        sa.Column("board_id", sa.String(length=64), nullable=True),
        sa.Column("ends_at", openminis.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("ended_at", openminis.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("created_at", openminis.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["app_id"], ["apps.id"], name=op.f("fk_social_contexts_app_id_apps"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["created_by"], ["users.id"], name=op.f("fk_social_contexts_created_by_users"), ondelete="SET NULL"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_social_contexts")),
    )
    op.create_index(op.f("ix_social_contexts_app_id"), "social_contexts", ["app_id"], unique=False)
    op.create_table(
        "app_shares",
        sa.Column("token", sa.String(length=32), nullable=False),
        sa.Column("app_id", sa.String(length=40), nullable=False),
        sa.Column("sharer_id", sa.String(length=32), nullable=False),
        sa.Column("context_id", sa.String(length=32), nullable=False),
        sa.Column("title", sa.String(length=120), nullable=False),
        sa.Column("image", sa.String(length=200), nullable=True),
        sa.Column("query", sa.JSON(), nullable=False),
        sa.Column("created_at", openminis.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["app_id"], ["apps.id"], name=op.f("fk_app_shares_app_id_apps"), ondelete="CASCADE"),
        sa.ForeignKeyConstraint(
            ["context_id"],
            ["social_contexts.id"],
            name=op.f("fk_app_shares_context_id_social_contexts"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["sharer_id"], ["users.id"], name=op.f("fk_app_shares_sharer_id_users"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("token", name=op.f("pk_app_shares")),
    )
    op.create_index(op.f("ix_app_shares_app_id"), "app_shares", ["app_id"], unique=False)
    op.create_index(op.f("ix_app_shares_sharer_id"), "app_shares", ["sharer_id"], unique=False)
    op.create_table(
        "leaderboard_scores",
        sa.Column("app_id", sa.String(length=40), nullable=False),
        sa.Column("board_id", sa.String(length=64), nullable=False),
        sa.Column("period", sa.String(length=40), nullable=False),
        sa.Column("user_id", sa.String(length=32), nullable=False),
        sa.Column("score", sa.BigInteger(), nullable=False),
        sa.Column("at", openminis.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["app_id", "board_id"],
            ["leaderboards.app_id", "leaderboards.id"],
            name=op.f("fk_leaderboard_scores_app_id_leaderboards"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_leaderboard_scores_user_id_users"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("app_id", "board_id", "period", "user_id", name=op.f("pk_leaderboard_scores")),
    )
    op.create_index(
        "ix_leaderboard_scores_rank", "leaderboard_scores", ["app_id", "board_id", "period", "score"], unique=False
    )
    op.create_index(op.f("ix_leaderboard_scores_user_id"), "leaderboard_scores", ["user_id"], unique=False)
    op.create_table(
        "social_context_members",
        sa.Column("context_id", sa.String(length=32), nullable=False),
        sa.Column("user_id", sa.String(length=32), nullable=False),
        sa.Column("joined_at", openminis.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["context_id"],
            ["social_contexts.id"],
            name=op.f("fk_social_context_members_context_id_social_contexts"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_social_context_members_user_id_users"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("context_id", "user_id", name=op.f("pk_social_context_members")),
    )
    op.create_index(op.f("ix_social_context_members_user_id"), "social_context_members", ["user_id"], unique=False)


def downgrade() -> None:
    op.drop_table("social_context_members")
    op.drop_table("leaderboard_scores")
    op.drop_table("app_shares")
    op.drop_table("social_contexts")
    op.drop_table("leaderboards")
