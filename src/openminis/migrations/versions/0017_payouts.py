"""payouts: policies, payout accounts, payouts and their events, the sandbox's book; provider refunds; and the
transfer a refund reverses

``ledger_transfers.reverses`` is filled for the refunds made before it, from their keys: an
order's refund ``order:<id>:refund:<key>`` reverses ``order:<id>:pay``; an item's refund
``refund:<item>:<key>`` reverses ``<item>`` (an unlock, a series, a pass period).

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-03 10:00:00
"""

import sqlalchemy as sa
from alembic import op

import openminis.db

revision = "0017"
down_revision = "0016"
branch_labels = None
depends_on = None

ITEM_PARTS = {"unlock": 3, "series": 3, "pass": 3, "topup": 2}


def _reversed_key(key: str) -> str | None:
    parts = key.split(":")
    if parts[0] == "order" and len(parts) >= 4 and parts[2] == "refund":
        return f"order:{parts[1]}:pay"
    if parts[0] == "refund" and len(parts) > 1 and parts[1] in ITEM_PARTS:
        return ":".join(parts[1 : 1 + ITEM_PARTS[parts[1]]])
    return None


def upgrade() -> None:
    when = openminis.db.UTCDateTime(timezone=True)
    with op.batch_alter_table("ledger_transfers") as batch_op:
        batch_op.add_column(sa.Column("reverses", sa.String(length=200), nullable=True))
    connection = op.get_bind()
    refunds = connection.execute(sa.text("SELECT id, idempotency_key FROM ledger_transfers WHERE kind = 'refund'"))
    for transfer_id, key in list(refunds):
        reversed_key = _reversed_key(key)
        if reversed_key is not None:
            connection.execute(
                sa.text("UPDATE ledger_transfers SET reverses = :reverses WHERE id = :id"),
                {"reverses": reversed_key, "id": transfer_id},
            )
    op.create_table(
        "payout_policies",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("hold_days", sa.Integer(), nullable=False),
        sa.Column("rates", sa.JSON(), nullable=False),
        sa.Column("minimums", sa.JSON(), nullable=False),
        sa.Column("auto_approve_below", sa.JSON(), nullable=False),
        sa.Column("created_at", when, nullable=False),
        sa.Column("created_by", sa.String(length=200), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_table(
        "payout_accounts",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("payee", sa.String(length=64), nullable=False),
        sa.Column("provider", sa.String(length=16), nullable=False),
        sa.Column("destination", sa.String(length=128), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("holder", sa.String(length=120), nullable=False),
        sa.Column("created_at", when, nullable=False),
        sa.Column("created_by", sa.String(length=32), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_payout_accounts_payee", "payout_accounts", ["payee"], unique=False)
    op.create_table(
        "payouts",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("payee", sa.String(length=64), nullable=False),
        sa.Column("idempotency_key", sa.String(length=128), nullable=False),
        sa.Column("account_id", sa.String(length=32), nullable=False),
        sa.Column("provider", sa.String(length=16), nullable=False),
        sa.Column("source_currency", sa.String(length=16), nullable=False),
        sa.Column("source_amount", sa.BigInteger(), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("amount", sa.BigInteger(), nullable=False),
        sa.Column("rate", sa.BigInteger(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("provider_ref", sa.String(length=128), nullable=True),
        sa.Column("reason", sa.String(length=500), nullable=True),
        sa.Column("last_error", sa.String(length=500), nullable=True),
        sa.Column("requested_by", sa.String(length=32), nullable=False),
        sa.Column("approved_by", sa.String(length=200), nullable=True),
        sa.Column("created_at", when, nullable=False),
        sa.Column("updated_at", when, nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("payee", "idempotency_key", name="uq_payouts_payee"),
    )
    op.create_index("ix_payouts_payee", "payouts", ["payee"], unique=False)
    op.create_index("ix_payouts_status_created", "payouts", ["status", "created_at"], unique=False)
    op.create_table(
        "payout_events",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("payout_id", sa.String(length=32), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("by", sa.String(length=200), nullable=False),
        sa.Column("details", sa.JSON(), nullable=False),
        sa.Column("at", when, nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_payout_events_payout_id", "payout_events", ["payout_id"], unique=False)
    op.create_table(
        "sandbox_payout_transfers",
        sa.Column("key", sa.String(length=128), nullable=False),
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("destination", sa.String(length=128), nullable=False),
        sa.Column("amount", sa.BigInteger(), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("created_at", when, nullable=False),
        sa.PrimaryKeyConstraint("key"),
        sa.UniqueConstraint("id", name="uq_sandbox_payout_transfers_id"),
    )
    op.create_table(
        "provider_refunds",
        sa.Column("key", sa.String(length=200), nullable=False),
        sa.Column("topup_id", sa.String(length=32), nullable=False),
        sa.Column("provider", sa.String(length=16), nullable=False),
        sa.Column("amount", sa.BigInteger(), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("provider_ref", sa.String(length=128), nullable=True),
        sa.Column("reason", sa.String(length=500), nullable=True),
        sa.Column("last_error", sa.String(length=500), nullable=True),
        sa.Column("created_at", when, nullable=False),
        sa.Column("updated_at", when, nullable=False),
        sa.ForeignKeyConstraint(["topup_id"], ["topups.id"]),
        sa.PrimaryKeyConstraint("key"),
    )
    op.create_index("ix_provider_refunds_topup_id", "provider_refunds", ["topup_id"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_provider_refunds_topup_id", table_name="provider_refunds")
    op.drop_table("provider_refunds")
    op.drop_table("sandbox_payout_transfers")
    op.drop_index("ix_payout_events_payout_id", table_name="payout_events")
    op.drop_table("payout_events")
    op.drop_index("ix_payouts_status_created", table_name="payouts")
    op.drop_index("ix_payouts_payee", table_name="payouts")
    op.drop_table("payouts")
    op.drop_index("ix_payout_accounts_payee", table_name="payout_accounts")
    op.drop_table("payout_accounts")
    op.drop_table("payout_policies")
    with op.batch_alter_table("ledger_transfers") as batch_op:
        batch_op.drop_column("reverses")
