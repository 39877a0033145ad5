"""favourites: the apps a person keeps at hand (the launcher's "..." menu)

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-03 22:30:00
"""

import sqlalchemy as sa
from alembic import op

import openminis.db

revision = "0019"
down_revision = "0018"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "favourites",
        sa.Column("user_id", sa.String(length=32), nullable=False),
        sa.Column("app_id", sa.String(length=40), nullable=False),
        sa.Column("created_at", openminis.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["app_id"], ["apps.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("user_id", "app_id"),
    )
    op.create_index(op.f("ix_favourites_created_at"), "favourites", ["created_at"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_favourites_created_at"), table_name="favourites")
    op.drop_table("favourites")
