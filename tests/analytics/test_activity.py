"""Daily activity and retention: active, new and returning people per UTC day (DAU), and D1, D7 and
D30 retention of each day's new people; for an app (Open API), across apps (admin API) and on the
command line. Every test on both event stores (DuckDB beside SQLite, PostgreSQL partitions beside
PostgreSQL)."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime

import pytest
from typer.testing import CliRunner

from openminis.analytics.activity import activity
from openminis.cli import app as cli
from openminis.platform import Platform
from openminis.settings import Settings
from tests.factories import publish

COLUMNS = ("type", "app_id", "user_id", "ts", "received_at")
ADMIN = {"Authorization": "Bearer test-admin-token"}
FIRST, LAST, TODAY = date(2026, 11, 1), date(2026, 11, 7), date(2026, 11, 9)


def at(day: date, hour: int = 12) -> datetime:
    return datetime(day.year, day.month, day.day, hour, tzinfo=UTC)


def launch(app: str, user: str | None, day: date, hour: int = 12, type: str = "launch") -> tuple:
    return (type, app, user, at(day, hour), at(day, hour))


def history(app: str, other: str) -> list[tuple]:
    """u0 came in October; u1 and u2 are new on the 1st, u3 on the 3rd; u4 only plays ``other``."""
    return [
        launch(app, "u0", date(2026, 10, 20)),
        launch(app, "u0", date(2026, 11, 1)),
        launch(app, "u1", date(2026, 11, 1), hour=0),  # the day's first instant is that day
        launch(app, "u1", date(2026, 11, 2)),  # back the next day: D1
        launch(app, "u1", date(2026, 11, 8), hour=23),  # and a week later: D7, after the period
        launch(app, "u2", date(2026, 11, 1)),
        launch(app, "u2", date(2026, 11, 1), hour=20),  # twice in a day is active once
        launch(app, "u3", date(2026, 11, 3)),
        launch(app, "u3", date(2026, 11, 4)),
        launch(app, None, date(2026, 11, 3)),  # no person on it: not counted
        launch(app, "u5", date(2026, 11, 2), type="exposure"),  # seen, not launched: not active
        launch(other, "u4", date(2026, 11, 2)),
        launch(other, "u1", date(2026, 11, 5)),
    ]


@pytest.fixture
def stored(platform):
    platform.events.append(history("dev-game", "other-game"), COLUMNS)
    return platform.events


def by_day(report) -> dict[int, tuple]:
    return {line.day.day: (line.active, line.new, line.returning) for line in report.days}


def test_each_day_counts_its_active_new_and_returning_people(stored):
    report = activity(stored, app_id="dev-game", first=FIRST, last=LAST, today=TODAY)
    assert [line.day for line in report.days] == [date(2026, 11, n) for n in range(1, 8)]  # empty days included
    assert by_day(report) == {
        1: (3, 2, 1),
        2: (1, 0, 1),
        3: (1, 1, 0),
        4: (1, 0, 1),
        5: (0, 0, 0),
        6: (0, 0, 0),
        7: (0, 0, 0),
    }
    assert report.average_active == pytest.approx(6 / 7)


def test_a_cohort_counts_who_came_back_1_7_and_30_days_later_and_leaves_the_future_unknown(stored):
    cohorts = {
        cohort.day.day: cohort
        for cohort in activity(stored, app_id="dev-game", first=FIRST, last=LAST, today=TODAY).cohorts
    }
    first = cohorts[1]  # u1 and u2; u1 came back on the 2nd and the 8th; the 31st of November is not here yet
    assert (first.size, first.d1, first.d7, first.d30) == (2, 1, 1, None)
    assert (first.d1_rate, first.d7_rate, first.d30_rate) == (0.5, 0.5, None)
    third = cohorts[3]  # u3, back on the 4th; the 10th is after today
    assert (third.size, third.d1, third.d7, third.d1_rate) == (1, 1, None, 1.0)
    empty = cohorts[2]  # nobody new: zero known returns, no rate
    assert (empty.size, empty.d1, empty.d7, empty.d1_rate, empty.d7_rate) == (0, 0, 0, None, None)


def test_every_app_counts_a_person_once_a_day_across_apps(stored):
    report = activity(stored, app_id=None, first=FIRST, last=LAST, today=TODAY)
    # u4 is new on the 2nd (in the other game); u1 is back on the 5th in the other game.
    assert by_day(report) == {
        1: (3, 2, 1),
        2: (2, 1, 1),
        3: (1, 1, 0),
        4: (1, 0, 1),
        5: (1, 0, 1),
        6: (0, 0, 0),
        7: (0, 0, 0),
    }
    assert {cohort.day.day: cohort.size for cohort in report.cohorts if cohort.size} == {1: 2, 2: 1, 3: 1}


def test_a_long_ago_period_knows_every_horizon(stored):
    report = activity(stored, app_id="dev-game", first=FIRST, last=LAST, today=date(2027, 1, 1))
    first = report.cohorts[0]
    assert (first.d1, first.d7, first.d30, first.d30_rate) == (1, 1, 0, 0.0)


# Open API: the developer's own app --------------------------------------------------------------------

PERIOD = "from=2026-01-01&to=2026-01-07"  # long enough ago that every horizon is known


def bearer(client, studio) -> dict[str, str]:
    return {"Authorization": f"Bearer {studio.backend(client).access_token()}"}


@pytest.fixture
def january(platform, studio):
    """A week of January: two new people in the studio's app, one back the next day; one elsewhere."""
    platform.events.append(
        [
            launch(studio.app_id, "a", date(2026, 1, 1)),
            launch(studio.app_id, "b", date(2026, 1, 1)),
            launch(studio.app_id, "a", date(2026, 1, 2)),
            launch("other-game", "c", date(2026, 1, 3)),
        ],
        COLUMNS,
    )


