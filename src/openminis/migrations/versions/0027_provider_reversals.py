"""payments: a top-up keeps the provider's id of its payment (Stripe's payment intent), so that a
refund or a dispute made at the provider finds it; a provider refund says who made it (the
platform, the provider, a dispute), the coins it took back and those it could not

Revision ID: 0027
Revises: 0026
Create Date: 2026-12-05 03:00:00
"""

import sqlalchemy as sa
from alembic import op

import openminis.db

revision = "0027"
down_revision = "0026"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("topups", schema=None) as batch_op:
        batch_op.add_column(sa.Column("payment_ref", sa.String(length=128), nullable=True))
        batch_op.create_index("ix_topups_payment_ref", ["payment_ref"], unique=False)
    with op.batch_alter_table("provider_refunds", schema=None) as batch_op:
        batch_op.add_column(sa.Column("origin", sa.String(length=16), nullable=False, server_default="platform"))
        batch_op.add_column(sa.Column("coins", sa.BigInteger(), nullable=False, server_default="0"))
        batch_op.add_column(sa.Column("coins_unrecovered", sa.BigInteger(), nullable=False, server_default="0"))
        batch_op.add_column(sa.Column("failed_at", openminis.db.UTCDateTime(timezone=True), nullable=True))
    # The coins each refund so far took back are its coin transfer's ("refund:<rest>" ->
    # "refund-coins:<rest>"); the undone ones' too (they no longer stand, so they are not summed).
    op.execute(
        "UPDATE provider_refunds SET coins = COALESCE((SELECT amount FROM ledger_transfers"
        " WHERE idempotency_key = 'refund-coins:' || substr(provider_refunds.key, 8)), 0)"
    )


def downgrade() -> None:
    with op.batch_alter_table("provider_refunds", schema=None) as batch_op:
        batch_op.drop_column("failed_at")
        batch_op.drop_column("coins_unrecovered")
        batch_op.drop_column("coins")
        batch_op.drop_column("origin")
    with op.batch_alter_table("topups", schema=None) as batch_op:
        batch_op.drop_index("ix_topups_payment_ref")
        batch_op.drop_column("payment_ref")
