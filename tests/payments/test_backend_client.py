"""A game's backend sells through ``openminis.client`` alone: products made, listed and retired,
orders listed by page (the client had no call for them, dev54)."""

from __future__ import annotations

import pytest

from openminis.client import MinisAPIError


def test_a_backend_makes_lists_and_retires_products_and_pages_its_orders(client, studio):
    backend = studio.backend(client)
    made = backend.put_product("gem-pack", type="consumable", price=120, title={"en": "Gem pack"})
    assert (made["id"], made["price"], made["title"]) == ("gem-pack", 120, {"en": "Gem pack"})
    backend.put_product("gem-pack", type="consumable", price=150, title={"en": "Gem pack"})
    assert [(p["id"], p["price"]) for p in backend.products()["items"]] == [("gem-pack", 150)]
    assert backend.orders(limit=10) == {"items": [], "next_cursor": None}
    assert backend.retire_product("gem-pack") == {"ok": True}
    assert backend.products()["items"] == []
    with pytest.raises(MinisAPIError) as refused:
        backend.put_product("bad id!", type="consumable", price=1, title={"en": "x"})
    assert (refused.value.status, refused.value.code) == (422, "INVALID_ARGUMENT")
