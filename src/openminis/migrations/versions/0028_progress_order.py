"""drama: a watch progress save says which page made it and its number among that page's saves,
so that an older save of the same page answered late does not replace a newer one

Revision ID: 0028
Revises: 0027
Create Date: 2026-12-05 18:00:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0028"
down_revision = "0027"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("watch_progress", schema=None) as batch_op:
        batch_op.add_column(sa.Column("page", sa.String(length=32), nullable=True))
        batch_op.add_column(sa.Column("seq", sa.Integer(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("watch_progress", schema=None) as batch_op:
        batch_op.drop_column("seq")
        batch_op.drop_column("page")
