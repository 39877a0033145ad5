"""Signals between processes (openminis/signals.py): two real ``minis serve`` processes on one
PostgreSQL database, as behind a load balancer. What one of them changes in the feed is in the
other's feed at its next request, not when its ranking snapshot ages out (a minute): through
PostgreSQL's LISTEN/NOTIFY, or through Redis pub/sub when MINIS_REDIS_URL is set."""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import ExitStack

import httpx
import pytest
import redis

from openminis.liveserver import LiveServer
from tests.conftest import postgres_database, unavailable
from tests.factories import package_files, publish_over_http, write_folder

ADMIN_TOKEN = "signals-admin-token"
REDIS_URL = "redis://127.0.0.1:6379/0"

pytestmark = pytest.mark.postgres


@pytest.fixture(params=["postgresql", "redis"])
def two_servers(request, tmp_path) -> Iterator[tuple[LiveServer, LiveServer]]:
    """Two servers on one PostgreSQL database and one data folder (the packages' shared volume),
    analytics in the same database, broadcasting their signals through ``request.param``."""
    with ExitStack() as stack:
        database = stack.enter_context(postgres_database())
        env = {
            "MINIS_DATABASE_URL": database,
            "MINIS_ANALYTICS_URL": database,
            "MINIS_SECRET_KEY": "signals-secret",
            "MINIS_ADMIN_TOKEN": ADMIN_TOKEN,
            "MINIS_BROWSER_CHECKS": "false",
        }
        if request.param == "redis":
            try:
                redis.Redis.from_url(REDIS_URL, socket_connect_timeout=2).ping()
            except redis.RedisError as exc:
                unavailable(f"Redis is not reachable at {REDIS_URL}: {exc}")
            env["MINIS_REDIS_URL"] = REDIS_URL
        data = tmp_path / "data"
        data.mkdir()
        yield (stack.enter_context(LiveServer(data, env=env)), stack.enter_context(LiveServer(data, env=env)))


def feed(client: httpx.Client) -> tuple[str, set[str]]:
    page = client.get("/api/feed", params={"limit": 50})
    assert page.status_code == 200, page.text
    return page.json()["snapshot"], {item["id"] for item in page.json()["items"]}


def test_an_app_published_through_one_server_is_in_the_others_feed_at_its_next_request(two_servers):
    a, b = two_servers
    with httpx.Client(base_url=b.url, timeout=30) as person:
        snapshot, items = feed(person)
        assert feed(person)[0] == snapshot, "B keeps its ranking snapshot between requests"
        assert "app:signal-game" not in items

        publish_over_http(a.url, ADMIN_TOKEN, id="signal-game", name="Signal Game")

        assert "app:signal-game" in ranked_anew(person, snapshot)


def test_an_app_published_by_the_publish_command_is_in_a_running_servers_feed_at_its_next_request(
    two_servers, tmp_path
):
    server, _ = two_servers
    with httpx.Client(base_url=server.url, timeout=30) as person:
        snapshot, items = feed(person)
        assert "app:command-game" not in items
        folder = write_folder(tmp_path / "pkg", package_files(id="command-game", name="Command Game"))
        server.minis("publish", str(folder), "--developer", "ops@example.com", "--data-dir", str(server.data_dir))
        assert "app:command-game" in ranked_anew(person, snapshot)


def ranked_anew(person: httpx.Client, snapshot: str) -> set[str]:
    """The feed once the server ranked it anew. The signal crosses right after the change's commit,
    in a few milliseconds: the server's next request after it ranks anew, long before its
    snapshot's minute is up (waited for up to 5 s, which only a lost signal would need)."""
    deadline = time.monotonic() + 5
    while (now := feed(person))[0] == snapshot and time.monotonic() < deadline:
        time.sleep(0.05)
    assert now[0] != snapshot, "the server never heard of the change"
    return now[1]
