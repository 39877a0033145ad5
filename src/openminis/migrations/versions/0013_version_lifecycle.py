"""versions' life: states, check reports, history, staged release; app teams

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-03 07:10:00

Versions published before this revision were live at once: they become ``released`` (the app's
latest) or ``superseded``, all public, and each app's latest version becomes its released one.
"""

import sqlalchemy as sa
from alembic import op

import openminis.db

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("apps", schema=None) as batch_op:
        batch_op.alter_column("latest_version", new_column_name="released_version")
        batch_op.add_column(sa.Column("staged_version", sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column("staged_percent", sa.Integer(), server_default="0", nullable=False))
    with op.batch_alter_table("app_versions", schema=None) as batch_op:
        batch_op.add_column(sa.Column("state", sa.String(length=16), server_default="released", nullable=False))
        batch_op.add_column(sa.Column("check_report", sa.JSON(), nullable=True))
        batch_op.add_column(sa.Column("public", sa.Boolean(), server_default=sa.true(), nullable=False))
        batch_op.create_index("ix_app_versions_state", ["state"], unique=False)
    op.execute(
        "UPDATE app_versions SET state = 'superseded' WHERE version <> "
        "(SELECT apps.released_version FROM apps WHERE apps.id = app_versions.app_id)"
    )
    op.create_table(
        "version_events",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("app_id", sa.String(length=40), nullable=False),
        sa.Column("version", sa.String(length=64), nullable=False),
        sa.Column("action", sa.String(length=24), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("actor", sa.String(length=120), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("at", openminis.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["app_id"], ["apps.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_version_events_app_id", "version_events", ["app_id"], unique=False)
    op.create_index("ix_version_events_at", "version_events", ["at"], unique=False)
    op.create_table(
        "app_members",
        sa.Column("app_id", sa.String(length=40), nullable=False),
        sa.Column("developer_id", sa.String(length=32), nullable=False),
        sa.Column("role", sa.String(length=16), nullable=False),
        sa.Column("added_at", openminis.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["app_id"], ["apps.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["developer_id"], ["developers.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("app_id", "developer_id"),
    )
    op.create_index("ix_app_members_developer_id", "app_members", ["developer_id"], unique=False)
    op.create_table(
        "app_invites",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("app_id", sa.String(length=40), nullable=False),
        sa.Column("email", sa.String(length=254), nullable=False),
        sa.Column("role", sa.String(length=16), nullable=False),
        sa.Column("invited_by", sa.String(length=32), nullable=True),
        sa.Column("created_at", openminis.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("accepted_at", openminis.db.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["app_id"], ["apps.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["invited_by"], ["developers.id"], ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("app_id", "email"),
    )
    # The owning developer of each existing app is its team's owner.
    op.execute(
        "INSERT INTO app_members (app_id, developer_id, role, added_at) "
        "SELECT id, developer_id, 'owner', created_at FROM apps WHERE developer_id IS NOT NULL"
    )
    op.create_table(
        "staff",
        sa.Column("user_id", sa.String(length=32), nullable=False),
        sa.Column("role", sa.String(length=16), nullable=False),
        sa.Column("added_at", openminis.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("user_id"),
    )


def downgrade() -> None:
    op.drop_table("staff")
    op.drop_table("app_invites")
    op.drop_index("ix_app_members_developer_id", table_name="app_members")
    op.drop_table("app_members")
    op.drop_index("ix_version_events_at", table_name="version_events")
    op.drop_index("ix_version_events_app_id", table_name="version_events")
    op.drop_table("version_events")
    with op.batch_alter_table("app_versions", schema=None) as batch_op:
        batch_op.drop_index("ix_app_versions_state")
        batch_op.drop_column("public")
        batch_op.drop_column("check_report")
        batch_op.drop_column("state")
    with op.batch_alter_table("apps", schema=None) as batch_op:
        batch_op.drop_column("staged_percent")
        batch_op.drop_column("staged_version")
        batch_op.alter_column("released_version", new_column_name="latest_version")
