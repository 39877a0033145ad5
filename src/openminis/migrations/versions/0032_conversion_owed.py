"""attribution: a conversion's ``owed``, the commission the platform covered for its creator on a
refund (their earnings no longer held it) and has not had back; a payout that comes back to the
creator gives it back first. Coverage recorded before this migration is not counted: it starts at 0

Revision ID: 0032
Revises: 0031
Create Date: 2026-12-06 21:20:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0032"
down_revision = "0031"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("conversions", schema=None) as batch_op:
        batch_op.add_column(sa.Column("owed", sa.BigInteger(), nullable=False, server_default="0"))


def downgrade() -> None:
    with op.batch_alter_table("conversions", schema=None) as batch_op:
        batch_op.drop_column("owed")
