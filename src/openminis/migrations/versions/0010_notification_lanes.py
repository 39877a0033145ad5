"""notifications: delivery lanes, circuit breaker, egress

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-02 12:30:00
"""
from alembic import op
import sqlalchemy as sa
import openminis.db


revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
