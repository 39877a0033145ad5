"""How far people watch a series: the host player's episode_play and episode_complete events, and
the per-episode report a producer reads (plays, viewers, completion, reach), through the Open API
and on the command line; on both event stores. A play counts only of an episode the person may watch,
and once per opening of the series: each event names the launch the host recorded when it opened."""

from __future__ import annotations

import json
import secrets
import time

import pytest
from typer.testing import CliRunner

from openminis.cli import app as cli
from openminis.drama.models import SeriesUnlock
from openminis.unit_of_work import unit_of_work
from tests.drama.conftest import drama_app, upload
from tests.studio import browser, csrf_of

ORIGIN = {"Origin": "http://localhost:8000"}


def now_ms() -> int:
    return int(time.time() * 1000)


def opened(person, app_id: str) -> str:
    """The launch the host records when the person opens a series of ``app_id``: its id."""
    launch_id = secrets.token_hex(16)
    recorded = person.post(
        "/api/launches", json={"launch_id": launch_id, "app_id": app_id, "source": "hub"}, headers=csrf_of(person)
    )
    assert recorded.status_code == 200, recorded.text
    return launch_id


def watch(
    person, app_id: str, series_id: str, started: list[int], finished: list[int], *, launch_id: str | None = None
) -> dict:
    """The events the player sends for one opening of the series (as a guest, with a session): the
    opening's launch (recorded now unless given), then a play of each episode started and a complete
    of each one finished."""
    launch_id = launch_id or opened(person, app_id)
    episode = {"app_id": app_id, "series_id": series_id, "launch_id": launch_id, "source": "hub"}
    events = [{"type": "episode_play", "ts": now_ms(), "episode": n, **episode} for n in started]
    events += [{"type": "episode_complete", "ts": now_ms(), "episode": n, **episode} for n in finished]
    return person.post("/api/events", json={"events": events}, headers=ORIGIN).json()


def episodes_report(client, studio, series_id: str) -> list[tuple[int, int, int, int]]:
    """(number, plays, viewers, completes) of each episode, as the producer reads them."""
    report = client.get("/openapi/v1/reports/episodes", params={"series_id": series_id}, headers=studio.headers)
    assert report.status_code == 200, report.text
    return [(e["number"], e["plays"], e["viewers"], e["completes"]) for e in report.json()["episodes"]]


@pytest.fixture
def series(client, studio, clips) -> dict:
    """Night Shift's five episodes, uploaded and not transcoded: the report reads only the series
    and its episode numbers, and transcoding would cost these tests most of their time."""
    created = client.post(
        "/openapi/v1/series",
        json={
            "title": "Night Shift",
            "synopsis": "Doctors, secrets, one long night.",
            "genres": ["romance"],
            "free_episodes": 2,
            "episode_price": 20,
        },
        headers=studio.headers,
    ).json()
    for number in range(1, 6):
        assert upload(client, studio, created["id"], number, clips["episode"]).status_code == 202
    return created


def bought_the_series(platform, person, series_id: str) -> None:
    """The person owns the whole series (as a purchase leaves it: the episodes are not transcoded
    here, and a purchase needs them ready)."""
    user_id = person.get("/api/me").json()["user"]["id"]
    with unit_of_work(platform.db) as session:
        session.add(SeriesUnlock(user_id=user_id, series_id=series_id))


@pytest.fixture
def watched(client, series, studio, platform):
    """Three people: one buys the series and watches all five, one gives up during episode 2, one
    watches 1 twice."""
    app_id, series_id = studio.app.app_id, series["id"]
    first, second, third = browser(client), browser(client), browser(client)
    bought_the_series(platform, first, series_id)
    assert watch(first, app_id, series_id, [1, 2, 3, 4, 5], [1, 2, 3, 4, 5])["accepted"] == 10
    watch(second, app_id, series_id, [1, 2], [1])
    watch(third, app_id, series_id, [1], [1])
    watch(third, app_id, series_id, [1], [])  # opened again, started episode 1 and left
    return series


def test_episode_events_need_their_series_and_episode(client, series, studio):
    of_the_app = {"app_id": studio.app.app_id, "launch_id": opened(client, studio.app.app_id), "ts": now_ms()}
    result = client.post(
        "/api/events",
        json={
            "events": [
                {"type": "episode_play", "series_id": series["id"], **of_the_app},
                {"type": "episode_complete", "episode": 2, **of_the_app},
                {"type": "episode_play", "series_id": "bad id!", "episode": 1, **of_the_app},
                {"type": "episode_play", "series_id": series["id"], "episode": 0, **of_the_app},
            ]
        },
        headers=ORIGIN,
    ).json()
    assert result["accepted"] == 0
    reasons = [rejection["reason"] for rejection in result["rejected"]]
    assert reasons[:2] == [
        "series_id and episode: required for episode_play events",
        "series_id and episode: required for episode_complete events",
    ]
    assert reasons[2].startswith("series_id:") and reasons[3].startswith("episode:")


def test_plays_count_only_of_episodes_the_person_may_watch(client, series, studio, platform):
    """A probe's guests, who had unlocked nothing, reported plays of the paywalled episodes 4 to 10
    of a series, and its report showed them reached by everyone."""
    app_id, series_id = studio.app.app_id, series["id"]
    stranger = browser(client)
    result = watch(stranger, app_id, series_id, [1, 2, 3, 4], [3])
    assert result["accepted"] == 2  # the two free episodes
    assert [(r["index"], r["reason"]) for r in result["rejected"]] == [
        (index, "episode: not an episode of this app this person may watch") for index in (2, 3, 4)
    ]
    rival = drama_app(client, "rival-dramas")
    assert watch(stranger, rival.app.app_id, series_id, [1], [])["accepted"] == 0  # another app's series
    bought_the_series(platform, stranger, series_id)
    assert watch(stranger, app_id, series_id, [3, 4], [3])["accepted"] == 3


