"""wallet: a guest's wallet forwards to the account the guest signed in to (accounts.forward_to), so
that coins reaching the guest after the sign-in (a refund, a late payment) land on the account

Revision ID: 0030
Revises: 0029
Create Date: 2026-12-07 09:00:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0030"
down_revision = "0029"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # An account's id, with no foreign key: accounts are never deleted, and SQLite adds a key only
    # by making the table anew, which the ledger's entries, referring to it, would not survive
    # (no batch mode either way: an ALTER of its own, on SQLite as on PostgreSQL).
    op.add_column("accounts", sa.Column("forward_to", sa.Integer(), nullable=True))


def downgrade() -> None:
    op.drop_column("accounts", "forward_to")
