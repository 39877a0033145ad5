"""payouts: a proposed change of the payout terms is a row of its own (payout_policy_proposals),
with at most one waiting; proposals made before were read from their audit entries, and are
copied from them here

Revision ID: 0031
Revises: 0030
Create Date: 2026-12-06 14:40:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0031"
down_revision = "0030"
branch_labels = None
depends_on = None

DECISIONS = {
    "approve_payout_policy": "approved",
    "withdraw_payout_policy": "withdrawn",
    "refuse_payout_policy": "refused",
}


def upgrade() -> None:
    proposals = op.create_table(
        "payout_policy_proposals",
        sa.Column("id", sa.String(24), primary_key=True),
        sa.Column("changes", sa.JSON(), nullable=False),
        sa.Column("terms", sa.JSON(), nullable=False),
        sa.Column("loosens", sa.JSON(), nullable=False),
        sa.Column("proposed_by", sa.String(200), nullable=False),
        sa.Column("proposer", sa.String(64), nullable=True),
        sa.Column("proposed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("decided_by", sa.String(200), nullable=True),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("decision_reason", sa.Text(), nullable=True),
        sa.Column("made", sa.JSON(), nullable=True),
    )
    op.create_index("ix_payout_policy_proposals_proposed_at", "payout_policy_proposals", ["proposed_at"])
    op.create_index(
        "ix_payout_policy_proposals_one_waiting",
        "payout_policy_proposals",
        ["status"],
        unique=True,
        postgresql_where=sa.text("status = 'waiting'"),
        sqlite_where=sa.text("status = 'waiting'"),
    )
    assert proposals is not None
    # The proposals made so far, as their audit entries tell them (payouts/policy.py read them so).
    audit = sa.table(
        "audit_log",
        sa.column("id", sa.Integer()),
        sa.column("at", sa.DateTime(timezone=True)),
        sa.column("actor", sa.String()),
        sa.column("action", sa.String()),
        sa.column("target_kind", sa.String()),
        sa.column("target_id", sa.String()),
        sa.column("reason", sa.Text()),
        sa.column("after", sa.JSON()),
    )
    steps = (
        op.get_bind()
        .execute(sa.select(audit).where(audit.c.target_kind == "payout_policy").order_by(audit.c.id))
        .mappings()
    )
    rows: dict[str, dict[str, object]] = {}
    for step in steps:
        if step["action"] == "propose_payout_policy" and step["after"]:
            made = step["after"]
            rows[step["target_id"]] = {
                "id": step["target_id"],
                "changes": made["changes"],
                "terms": made["terms"],
                "loosens": made["loosens"],
                "proposed_by": step["actor"],
                "proposer": made.get("proposer"),
                "proposed_at": step["at"],
                "reason": step["reason"] or "",
                "status": "waiting",
                "decided_by": None,
                "decided_at": None,
                "decision_reason": None,
                "made": None,
            }
        elif step["action"] in DECISIONS and step["target_id"] in rows:
            row = rows[step["target_id"]]
            if row["status"] == "waiting":
                row |= {
                    "status": DECISIONS[step["action"]],
                    "decided_by": step["actor"],
                    "decided_at": step["at"],
                    "decision_reason": step["reason"] or "",
                    "made": step["after"] if step["action"] == "approve_payout_policy" else None,
                }
    if rows:
        op.bulk_insert(proposals, list(rows.values()))


def downgrade() -> None:
    op.drop_index("ix_payout_policy_proposals_one_waiting", table_name="payout_policy_proposals")
    op.drop_index("ix_payout_policy_proposals_proposed_at", table_name="payout_policy_proposals")
    op.drop_table("payout_policy_proposals")
