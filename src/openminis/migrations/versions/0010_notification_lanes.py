"""notifications: delivery lanes, circuit breaker, egress

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-02 12:30:00
"""

import sqlalchemy as sa
from alembic import op

import openminis.db

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "circuits",
        sa.Column("lane", sa.String(length=64), nullable=False),
        sa.Column("failures", sa.Integer(), nullable=False),
        sa.Column("open_until", openminis.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("updated_at", openminis.db.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("lane", name=op.f("pk_circuits")),
    )
    with op.batch_alter_table("jobs", schema=None) as batch_op:
        batch_op.add_column(sa.Column("lane", sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column("ref", sa.String(length=64), nullable=True))
        batch_op.create_index(batch_op.f("ix_jobs_ref"), ["ref"], unique=False)
    # Calls already queued go on their app's lane, and notifications can be found for a resend.
    if op.get_bind().dialect.name == "postgresql":
        op.execute(
            "UPDATE jobs SET lane = payload->>'app_id', ref = payload->'event'->>'id' WHERE kind = 'payments.notify'"
        )
        op.execute("UPDATE jobs SET ref = payload->>'transaction_id' WHERE kind = 'ads.verify_reward'")
    else:
        op.execute(
            "UPDATE jobs SET lane = json_extract(payload, '$.app_id'), ref = json_extract(payload, '$.event.id') "
            "WHERE kind = 'payments.notify'"
        )
        op.execute("UPDATE jobs SET ref = json_extract(payload, '$.transaction_id') WHERE kind = 'ads.verify_reward'")
    op.execute(
        "UPDATE jobs SET lane = (SELECT g.app_id FROM reward_grants g WHERE g.id = jobs.ref) "
        "WHERE kind = 'ads.verify_reward'"
    )

    for table in ("notification_attempts", "reward_attempts"):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.add_column(sa.Column("attempt", sa.Integer(), server_default="1", nullable=False))
            batch_op.add_column(sa.Column("next_attempt_at", openminis.db.UTCDateTime(timezone=True), nullable=True))
        # The log showed the first 200 characters of each failed reply, whoever had answered (an
        # internal service's secrets, through a URL that pointed inside): keep the status only.
        op.execute(f"UPDATE {table} SET error = 'HTTP ' || status_code WHERE status_code IS NOT NULL")


def downgrade() -> None:
    for table in ("reward_attempts", "notification_attempts"):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_column("next_attempt_at")
            batch_op.drop_column("attempt")

    with op.batch_alter_table("jobs", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_jobs_ref"))
        batch_op.drop_column("ref")
        batch_op.drop_column("lane")

    op.drop_table("circuits")
