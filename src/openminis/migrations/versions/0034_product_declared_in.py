"""payments: a product's ``declared_in``, "manifest" or "api": a release retires only the products
its manifests declared, and leaves those made through the console or the Open API. Products made
before this migration are taken as the manifest's, which is how every release treated them

Revision ID: 0034
Revises: 0033
Create Date: 2026-12-07 10:00:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0034"
down_revision = "0033"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("products", schema=None) as batch_op:
        batch_op.add_column(sa.Column("declared_in", sa.String(length=8), nullable=False, server_default="manifest"))


def downgrade() -> None:
    with op.batch_alter_table("products", schema=None) as batch_op:
        batch_op.drop_column("declared_in")
