"""payments: prices confirmed by the person, refunds exact under races

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-02 12:30:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # A subscription keeps the price its person confirmed: renewals charge it, not the pass's
    # price of the day. Subscriptions made before keep the price their pass has now.
    with op.batch_alter_table("subscriptions", schema=None) as batch_op:
        batch_op.add_column(sa.Column("price", sa.Integer(), nullable=True))
    op.execute(
        "UPDATE subscriptions SET price = "
        "(SELECT price FROM drama_passes WHERE drama_passes.id = subscriptions.pass_id)"
    )
    with op.batch_alter_table("subscriptions", schema=None) as batch_op:
        batch_op.alter_column("price", existing_type=sa.Integer(), nullable=False)


def downgrade() -> None:
    with op.batch_alter_table("subscriptions", schema=None) as batch_op:
        batch_op.drop_column("price")
