"""payments: a top-up keeps the provider's id of its payment (Stripe's payment intent), so that a
refund or a dispute made at the provider finds it, and the most the provider has said it refunded
of it; a provider refund says who made it (the
platform, the provider, a dispute) and how many coins it could not take back

Revision ID: 0027
Revises: 0026
Create Date: 2026-12-05 03:00:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0027"
down_revision = "0026"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("topups", schema=None) as batch_op:
        batch_op.add_column(sa.Column("payment_ref", sa.String(length=128), nullable=True))
        batch_op.add_column(sa.Column("provider_refunded", sa.BigInteger(), nullable=False, server_default="0"))
        batch_op.create_index("ix_topups_payment_ref", ["payment_ref"], unique=False)
    with op.batch_alter_table("provider_refunds", schema=None) as batch_op:
        batch_op.add_column(sa.Column("origin", sa.String(length=16), nullable=False, server_default="platform"))
        batch_op.add_column(sa.Column("coins_unrecovered", sa.Integer(), nullable=False, server_default="0"))


def downgrade() -> None:
    with op.batch_alter_table("provider_refunds", schema=None) as batch_op:
        batch_op.drop_column("coins_unrecovered")
        batch_op.drop_column("origin")
    with op.batch_alter_table("topups", schema=None) as batch_op:
        batch_op.drop_index("ix_topups_payment_ref")
        batch_op.drop_column("provider_refunded")
        batch_op.drop_column("payment_ref")
