"""payments: a coupon's ``maker_id``, the person of staff who made it, who may not claim it by its
code nor be granted it. Coupons made before this migration have none

Revision ID: 0033
Revises: 0032
Create Date: 2026-12-06 23:20:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0033"
down_revision = "0032"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("coupons", schema=None) as batch_op:
        batch_op.add_column(sa.Column("maker_id", sa.String(length=32), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("coupons", schema=None) as batch_op:
        batch_op.drop_column("maker_id")
