"""people's data: viewer-bound media, account deletion

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-02 12:30:00
"""

import sqlalchemy as sa
from alembic import op

import openminis.db

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.add_column(sa.Column("erased_at", openminis.db.UTCDateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.drop_column("erased_at")
