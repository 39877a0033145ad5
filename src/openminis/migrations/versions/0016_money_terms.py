"""money terms with an effective time, and refunds of unlocks, passes and top-ups

The fee and the creators' commission move from payment_settings to money_terms: a platform default
row effective from the epoch (30 % and 10 %, the old defaults), and for each app whose settings held
other values, a row of its own effective from the epoch, so nothing changes for any app. An app
whose settings held the defaults follows the platform's defaults from now on.

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-03 08:00:00
"""

from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

import openminis.db

revision = "0016"
down_revision = "0015"
branch_labels = None
depends_on = None

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
DEFAULT_FEE_BPS, DEFAULT_COMMISSION_BPS = 3000, 1000


def upgrade() -> None:
    terms = op.create_table(
        "money_terms",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("app_id", sa.String(length=40), nullable=True),
        sa.Column("fee_bps", sa.Integer(), nullable=False),
        sa.Column("creator_commission_bps", sa.Integer(), nullable=False),
        sa.Column("effective_at", openminis.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("created_at", openminis.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("created_by", sa.String(length=200), nullable=False),
        sa.ForeignKeyConstraint(["app_id"], ["apps.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_money_terms_app_effective", "money_terms", ["app_id", "effective_at"], unique=False)
    op.create_table(
        "item_refunds",
        sa.Column("item", sa.String(length=160), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("user_id", sa.String(length=32), nullable=False),
        sa.Column("app_id", sa.String(length=40), nullable=True),
        sa.Column("currency", sa.String(length=16), nullable=False),
        sa.Column("paid", sa.BigInteger(), nullable=False),
        sa.Column("refunded", sa.BigInteger(), nullable=False),
        sa.Column("updated_at", openminis.db.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("item"),
    )
    op.create_index("ix_item_refunds_user_id", "item_refunds", ["user_id"], unique=False)

    connection = op.get_bind()
    now = datetime.now(UTC)
    rows = [
        {"app_id": None, "fee_bps": DEFAULT_FEE_BPS, "creator_commission_bps": DEFAULT_COMMISSION_BPS},
        *(
            {"app_id": app_id, "fee_bps": fee, "creator_commission_bps": commission}
            for app_id, fee, commission in connection.execute(
                sa.text("SELECT app_id, fee_bps, creator_commission_bps FROM payment_settings ORDER BY app_id")
            )
            if (fee, commission) != (DEFAULT_FEE_BPS, DEFAULT_COMMISSION_BPS)
        ),
    ]
    op.bulk_insert(
        terms, [{**row, "effective_at": EPOCH, "created_at": now, "created_by": "migration 0016"} for row in rows]
    )
    with op.batch_alter_table("payment_settings") as batch_op:
        batch_op.drop_column("fee_bps")
        batch_op.drop_column("creator_commission_bps")


def downgrade() -> None:
    with op.batch_alter_table("payment_settings") as batch_op:
        batch_op.add_column(sa.Column("fee_bps", sa.Integer(), server_default=str(DEFAULT_FEE_BPS), nullable=False))
        batch_op.add_column(
            sa.Column(
                "creator_commission_bps", sa.Integer(), server_default=str(DEFAULT_COMMISSION_BPS), nullable=False
            )
        )
    # Each app's terms in effect now go back to its settings (a later scheduled change is lost).
    op.execute(
        """
        UPDATE payment_settings SET
          fee_bps = COALESCE((SELECT t.fee_bps FROM money_terms t WHERE t.app_id = payment_settings.app_id
                               AND t.effective_at <= CURRENT_TIMESTAMP ORDER BY t.effective_at DESC, t.id DESC LIMIT 1),
                              fee_bps),
          creator_commission_bps = COALESCE((SELECT t.creator_commission_bps FROM money_terms t
                               WHERE t.app_id = payment_settings.app_id AND t.effective_at <= CURRENT_TIMESTAMP
                               ORDER BY t.effective_at DESC, t.id DESC LIMIT 1), creator_commission_bps)
        """
    )
    op.drop_index("ix_item_refunds_user_id", table_name="item_refunds")
    op.drop_table("item_refunds")
    op.drop_index("ix_money_terms_app_effective", table_name="money_terms")
    op.drop_table("money_terms")
