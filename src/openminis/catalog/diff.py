"""What a version changes from the released one, for its reviewer: manifest fields and products."""

from __future__ import annotations

from typing import Any

# Where the version's files or number differ every time: not news to a reviewer.
_NOT_CHANGES = {"version", "products"}


def manifest_changes(before: dict[str, Any], after: dict[str, Any]) -> list[dict[str, Any]]:
    """Every manifest field whose value differs, by name."""
    names = sorted((set(before) | set(after)) - _NOT_CHANGES)
    return [
        {"field": name, "before": before.get(name), "after": after.get(name)}
        for name in names
        if before.get(name) != after.get(name)
    ]


def product_changes(before: dict[str, Any], after: dict[str, Any]) -> list[dict[str, Any]]:
    """Products added, removed or changed (price, type, titles), by product id."""
    old = {p["id"]: p for p in before.get("products", [])}
    new = {p["id"]: p for p in after.get("products", [])}
    changes = []
    for product_id in sorted(set(old) | set(new)):
        if old.get(product_id) != new.get(product_id):
            changes.append({"field": product_id, "before": old.get(product_id), "after": new.get(product_id)})
    return changes
