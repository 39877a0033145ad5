"""Alembic migrations, run from code so that ``minis serve`` and the tests need no alembic.ini."""

from __future__ import annotations

import re
from pathlib import Path

from alembic import command
from alembic.config import Config

HERE = Path(__file__).parent


def platform_object(object, name: str | None, type_: str, reflected: bool, compare_to) -> bool:
    """Alembic's ``include_object``: the platform's tables only. The analytics store may share the
    database (MINIS_ANALYTICS_URL) and manages its own ``events`` table and month partitions;
    autogenerate must not offer to drop them."""
    table = object.table.name if type_ in ("index", "column", "unique_constraint", "foreign_key_constraint") else name
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
