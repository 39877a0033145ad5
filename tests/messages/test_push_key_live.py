"""The platform's Web Push key, asked for by many browsers at once on a new platform, against a real
``minis serve`` on SQLite and PostgreSQL: it is made once, and everyone gets it.

A probe: 30 browsers at once asking a new SQLite platform for it, 5 to 13 were answered 503 at
once: the GET read, found no key, and wrote one in a read session, which SQLite refuses once
another writer has committed (the first browser's key)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator

import pytest

from openminis.liveserver import LiveServer
from tests.publishing_live import DATABASES, at_once, live_server

pytestmark = pytest.mark.slow


@pytest.fixture(params=DATABASES)
def new_platform(request: pytest.FixtureRequest, tmp_path) -> Iterator[LiveServer]:
    data = tmp_path / "data"
    data.mkdir()
    yield from live_server(request.param, data)


def test_thirty_browsers_asking_a_new_platform_for_its_push_key_all_get_the_same_one(new_platform):
    answers = at_once(new_platform, [{"method": "GET", "url": "/api/push/key"}] * 30)
    assert Counter(a.status_code for a in answers) == {200: 30}, [a.text for a in answers if a.status_code != 200]
    assert len({a.json()["public_key"] for a in answers}) == 1
