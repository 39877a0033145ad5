"""A series taken down while people are unlocking its episodes, against a real ``minis serve`` on
SQLite and PostgreSQL: every unlock either came before the takedown (charged, and stamped before
it) or after it (refused, nothing charged). None is charged once the series is down.

A probe (drama57), on PostgreSQL: 60 coin unlocks at once and a moderator's takedown 50 ms in; 9
of the 36 unlocks charged were stamped after the takedown. An unlock read the series as published,
waited for its turn behind the person's other purchases, and did not read it again.
"""

from __future__ import annotations

import asyncio
import secrets

import httpx
import pytest
from sqlalchemy import create_engine, select

from bench.burst import funded_person
from openminis.drama.models import EpisodeUnlock
from openminis.liveserver import LiveServer, run_apart
from openminis.moderation.models import Takedown
from tests.browser.drama_studio import EPISODE_PRICE, DramaStudio
from tests.concurrency import honouring_retry_after, one_connection_each
from tests.test_bursts import ledger_verifies, serve

pytestmark = pytest.mark.slow  # a real server, its transcodes, and requests at once

PEOPLE = 30


def cookie_header(person: dict) -> str:
    return "; ".join(f"{name}={value}" for name, value in person["cookies"].items())


async def unlocks_and_a_takedown(
    server: LiveServer, people: list[dict], series_id: str, token: str
) -> tuple[list[httpx.Response], httpx.Response]:
    """Each person's coin unlocks of episodes 1 and 2, released over 120 ms, and the operator's
    takedown of the series 50 ms in."""
    async with httpx.AsyncClient(
        base_url=server.url, limits=one_connection_each(2 * len(people) + 1), timeout=60
    ) as client:
        start = asyncio.Event()

        async def unlock(person: dict, number: int, delay: float) -> httpx.Response:
            await start.wait()
            await asyncio.sleep(delay)
            return await honouring_retry_after(
                lambda: client.post(
                    f"/api/dramas/{series_id}/episodes/{number}/unlock",
                    json={"method": "coins", "amount": EPISODE_PRICE, "currency": "COIN"},
                    headers={"Cookie": cookie_header(person), "X-CSRF-Token": person["csrf"]},
                )
            )

        async def take_down() -> httpx.Response:
            await start.wait()
            await asyncio.sleep(0.05)
            return await client.post(
                f"/api/admin/moderation/items/series/{series_id}/takedown",
                json={"reason": "spam"},
                headers={"Authorization": f"Bearer {token}"},
            )

        pairs = [(person, number) for person in people for number in (1, 2)]
        unlocks = [asyncio.create_task(unlock(*pair, 0.002 * index)) for index, pair in enumerate(pairs)]
        takedown = asyncio.create_task(take_down())
        await asyncio.sleep(0.2)
        start.set()
        return list(await asyncio.gather(*unlocks)), await takedown


def test_no_unlock_is_charged_after_its_series_was_taken_down(tmp_path, database_url):
    token = secrets.token_hex(12)
    with serve(tmp_path, database_url, MINIS_ADMIN_TOKEN=token) as server:
        studio = DramaStudio.paid(server, tmp_path)
        people = [funded_person(server) for _ in range(PEOPLE)]

        unlocks, takedown = run_apart(unlocks_and_a_takedown(server, people, studio.series_id, token))

        assert takedown.status_code == 200, takedown.text
        statuses = [answer.status_code for answer in unlocks]
        assert set(statuses) <= {200, 404}, [answer.text for answer in unlocks if answer.status_code not in (200, 404)]
        engine = create_engine(server.env["MINIS_DATABASE_URL"])
        try:
            with engine.connect() as connection:
                down_at = connection.scalar(select(Takedown.at).where(Takedown.item_id == studio.series_id))
                stamped = list(connection.scalars(select(EpisodeUnlock.created_at)))
        finally:
            engine.dispose()
        print(f"\n{statuses.count(200)} unlocks before the takedown, {statuses.count(404)} refused after it")
        assert len(stamped) == statuses.count(200)  # one unlock row for each unlock charged
        assert [at for at in stamped if at > down_at] == []
        assert ledger_verifies(server)
