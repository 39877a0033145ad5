"""A pass bought and episodes it covers unlocked with coins at the same moment, against a real
``minis serve`` on SQLite and PostgreSQL: whichever comes second sees the first. An unlock after
the pass charges nothing and answers ``pass``; a pass bought after an unlock is just the pass.

A series purchase and its own pass sent together: a pass after the series sells nothing and is
refused (ALREADY_OWNED); a series after the pass is the series, for good. A probe (money51) was
charged for both, the pass after the series.

A probe found on PostgreSQL: a person's subscribe to a pass and seven coin unlocks sent together
charged 5 of 8 people 30 coins for an episode after the pass's own period transfer (the ledger:
``pass:sub_…:1`` at 07:53:41.814, then ``unlock:…:ep_…`` at 07:53:41.836). Unlocks and series
purchases took turns with each other, the pass on a key of its own, so an unlock read "no pass"
while the pass was being bought.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from contextlib import ExitStack
from pathlib import Path

import httpx
import pytest

from bench.burst import funded_person
from openminis.liveserver import LiveServer, run_apart
from tests.browser.drama_studio import EPISODE_PRICE, EPISODES, PASS, SERIES_PRICE, DramaStudio
from tests.concurrency import honouring_retry_after, one_connection_each
from tests.conftest import postgres_database
from tests.test_bursts import balance, ledger_verifies, serve

pytestmark = pytest.mark.slow  # a real server, its transcodes, and requests at once

PEOPLE = 8
APP_PASS = {"title": "Every Harbor series, a week", "period_days": 7, "price": 80}


def studio_with_passes(server: LiveServer, tmp_path: Path) -> tuple[DramaStudio, dict[str, int]]:
    """The producer's series with every episode paid (none free) and two passes that cover it: the
    series' own and one for every series of the app. Returns the passes' ids with their prices."""
    studio = DramaStudio.paid(server, tmp_path)
    with httpx.Client(base_url=server.url, headers=studio.headers, timeout=30) as backend:
        created = backend.post("/openapi/v1/passes", json=APP_PASS)
        assert created.status_code == 201, created.text
    shown = httpx.get(f"{server.url}/api/dramas/{studio.series_id}", timeout=30).json()["passes"]
    prices = {p["id"]: p["price"] for p in shown}
    assert sorted(prices.values()) == sorted([PASS["price"], APP_PASS["price"]]), shown
    return studio, prices


async def _pass_and_unlocks(
    server: LiveServer, person: dict, series_id: str, pass_id: str, price: int
) -> tuple[httpx.Response, list[httpx.Response]]:
    """The subscribe and a coin unlock of every episode, released together on connections of
    their own; the unlocks spread over 20 ms around the subscribe, as the probe sent them."""
    limits = one_connection_each(len(EPISODES) + 1)
    headers = {"X-CSRF-Token": person["csrf"]}
    async with httpx.AsyncClient(
        base_url=server.url, cookies=person["cookies"], headers=headers, limits=limits, timeout=60
    ) as client:
        start = asyncio.Event()

        async def post(path: str, body: dict, delay: float) -> httpx.Response:
            await start.wait()
            await asyncio.sleep(delay)
            return await honouring_retry_after(lambda: client.post(path, json=body))

        subscribe = asyncio.create_task(
            post(f"/api/passes/{pass_id}/subscribe", {"amount": price, "currency": "COIN"}, 0.01)
        )
        unlocks = [
            asyncio.create_task(
                post(
                    f"/api/dramas/{series_id}/episodes/{number}/unlock",
                    {"method": "coins", "amount": EPISODE_PRICE, "currency": "COIN"},
                    0.005 * index,
                )
            )
            for index, number in enumerate(range(1, len(EPISODES) + 1))
        ]
        await asyncio.sleep(0.1)
        start.set()
        return await subscribe, list(await asyncio.gather(*unlocks))


def movements(server: LiveServer, person: dict) -> list[dict]:
    answer = httpx.get(f"{server.url}/api/wallet/history", params={"limit": 100}, cookies=person["cookies"], timeout=30)
    return list(answer.json()["items"])


@pytest.fixture(scope="module", params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def harbor(request, tmp_path_factory) -> Iterator[tuple[LiveServer, DramaStudio, dict[str, int]]]:
    """One live server per database for the module, with the producer's series and its passes
    (studio_with_passes): each test's people are new, so they share it."""
    tmp_path = tmp_path_factory.mktemp(f"harbor-{request.param}")
    with ExitStack() as stack:
        url = stack.enter_context(postgres_database()) if request.param == "postgresql" else ""
        server = stack.enter_context(serve(tmp_path, url or f"sqlite:///{tmp_path}/minis.db"))
        yield (server, *studio_with_passes(server, tmp_path))


