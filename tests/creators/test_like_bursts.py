"""Likes and follows are counted honestly under real concurrency: 200 likes (and 200 follows) sent
at once by one person, each on its own connection, to a real ``minis serve`` on SQLite and on
PostgreSQL, count once; a creator profile sent 20 times at once is made once."""

from __future__ import annotations

import secrets
from collections import Counter
from contextlib import closing

import httpx
import pytest
from sqlalchemy import create_engine, func, select

from bench.burst import burst
from openminis.creators.models import Follow, Post, PostLike
from openminis.db import utcnow
from openminis.liveserver import LiveServer
from tests.test_bursts import serve

pytestmark = pytest.mark.slow  # a real server and bursts of 200 requests


def signed_up(server: LiveServer, email: str) -> dict:
    """A full account on the server: the cookies and CSRF token to act as it (bench.burst's shape)."""
    with closing(httpx.Client(base_url=server.url, timeout=30, headers={"Origin": server.url})) as person:
        headers = {"X-CSRF-Token": person.get("/api/me").json()["csrf_token"]}
        body = {"email": email, "password": "correct horse battery"}
        assert person.post("/api/account/register", json=body, headers=headers).status_code == 200
        code = server.mailed(email, r"verification code is (\d{6})")
        assert person.post("/api/account/verify", json={"code": code}, headers=headers).status_code == 200
        me = person.get("/api/me").json()
        return {"cookies": dict(person.cookies), "csrf": me["csrf_token"], "id": me["user"]["id"]}


def counted(database_url: str, table: type[PostLike] | type[Follow]) -> int:
    engine = create_engine(database_url)
    try:
        with engine.connect() as connection:
            return int(connection.scalar(select(func.count()).select_from(table)) or 0)
    finally:
        engine.dispose()


def test_200_concurrent_likes_and_follows_from_one_person_count_once(tmp_path, database_url):
    with serve(tmp_path, database_url) as server:
        url = server.env.get("MINIS_DATABASE_URL") or f"sqlite:///{server.data_dir / 'minis.db'}"
        maker = signed_up(server, "maker@example.com")
        # Becoming a creator, sent 20 times at once (a double tap, a retrying client): each answer
        # is the one profile, none says the person's own handle is taken.
        made = burst(server, maker, "POST", "/api/creator", [{"handle": "maker", "display_name": "Maker"}] * 20)
        statuses = Counter(status for status, *_ in made)
        assert set(statuses) <= {200, 503} and statuses[200] >= 1, [body for s, _, body, _ in made if s != 200][:3]
        assert {body["handle"] for status, _, body, _ in made if status == 200} == {"maker"}
        post_id = "pst_" + secrets.token_hex(10)
        engine = create_engine(url)
        with engine.begin() as connection:  # a published post, as the pipeline leaves it
            connection.execute(
                Post.__table__.insert().values(
                    id=post_id,
                    creator_id=maker["id"],
                    caption="Like me",
                    category="general",
                    status="ready",
                    progress=100,
                    duration_ms=1000,
                    created_at=utcnow(),
                    published_at=utcnow(),
                )
            )
        engine.dispose()
        fan = signed_up(server, "fan@example.com")

        for path, table in ((f"/api/posts/{post_id}/like", PostLike), ("/api/creators/maker/follow", Follow)):
            answers = burst(server, fan, "PUT", path, [None] * 200)
            statuses = Counter(status for status, *_ in answers)
            print(f"\n200 PUT {path} at once: {dict(statuses)}")
            # A machine too busy for all 200 within the database wait answers some 503 (nothing done).
            assert set(statuses) <= {200, 503}, [body for status, _, body, _ in answers if status != 200][:3]
            assert statuses[200] >= 1
            assert {body["likes" if table is PostLike else "followers"] for s, _, body, _ in answers if s == 200} == {1}
            assert counted(url, table) == 1

        shown = httpx.get(f"{server.url}/api/posts/{post_id}", cookies=fan["cookies"], timeout=30).json()
        assert shown["likes"] == 1 and shown["liked"] is True and shown["following"] is True
