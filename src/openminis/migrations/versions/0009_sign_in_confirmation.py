"""identity: sign-in links confirmed in the host, verified emails

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-02 12:30:00
"""

import sqlalchemy as sa
from alembic import op

import openminis.db

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "email_verifications",
        sa.Column("user_id", sa.String(length=32), nullable=False),
        sa.Column("email", sa.String(length=254), nullable=False),
        sa.Column("password_hash", sa.Text(), nullable=True),
        sa.Column("code_hash", sa.String(length=64), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("created_at", openminis.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("expires_at", openminis.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_email_verifications_user_id_users"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("user_id", name=op.f("pk_email_verifications")),
    )
    with op.batch_alter_table("email_verifications", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_email_verifications_email"), ["email"], unique=False)

    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.add_column(sa.Column("email_verified_at", openminis.db.UTCDateTime(timezone=True), nullable=True))
    # Accounts made by a sign-in link proved their email by opening it; accounts registered with a
    # password before verification existed did not, and give the email up when its owner proves it.
    op.execute("UPDATE users SET email_verified_at = created_at WHERE email IS NOT NULL AND password_hash IS NULL")

    with op.batch_alter_table("sign_in_links", schema=None) as batch_op:
        batch_op.add_column(sa.Column("browser_hash", sa.String(length=64), nullable=True))
    # Links sent before this change signed in on a plain GET and belong to no browser: void them.
    op.execute("UPDATE sign_in_links SET used_at = created_at WHERE used_at IS NULL")


def downgrade() -> None:
    with op.batch_alter_table("sign_in_links", schema=None) as batch_op:
        batch_op.drop_column("browser_hash")

    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.drop_column("email_verified_at")

    with op.batch_alter_table("email_verifications", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_email_verifications_email"))

    op.drop_table("email_verifications")
