"""messages: templates made through the Open API wait for a reviewer; the text proposed beside the
approved one in effect, the reviewer's note, a revision per text submitted, when first approved

Revision ID: 0026
Revises: 0025
Create Date: 2026-12-04 12:40:00
"""

import sqlalchemy as sa
from alembic import op

import openminis.db

revision = "0026"
down_revision = "0025"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("message_templates", schema=None) as batch_op:
        batch_op.add_column(sa.Column("proposed_title", sa.String(length=40), nullable=True))
        batch_op.add_column(sa.Column("proposed_fields", sa.JSON(), nullable=True))
        batch_op.add_column(sa.Column("proposed_kind", sa.String(length=10), nullable=True))
        batch_op.add_column(sa.Column("review_note", sa.Text(), nullable=False, server_default=""))
        batch_op.add_column(sa.Column("revision", sa.Integer(), nullable=False, server_default="0"))
        batch_op.add_column(sa.Column("approved_at", openminis.db.UTCDateTime(timezone=True), nullable=True))
    # Every template so far was approved as it was made.
    op.execute("UPDATE message_templates SET approved_at = created_at")


def downgrade() -> None:
    # Before review, a template was approved or nothing: one never approved is dropped with its grants.
    op.execute("DELETE FROM message_templates WHERE approved_at IS NULL")
    op.execute("UPDATE message_templates SET state = 'approved'")
    with op.batch_alter_table("message_templates", schema=None) as batch_op:
        batch_op.drop_column("approved_at")
        batch_op.drop_column("revision")
        batch_op.drop_column("review_note")
        batch_op.drop_column("proposed_kind")
        batch_op.drop_column("proposed_fields")
        batch_op.drop_column("proposed_title")
