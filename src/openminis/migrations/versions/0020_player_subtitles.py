"""player subtitles: an episode's WebVTT subtitles by language, and the layout of its
scrubber preview sprite

Revision ID: 0020
Revises: 0019
Create Date: 2026-12-03 23:00:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0020"
down_revision = "0019"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("episodes") as batch_op:
        batch_op.add_column(sa.Column("subtitles", sa.JSON(), server_default="{}", nullable=False))
        batch_op.add_column(sa.Column("preview", sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("episodes") as batch_op:
        batch_op.drop_column("preview")
        batch_op.drop_column("subtitles")
