"""A series, or its whole app, taken down while people are unlocking its episodes and buying its
pass, against a real ``minis serve`` on SQLite and PostgreSQL: every sale either came before the
takedown (charged, and stamped before it) or after it (refused, nothing charged). None is charged
once the series or the app is down.

A probe (drama57), on PostgreSQL: 60 coin unlocks at once and a moderator's takedown 50 ms in; 9
of the 36 unlocks charged were stamped after the takedown. An unlock read the series as published,
waited for its turn behind the person's other purchases, and did not read it again. Then
(attack57b) the same after an app's takedown (unlocks up to 122 ms after it, series, passes), and
passes after their series' takedown.
"""

from __future__ import annotations

import asyncio
import secrets

import httpx
import pytest
from sqlalchemy import create_engine, select

from bench.burst import funded_person
from openminis.drama.models import EpisodeUnlock, Subscription
from openminis.liveserver import LiveServer, run_apart
from openminis.moderation.models import Takedown
from tests.browser.drama_studio import APP_ID, EPISODE_PRICE, PASS, DramaStudio
from tests.concurrency import honouring_retry_after, one_connection_each
from tests.test_bursts import ledger_verifies, serve

pytestmark = pytest.mark.slow  # a real server, its transcodes, and requests at once

PEOPLE = 30


def cookie_header(person: dict) -> str:
    return "; ".join(f"{name}={value}" for name, value in person["cookies"].items())


async def sales_and_a_takedown(
    server: LiveServer, people: list[dict], series_id: str, pass_id: str, down: str, token: str
) -> tuple[list[httpx.Response], httpx.Response]:
    """Each person's coin unlocks of episodes 1 and 2 and the series' pass, released over 180 ms,
    and the operator's takedown of ``down`` (``series/…`` or ``app/…``) 50 ms in."""
    async with httpx.AsyncClient(
        base_url=server.url, limits=one_connection_each(2 * len(people) + 1), timeout=60
    ) as client:
        start = asyncio.Event()

        async def sell(person: dict, number: int, delay: float) -> httpx.Response:
            await start.wait()
            await asyncio.sleep(delay)
            path = f"/api/dramas/{series_id}/episodes/{number}/unlock"
            body = {"method": "coins", "amount": EPISODE_PRICE, "currency": "COIN"}
            if number == 0:
                path, body = f"/api/passes/{pass_id}/subscribe", {"amount": PASS["price"], "currency": "COIN"}
            return await honouring_retry_after(
                lambda: client.post(
                    path,
                    json=body,
                    headers={"Cookie": cookie_header(person), "X-CSRF-Token": person["csrf"]},
                )
            )

        async def take_down() -> httpx.Response:
            await start.wait()
            await asyncio.sleep(0.05)
            return await client.post(
                f"/api/admin/moderation/items/{down}/takedown",
                json={"reason": "spam", "note": "Spam in every episode."},
                headers={"Authorization": f"Bearer {token}"},
            )

        pairs = [(person, number) for person in people for number in (1, 2, 0)]  # 0: the pass
        unlocks = [asyncio.create_task(sell(*pair, 0.002 * index)) for index, pair in enumerate(pairs)]
        takedown = asyncio.create_task(take_down())
        await asyncio.sleep(0.2)
        start.set()
        return list(await asyncio.gather(*unlocks)), await takedown


@pytest.mark.parametrize("down", ["series", "app"])
def test_nothing_is_sold_after_the_series_or_its_app_was_taken_down(tmp_path, database_url, down):
    token = secrets.token_hex(12)
    with serve(tmp_path, database_url, MINIS_ADMIN_TOKEN=token) as server:
        studio = DramaStudio.paid(server, tmp_path)
        people = [funded_person(server, "coins-550") for _ in range(PEOPLE)]
        shown = httpx.get(f"{server.url}/api/dramas/{studio.series_id}", timeout=30).json()["passes"]
        (pass_id,) = [p["id"] for p in shown]
        item = f"series/{studio.series_id}" if down == "series" else f"app/{APP_ID}"

        sales, takedown = run_apart(sales_and_a_takedown(server, people, studio.series_id, pass_id, item, token))

        assert takedown.status_code == 200, takedown.text
        statuses = [answer.status_code for answer in sales]
        refused = [a.text for a in sales if a.status_code not in (200, 403, 404)]  # 403: APP_TAKEN_DOWN
        assert refused == []
        engine = create_engine(server.env["MINIS_DATABASE_URL"])
        try:
            with engine.connect() as connection:
                down_at = connection.scalar(select(Takedown.at).where(Takedown.item_id == item.split("/")[1]))
                stamped = list(connection.scalars(select(EpisodeUnlock.created_at)))
                stamped += list(connection.scalars(select(Subscription.created_at)))
        finally:
            engine.dispose()
        print(f"\n{down}: {statuses.count(200)} sales before the takedown, {len(statuses) - statuses.count(200)} after")
        assert 0 < len(stamped) <= statuses.count(200)  # a row for each sale charged (not for a pass's unlock)
        assert [at for at in stamped if at > down_at] == []
        assert ledger_verifies(server)