def test_an_unlock_sent_with_the_pass_that_covers_it_is_charged_only_if_it_came_first(harbor):
    server, studio, passes = harbor
    charged_after_the_pass: list[tuple[int, list[int]]] = []
    for n in range(PEOPLE):
        pass_id = list(passes)[n % len(passes)]  # the series' pass and the app's, in turn
        person = funded_person(server, "coins-550")
        before = balance(server, person)
        subscribed, unlocks = run_apart(_pass_and_unlocks(server, person, studio.series_id, pass_id, passes[pass_id]))
        assert subscribed.status_code == 200, subscribed.text
        assert [u.status_code for u in unlocks] == [200] * len(EPISODES), [u.text for u in unlocks]
        answered = [u.json()["access"] for u in unlocks]
        assert set(answered) <= {"coins", "pass"}, answered

        history = movements(server, person)
        period = [m["id"] for m in history if m["kind"] == "subscription"]
        assert len(period) == 1, history
        paid = [m for m in history if m["kind"] == "drama_unlock"]
        assert len(paid) == answered.count("coins"), (answered, history)
        assert balance(server, person) == before - passes[pass_id] - EPISODE_PRICE * len(paid)
        # An unlock charged after the pass's period began was charged for what the pass covers.
        late = [m["id"] for m in paid if m["id"] > period[0]]
        if late:
            charged_after_the_pass.append((n, late))
    assert charged_after_the_pass == [], (
        f"people charged after their pass (person, transfers): {charged_after_the_pass}"
    )
    assert ledger_verifies(server)


async def _series_and_its_pass(
    server: LiveServer, person: dict, series_id: str, pass_id: str
) -> tuple[httpx.Response, httpx.Response]:
    """The series purchase and a subscribe to the series' own pass, released together from two tabs."""
    headers = {"X-CSRF-Token": person["csrf"]}
    async with httpx.AsyncClient(
        base_url=server.url, cookies=person["cookies"], headers=headers, limits=one_connection_each(2), timeout=60
    ) as client:
        start = asyncio.Event()

        async def post(path: str, body: dict) -> httpx.Response:
            await start.wait()
            return await honouring_retry_after(lambda: client.post(path, json=body))

        bought = asyncio.create_task(
            post(f"/api/dramas/{series_id}/purchase", {"amount": SERIES_PRICE, "currency": "COIN"})
        )
        subscribed = asyncio.create_task(
            post(f"/api/passes/{pass_id}/subscribe", {"amount": PASS["price"], "currency": "COIN"})
        )
        await asyncio.sleep(0.1)
        start.set()
        return await bought, await subscribed


def test_a_pass_sent_with_the_purchase_of_its_series_is_sold_only_if_it_came_first(harbor):
    server, studio, passes = harbor
    series_pass = next(pass_id for pass_id, price in passes.items() if price == PASS["price"])
    for _ in range(PEOPLE):
        person = funded_person(server, "coins-550")
        before = balance(server, person)
        bought, subscribed = run_apart(_series_and_its_pass(server, person, studio.series_id, series_pass))
        assert bought.status_code == 200, bought.text
        history = movements(server, person)
        series = [m["id"] for m in history if m["kind"] == "drama_unlock"]  # the series: nothing else is unlocked
        period = [m["id"] for m in history if m["kind"] == "subscription"]
        assert len(series) == 1, history
        if subscribed.status_code == 409:
            assert subscribed.json()["code"] == "ALREADY_OWNED", subscribed.text
            assert period == [], history
        else:
            assert subscribed.status_code == 200, subscribed.text
            assert len(period) == 1 and period[0] < series[0], history  # the pass came first
        assert balance(server, person) == before - SERIES_PRICE - PASS["price"] * len(period)
    assert ledger_verifies(server)
