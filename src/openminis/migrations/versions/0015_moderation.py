"""moderation: reports, takedowns and appeals; an app's and a creator's takedown flags

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-03 08:00:00
"""

import sqlalchemy as sa
from alembic import op

import openminis.db

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("apps", schema=None) as batch_op:
        batch_op.add_column(sa.Column("taken_down_at", openminis.db.UTCDateTime(timezone=True), nullable=True))
    with op.batch_alter_table("creators", schema=None) as batch_op:
        batch_op.add_column(sa.Column("suspended_at", openminis.db.UTCDateTime(timezone=True), nullable=True))
    op.create_table(
        "moderation_reports",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("item_id", sa.String(length=120), nullable=False),
        sa.Column("reporter_id", sa.String(length=32), nullable=False),
        sa.Column("reason", sa.String(length=24), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("is_open", sa.Boolean(), nullable=True),
        sa.Column("outcome", sa.String(length=16), nullable=False),
        sa.Column("created_at", openminis.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", openminis.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("closed_at", openminis.db.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["reporter_id"], ["users.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("kind", "item_id", "reporter_id", "is_open", name="uq_moderation_reports_open"),
    )
    op.create_index("ix_moderation_reports_item", "moderation_reports", ["kind", "item_id"], unique=False)
    op.create_index("ix_moderation_reports_reporter_id", "moderation_reports", ["reporter_id"], unique=False)
    op.create_index("ix_moderation_reports_is_open", "moderation_reports", ["is_open"], unique=False)
    op.create_table(
        "moderation_takedowns",
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("item_id", sa.String(length=120), nullable=False),
        sa.Column("down", sa.Boolean(), nullable=False),
        sa.Column("reason", sa.String(length=24), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("actor", sa.String(length=200), nullable=False),
        sa.Column("round", sa.Integer(), nullable=False),
        sa.Column("at", openminis.db.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("kind", "item_id"),
    )
    op.create_index("ix_moderation_takedowns_down", "moderation_takedowns", ["down"], unique=False)
    op.create_table(
        "moderation_appeals",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("item_id", sa.String(length=120), nullable=False),
        sa.Column("round", sa.Integer(), nullable=False),
        sa.Column("appellant_id", sa.String(length=32), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("answer", sa.Text(), nullable=False),
        sa.Column("answered_by", sa.String(length=200), nullable=True),
        sa.Column("created_at", openminis.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("answered_at", openminis.db.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["appellant_id"], ["users.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("kind", "item_id", "round", name="uq_moderation_appeals_round"),
    )
    op.create_index("ix_moderation_appeals_appellant_id", "moderation_appeals", ["appellant_id"], unique=False)
    op.create_index("ix_moderation_appeals_status", "moderation_appeals", ["status"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_moderation_appeals_status", table_name="moderation_appeals")
    op.drop_index("ix_moderation_appeals_appellant_id", table_name="moderation_appeals")
    op.drop_table("moderation_appeals")
    op.drop_index("ix_moderation_takedowns_down", table_name="moderation_takedowns")
    op.drop_table("moderation_takedowns")
    op.drop_index("ix_moderation_reports_is_open", table_name="moderation_reports")
    op.drop_index("ix_moderation_reports_reporter_id", table_name="moderation_reports")
    op.drop_index("ix_moderation_reports_item", table_name="moderation_reports")
    op.drop_table("moderation_reports")
    with op.batch_alter_table("creators", schema=None) as batch_op:
        batch_op.drop_column("suspended_at")
    with op.batch_alter_table("apps", schema=None) as batch_op:
        batch_op.drop_column("taken_down_at")