def test_each_episode_has_its_plays_viewers_completion_and_reach(client, studio, watched):
    response = client.get("/openapi/v1/reports/episodes", params={"series_id": watched["id"]}, headers=studio.headers)
    assert response.status_code == 200, response.text
    report = response.json()
    assert (report["series_id"], report["title"], report["free_episodes"]) == (watched["id"], "Night Shift", 2)
    lines = [
        (e["number"], e["plays"], e["viewers"], e["completes"], e["completion"], e["reach"]) for e in report["episodes"]
    ]
    assert lines == [
        (1, 4, 3, 3, 0.75, 1.0),  # the third person started it twice
        (2, 2, 2, 1, 0.5, pytest.approx(2 / 3)),
        (3, 1, 1, 1, 1.0, pytest.approx(1 / 3)),
        (4, 1, 1, 1, 1.0, pytest.approx(1 / 3)),
        (5, 1, 1, 1, 1.0, pytest.approx(1 / 3)),
    ]


def test_a_series_of_another_app_is_not_found(client, watched):
    rival = drama_app(client, "rival-dramas")
    response = client.get("/openapi/v1/reports/episodes", params={"series_id": watched["id"]}, headers=rival.headers)
    assert (response.status_code, response.json()["code"]) == (404, "NOT_FOUND")


def test_a_series_nobody_watched_has_every_episode_at_zero(client, series, studio):
    report = client.get(
        "/openapi/v1/reports/episodes", params={"series_id": series["id"]}, headers=studio.headers
    ).json()
    assert [(e["plays"], e["completion"], e["reach"]) for e in report["episodes"]] == [(0, None, None)] * 5


def test_the_cli_prints_the_drop_off_as_a_table_and_as_json(client, studio, watched, settings):
    runner = CliRunner()
    env = {"MINIS_DATABASE_URL": settings.database_url, "MINIS_ANALYTICS_URL": settings.analytics_url}
    arguments = [
        "report",
        "episodes",
        "--app",
        studio.app.app_id,
        "--series",
        watched["id"],
        "--data-dir",
        str(settings.data_dir),
    ]
    table = runner.invoke(cli, arguments, env=env)
    assert table.exit_code == 0, table.output
    words = " ".join(table.output.split())
    assert "Night Shift" in words and "episodes after 2 are paid" in words
    rows = {
        line.split("│")[1].strip(): [cell.strip() for cell in line.split("│")[2:-1]]
        for line in table.output.splitlines()
        if line.count("│") > 5
    }
    assert rows["2"] == ["2", "2", "1", "50%", "67%"]
    report = json.loads(runner.invoke(cli, [*arguments, "--json"], env=env).output)
    assert [episode["viewers"] for episode in report["episodes"]] == [3, 2, 1, 1, 1]


def test_a_viewers_completes_count_up_to_their_plays(client, series, studio):
    """An attack: one viewer's 1 play and 400 completes of an episode showed a completion of 400.0,
    any viewer setting a producer's drop-off curve."""
    app_id, series_id = studio.app.app_id, series["id"]
    person = browser(client)
    assert watch(person, app_id, series_id, [1], [1] * 400)["accepted"] == 401
    report = client.get("/openapi/v1/reports/episodes", params={"series_id": series_id}, headers=studio.headers)
    first = report.json()["episodes"][0]
    assert (first["plays"], first["viewers"], first["completes"], first["completion"]) == (1, 1, 1, 1.0)


def test_an_opening_plays_each_episode_once_however_many_plays_it_reports(client, series, studio):
    """A probe: a guest that never opened the series sent 500 plays and 500 completes of episode 1 in
    batches, and the report showed 530 plays of it (30 real). The player reports each episode
    started, and each watched to its end, once per opening: more of them tell nothing more."""
    app_id, series_id = studio.app.app_id, series["id"]
    person = browser(client)
    assert watch(person, app_id, series_id, [1] * 50, [1] * 50)["accepted"] == 100
    assert episodes_report(client, studio, series_id)[0] == (1, 1, 1, 1)
    watch(person, app_id, series_id, [1, 2], [1])  # opened again: a second play of episode 1
    assert episodes_report(client, studio, series_id)[:2] == [(1, 2, 1, 2), (2, 1, 1, 0)]


def test_episode_events_name_a_launch_the_host_recorded_for_the_person_and_the_series_app(client, series, studio):
    app_id, series_id = studio.app.app_id, series["id"]
    person, other = browser(client), browser(client)
    others_launch = opened(other, app_id)
    rival_launch = opened(person, drama_app(client, "rival-dramas").app.app_id)
    play = {"type": "episode_play", "app_id": app_id, "series_id": series_id, "episode": 1}
    person.get("/api/me")
    result = person.post(
        "/api/events",
        json={
            "events": [
                {**play, "ts": now_ms()},
                {**play, "ts": now_ms(), "launch_id": secrets.token_hex(16)},  # made up
                {**play, "ts": now_ms(), "launch_id": others_launch},
                {**play, "ts": now_ms(), "launch_id": rival_launch},  # another app's
            ]
        },
        headers=ORIGIN,
    ).json()
    assert result["accepted"] == 0
    assert [rejection["reason"] for rejection in result["rejected"]] == [
        "launch_id: required for episode_play events",
        *["launch_id: no launch of this app by this person"] * 3,
    ]
    assert episodes_report(client, studio, series_id)[0] == (1, 0, 0, 0)
