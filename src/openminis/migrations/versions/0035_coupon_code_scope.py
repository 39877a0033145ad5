"""payments: a coupon's code is its issuer's: ``code_scope`` is "*platform" (no app id) for the platform's codes
and the app's id for a developer's, and a code is unique within its scope, not across the platform
(a developer took codes before finance, and the refusal told them which platform codes existed)

Revision ID: 0035
Revises: 0034
Create Date: 2026-12-07 19:30:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0035"
down_revision = "0034"
branch_labels = None
depends_on = None

# SQLite's unique constraint on code has no name: batch mode names it by this convention to drop it.
_NAMED = {"uq": "uq_%(table_name)s_%(column_0_name)s"}


def _code_unique_name() -> str:
    """PostgreSQL's name of the unique constraint on code; SQLite's has none (batch mode's convention)."""
    constraints = sa.inspect(op.get_bind()).get_unique_constraints("coupons")
    named = next((c["name"] for c in constraints if c["column_names"] == ["code"]), None)
    return named or "uq_coupons_code"


def upgrade() -> None:
    with op.batch_alter_table("coupons", schema=None) as batch_op:
        batch_op.add_column(sa.Column("code_scope", sa.String(length=40), nullable=True))
    op.execute(
        "UPDATE coupons SET code_scope = CASE WHEN issuer = 'platform' THEN '*platform' ELSE app_id END"
        " WHERE code IS NOT NULL"
    )
    name = _code_unique_name()
    with op.batch_alter_table("coupons", schema=None, naming_convention=_NAMED) as batch_op:
        batch_op.drop_constraint(name, type_="unique")
        batch_op.create_unique_constraint("uq_coupons_code_scope", ["code_scope", "code"])


def downgrade() -> None:
    with op.batch_alter_table("coupons", schema=None, naming_convention=_NAMED) as batch_op:
        batch_op.drop_constraint("uq_coupons_code_scope", type_="unique")
        batch_op.create_unique_constraint("uq_coupons_code", ["code"])
        batch_op.drop_column("code_scope")
