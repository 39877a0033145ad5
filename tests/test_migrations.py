"""The Alembic migrations build exactly the schema the models declare, on SQLite and PostgreSQL."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from openminis.migrations import platform_object
from openminis.models import Base


def test_migrations_match_the_models(platform):
    platform.events.query(
        "SELECT count(*) FROM events"
    )  # the analytics store's tables too, where it shares the database
    with platform.db.engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True, "include_object": platform_object})
        assert compare_metadata(context, Base.metadata) == []


def test_only_the_analytics_stores_own_tables_are_left_out():
    from sqlalchemy import Column, Integer, MetaData, Table

    def reflected(name: str) -> bool:
        return platform_object(Table(name, MetaData(), Column("id", Integer)), name, "table", True, None)

    assert not reflected("events") and not reflected("events_2026_11")
    assert reflected("events_archive") and reflected("orders")  # anything else is the platform's, kept in view
