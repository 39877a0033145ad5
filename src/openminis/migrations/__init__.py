"""Alembic migrations, run from code so that ``minis serve`` and the tests need no alembic.ini."""

from __future__ import annotations

import re
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.environment import NameFilterType
from sqlalchemy import Table
from sqlalchemy.sql.schema import SchemaItem

HERE = Path(__file__).parent


def platform_object(
    object: SchemaItem, name: str | None, type_: NameFilterType, reflected: bool, compare_to: SchemaItem | None
) -> bool:
    """Alembic's ``include_object``: the platform's tables only. The analytics store may share the
    database (MINIS_ANALYTICS_URL) and manages its own ``events`` table and month partitions;
    autogenerate must not offer to drop them."""
    owned = type_ in ("index", "column", "unique_constraint", "foreign_key_constraint")
    parent: Table | None = getattr(object, "table", None) if owned else None  # the table it belongs to
    table = parent.name if parent is not None else name
    return not (
        reflected
        and compare_to is None
        and table is not None
        and (table == "events" or re.fullmatch(r"events_\d{4}_\d{2}", table))
    )


def alembic_config(url: str) -> Config:
    config = Config()
    config.set_main_option("script_location", str(HERE))
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return config


def upgrade(url: str, revision: str = "head") -> None:
    command.upgrade(alembic_config(url), revision)
