"""The benchmarks' result tables: a titled Rich table with its columns, ready for rows."""

from __future__ import annotations

from collections.abc import Iterable

from rich.table import Table


def results_table(title: str, columns: Iterable[str], *, left: Iterable[str] | None = None) -> Table:
    """A table of ``columns``. Given ``left``, the columns it names are left-aligned and the others
    (the numbers) right-aligned; without it Rich aligns them all left."""
    table = Table(title=title)
    for column in columns:
        table.add_column(column, justify="right" if left is not None and column not in left else "left")
    return table
