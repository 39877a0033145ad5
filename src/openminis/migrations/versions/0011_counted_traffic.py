"""traffic that counts: ad show tokens, event dedup

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-02 12:30:00
"""
from alembic import op
import sqlalchemy as sa
import openminis.db


revision = '0011'
down_revision = '0010'
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
