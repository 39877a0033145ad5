"""jobs: a job enqueued behind waits for every other due job (a tournament's end told to the app's
backend never holds up an order's notification)

Revision ID: 0029
Revises: 0028
Create Date: 2026-12-06 08:45:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0029"
down_revision = "0028"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("jobs", schema=None) as batch_op:
        batch_op.add_column(sa.Column("behind", sa.Boolean(), nullable=False, server_default=sa.false()))


def downgrade() -> None:
    with op.batch_alter_table("jobs", schema=None) as batch_op:
        batch_op.drop_column("behind")
