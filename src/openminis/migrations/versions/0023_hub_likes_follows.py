"""hub: likes of posts and follows of creators

Revision ID: 0023
Revises: 0022
Create Date: 2026-12-03 22:30:00
"""

import sqlalchemy as sa
from alembic import op

import openminis.db

revision = "0023"
down_revision = "0022"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "post_likes",
        sa.Column("post_id", sa.String(length=32), sa.ForeignKey("posts.id", ondelete="CASCADE"), nullable=False),
        sa.Column("user_id", sa.String(length=32), sa.ForeignKey("users.id", ondelete="CASCADE"), nullable=False),
        sa.Column("created_at", openminis.db.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("post_id", "user_id"),
    )
    op.create_index("ix_post_likes_user_id", "post_likes", ["user_id"])
    op.create_table(
        "follows",
        sa.Column(
            "creator_id", sa.String(length=32), sa.ForeignKey("creators.user_id", ondelete="CASCADE"), nullable=False
        ),
        sa.Column("follower_id", sa.String(length=32), sa.ForeignKey("users.id", ondelete="CASCADE"), nullable=False),
        sa.Column("created_at", openminis.db.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("creator_id", "follower_id"),
    )
    op.create_index("ix_follows_follower_id", "follows", ["follower_id"])


def downgrade() -> None:
    op.drop_index("ix_follows_follower_id", table_name="follows")
    op.drop_table("follows")
    op.drop_index("ix_post_likes_user_id", table_name="post_likes")
    op.drop_table("post_likes")
