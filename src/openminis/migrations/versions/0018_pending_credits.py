"""pending credits: a credit to an app's earnings or the platform's revenue is recorded as a
pending entry and folded into the account's balance in batches, so that sales do not queue on
one row

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-03 19:00:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0018"
down_revision = "0017"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("ledger_entries") as batch_op:
        batch_op.add_column(sa.Column("pending", sa.Boolean(), server_default=sa.false(), nullable=False))
    op.create_index(
        "ix_ledger_entries_pending",
        "ledger_entries",
        ["account_id"],
        postgresql_where=sa.text("pending"),
        sqlite_where=sa.text("pending"),
    )


def downgrade() -> None:
    # Fold what is pending first: without the column, the cached balances are the whole truth.
    op.execute(
        "UPDATE accounts SET balance = balance + (SELECT COALESCE(SUM(amount), 0) FROM ledger_entries"
        " WHERE ledger_entries.account_id = accounts.id AND ledger_entries.pending)"
    )
    op.drop_index("ix_ledger_entries_pending", table_name="ledger_entries")
    with op.batch_alter_table("ledger_entries") as batch_op:
        batch_op.drop_column("pending")