def test_the_open_api_reports_the_calling_apps_activity(client, studio, january):
    response = client.get(f"/openapi/v1/reports/activity?{PERIOD}", headers=bearer(client, studio))
    assert response.status_code == 200, response.text
    body = response.json()
    assert (body["app_id"], body["first"], body["last"], len(body["days"])) == (
        studio.app_id,
        "2026-01-01",
        "2026-01-07",
        7,
    )
    assert body["days"][:3] == [
        {"day": "2026-01-01", "active": 2, "new": 2, "returning": 0},
        {"day": "2026-01-02", "active": 1, "new": 0, "returning": 1},
        {"day": "2026-01-03", "active": 0, "new": 0, "returning": 0},  # c played another app
    ]
    assert body["cohorts"][0] == {
        "day": "2026-01-01",
        "size": 2,
        "d1": 1,
        "d7": 0,
        "d30": 0,
        "d1_rate": 0.5,
        "d7_rate": 0.0,
        "d30_rate": 0.0,
    }
    assert body["average_active"] == pytest.approx(3 / 7)


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("from=yesterday", "from"),
        ("from=2026-01-07&to=2026-01-01", "to"),
        ("from=2024-01-01&to=2026-01-07", "to"),
        # The last cohorts' returns are read 30 days past the end: a probe's 9999-12-01 was a 500.
        ("from=9999-11-20&to=9999-12-01", "to"),
    ],
)
def test_the_open_api_refuses_a_bad_period_naming_the_field(client, studio, query, field):
    response = client.get(f"/openapi/v1/reports/activity?{query}", headers=bearer(client, studio))
    assert response.status_code == 422
    assert (response.json()["code"], response.json()["field"]) == ("INVALID_ARGUMENT", field)


def test_the_open_api_activity_needs_the_apps_token(client):
    assert client.get(f"/openapi/v1/reports/activity?{PERIOD}").status_code == 401


# Admin API: the operator ------------------------------------------------------------------------------


def test_the_admin_sees_every_app_or_one_and_needs_the_token(client, studio, january):
    every = client.get(f"/api/admin/reports/activity?{PERIOD}", headers=ADMIN)
    assert every.status_code == 200, every.text
    assert [day["active"] for day in every.json()["days"][:3]] == [2, 1, 1]
    one = client.get(f"/api/admin/reports/activity?{PERIOD}&app_id=other-game", headers=ADMIN)
    assert one.status_code == 404 and one.json()["field"] == "app_id"  # not published: no such app
    assert client.get(f"/api/admin/reports/activity?{PERIOD}").status_code == 401
    assert client.get(f"/api/admin/reports/activity?{PERIOD}", headers=bearer(client, studio)).status_code == 401


# Command line ------------------------------------------------------------------------------------------

runner = CliRunner()


def test_the_cli_prints_activity_as_a_table_and_as_json(tmp_path):
    data = tmp_path / "data"
    assert runner.invoke(cli, ["db", "upgrade", "--data-dir", str(data)]).exit_code == 0
    platform = Platform(Settings(data_dir=data))
    publish(platform)  # test-game
    platform.events.append(
        [launch("test-game", "a", date(2026, 1, 1)), launch("test-game", "a", date(2026, 1, 2))], COLUMNS
    )
    platform.close()
    period = ["--from", "2026-01-01", "--to", "2026-01-07", "--data-dir", str(data)]
    table = runner.invoke(cli, ["report", "activity", "--app", "test-game", *period])
    assert table.exit_code == 0, table.output
    assert "activity of test-game, 2026-01-01 to 2026-01-07 (UTC), average 0.3 active a day" in table.output
    rows = {
        line.split("│")[1].strip(): [cell.strip() for cell in line.split("│")[2:-1]]
        for line in table.output.splitlines()
        if line.count("│") > 7
    }
    # active, new, returning, cohort, D1, D7, D30
    assert rows["2026-01-01"] == ["1", "1", "0", "1", "1 (100%)", "0 (0%)", "0 (0%)"]
    assert rows["2026-01-02"] == ["1", "0", "1", "0", "0", "0", "0"]
    report = json.loads(runner.invoke(cli, ["report", "activity", "--json", *period]).output)
    assert report["days"][0] == {"day": "2026-01-01", "active": 1, "new": 1, "returning": 0}
    unknown = runner.invoke(cli, ["report", "activity", "--app", "no-such-app", "--data-dir", str(data)])
    assert unknown.exit_code == 1 and "NOT_FOUND" in unknown.output
