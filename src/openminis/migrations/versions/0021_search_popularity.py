"""search: indexes for this week's launches per app and viewers per series (search's popularity)

Revision ID: 0021
Revises: 0020
Create Date: 2026-12-03 23:00:00
"""

from alembic import op

revision = "0021"
down_revision = "0020"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_launches_app_time", "launches", ["app_id", "created_at"], unique=False)
    op.create_index("ix_watch_progress_series_time", "watch_progress", ["series_id", "updated_at"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_watch_progress_series_time", table_name="watch_progress")
    op.drop_index("ix_launches_app_time", table_name="launches")
