"""The funnel report: exposure -> click -> launch -> ready -> paid or rewarded, per source, app or
creator, with rates, revenue, ARPU and ARPPU, over a period, for a developer's app (Open API), for
the operator across apps (admin API) and on the command line."""

from __future__ import annotations

import json
from dataclasses import asdict
from datetime import UTC, datetime, timedelta

import pytest
from typer.testing import CliRunner

from openminis.analytics.funnel import funnel
from openminis.cli import app as cli
from openminis.events.store import DuckDBEventStore
from openminis.platform import Platform
from openminis.settings import Settings
from tests.factories import publish

COLUMNS = ("type", "app_id", "user_id", "source", "ts", "received_at", "creator_id", "revenue", "currency")
START, END = datetime(2026, 11, 1, tzinfo=UTC), datetime(2026, 11, 8, tzinfo=UTC)  # the days 1 to 7 November
MIDWEEK = datetime(2026, 11, 4, 12, tzinfo=UTC)
ADMIN = {"Authorization": "Bearer test-admin-token"}
PERIOD = "from=2026-11-01&to=2026-11-07"


def event(type, app, user, source, *, at=MIDWEEK, creator=None, revenue=None, currency=None) -> tuple:
    return (type, app, user, source, at, at, creator, revenue, currency)


def many(count: int, type: str, app: str, users: list[str], source: str) -> list[tuple]:
    return [event(type, app, users[n % len(users)], source) for n in range(count)]


def week_of_events(app: str, other: str) -> list[tuple]:
    """Two sources of ``app`` and one of ``other``; u1 comes from both sources and pays in both apps."""
    feed = [
        event("exposure", app, "u1", "feed", at=START),  # the period's first instant counts
        *many(9, "exposure", app, ["u1", "u2", "u3", "u4", "u5"], "feed"),
        *many(4, "click", app, ["u1", "u2", "u3", "u4"], "feed"),
        *many(3, "launch", app, ["u1", "u2", "u3"], "feed"),
        *many(2, "ready", app, ["u1", "u2"], "feed"),
        event("paid", app, "u1", "feed", creator="cr_1", revenue=120, currency="COIN"),
        event("rewarded", app, "u2", "feed", revenue=7_000, currency="USD_MICROS"),
        event("unlock", app, "u2", "feed", revenue=0, currency="COIN"),  # unlocked by the ad: pays nothing
        event("unlock", app, "u3", "feed", creator="cr_1", revenue=30, currency="COIN"),
    ]
    search = [
        *many(5, "exposure", app, ["u1", "u6"], "search"),
        *many(2, "click", app, ["u1", "u6"], "search"),
        *many(2, "launch", app, ["u1", "u6"], "search"),
        *many(2, "ready", app, ["u1", "u6"], "search"),
        event("paid", app, "u6", "search", revenue=50, currency="COIN"),
        event("paid", app, "u6", "search", revenue=50, currency="COIN"),
        event("refund", app, "u6", "search", revenue=-50, currency="COIN"),
    ]
    elsewhere = [
        *many(3, "exposure", other, ["u7"], "hub"),
        *many(1, "click", other, ["u7"], "hub"),
        *many(1, "launch", other, ["u7"], "hub"),
        *many(1, "ready", other, ["u7"], "hub"),
        event("paid", other, "u1", "hub", creator="cr_2", revenue=500, currency="COIN"),
    ]
    outside = [
        event("exposure", app, "u1", "feed", at=START - timedelta(seconds=1)),
        event("paid", app, "u1", "feed", at=END, revenue=999, currency="COIN"),
    ]
    # Not funnel steps: ad-server and session events share the table.
    noise = [event("ad_impression", app, "u1", None), event("session_end", app, "u1", "feed")]
    return feed + search + elsewhere + outside + noise


FEED = {
    "key": "feed",
    "exposure": 10,
    "click": 4,
    "launch": 3,
    "ready": 2,
    "converted": 2,
    "paid": 1,
    "rewarded": 1,
    "click_rate": 0.4,
    "launch_rate": 0.75,
    "ready_rate": 2 / 3,
    "conversion_rate": 1.0,
    "active_persons": 3,
    "converted_persons": 2,
    "paying_persons": 2,  # u1 paid, u3 unlocked with coins
    "revenue_coins": 150,
    "ad_revenue_usd_micros": 7_000,
    "arpu": 50.0,
    "arppu": 75.0,
}
SEARCH = {
    "key": "search",
    "exposure": 5,
    "click": 2,
    "launch": 2,
    "ready": 2,
    "converted": 2,
    "paid": 2,
    "rewarded": 0,
    "click_rate": 0.4,
    "launch_rate": 1.0,
    "ready_rate": 1.0,
    "conversion_rate": 1.0,
    "active_persons": 2,
    "converted_persons": 1,
    "paying_persons": 1,
    "revenue_coins": 50,
    "ad_revenue_usd_micros": 0,
    "arpu": 25.0,
    "arppu": 50.0,
}
# u1 launched from both sources: one active person, not two.
APP_TOTAL = {
    "key": None,
    "exposure": 15,
    "click": 6,
    "launch": 5,
    "ready": 4,
    "converted": 4,
    "paid": 3,
    "rewarded": 1,
    "click_rate": 0.4,
    "launch_rate": 5 / 6,
    "ready_rate": 0.8,
    "conversion_rate": 1.0,
    "active_persons": 4,
    "converted_persons": 3,
    "paying_persons": 3,
    "revenue_coins": 200,
    "ad_revenue_usd_micros": 7_000,
    "arpu": 50.0,
    "arppu": 200 / 3,
}
OTHER = {
    "key": "other-game",
    "exposure": 3,
    "click": 1,
    "launch": 1,
    "ready": 1,
    "converted": 1,
    "paid": 1,
    "rewarded": 0,
    "click_rate": 1 / 3,
    "launch_rate": 1.0,
    "ready_rate": 1.0,
    "conversion_rate": 1.0,
    "active_persons": 1,
    "converted_persons": 1,
    "paying_persons": 1,
    "revenue_coins": 500,
    "ad_revenue_usd_micros": 0,
    "arpu": 500.0,
    "arppu": 500.0,
}
# Across apps u1 paid in both: still one converted and one paying person.
ALL_TOTAL = {
    "key": None,
    "exposure": 18,
    "click": 7,
    "launch": 6,
    "ready": 5,
    "converted": 5,
    "paid": 4,
    "rewarded": 1,
    "click_rate": 7 / 18,
    "launch_rate": 6 / 7,
    "ready_rate": 5 / 6,
    "conversion_rate": 1.0,
    "active_persons": 5,
    "converted_persons": 3,
    "paying_persons": 3,
    "revenue_coins": 700,
    "ad_revenue_usd_micros": 7_000,
    "arpu": 140.0,
    "arppu": 700 / 3,
}


def approx(line: dict) -> dict:
    return {key: pytest.approx(value) if isinstance(value, float) else value for key, value in line.items()}


@pytest.fixture
def store(tmp_path):
    store = DuckDBEventStore(tmp_path / "events.duckdb")
    store.append(week_of_events("dev-game", "other-game"), COLUMNS)
    yield store
    store.close()


@pytest.fixture
def stored(platform, studio):
    """The week's events in the platform's store; ``dev-game`` is the studio's registered app."""
    platform.events.append(week_of_events(studio.app_id, "other-game"), COLUMNS)


def bearer(client, studio) -> dict[str, str]:
    return {"Authorization": f"Bearer {studio.backend(client).access_token()}"}


# The report itself ---------------------------------------------------------------------------------


def test_each_source_has_its_stage_counts_rates_revenue_arpu_and_arppu_and_the_total_counts_persons_once(store):
    report = funnel(store, app_id="dev-game", start=START, end=END, by="source")
    assert [asdict(line) for line in report.lines] == [approx(FEED), approx(SEARCH)]  # most exposures first
    assert asdict(report.total) == approx(APP_TOTAL)


def test_resumes_of_a_kept_app_are_no_launches_and_leave_the_funnel_as_it_was(store):
    store.append(many(5, "resume", "dev-game", ["u1", "u2"], "feed"), COLUMNS)  # launcher.js minimise
    report = funnel(store, app_id="dev-game", start=START, end=END, by="source")
    assert [asdict(line) for line in report.lines] == [approx(FEED), approx(SEARCH)]
    assert asdict(report.total) == approx(APP_TOTAL)


def test_events_outside_the_period_are_not_counted(store):
    next_day = funnel(store, app_id="dev-game", start=END, end=END + timedelta(days=1), by="source")
    assert [(line.key, line.paid, line.revenue_coins) for line in next_day.lines] == [("feed", 1, 999)]
    day_before = funnel(store, app_id="dev-game", start=START - timedelta(days=1), end=START, by=None)
    assert (day_before.total.exposure, day_before.total.paid) == (1, 0)


def test_an_empty_period_has_zero_counts_and_no_rates_instead_of_a_division_by_zero(store):
    report = funnel(
        store,
        app_id="dev-game",
        start=datetime(2025, 1, 1, tzinfo=UTC),
        end=datetime(2025, 1, 2, tzinfo=UTC),
        by="source",
    )
    assert report.lines == []
    total = report.total
    assert (total.exposure, total.converted, total.revenue_coins, total.active_persons) == (0, 0, 0, 0)
    assert (total.click_rate, total.launch_rate, total.ready_rate, total.conversion_rate, total.arpu, total.arppu) == (
        None,
    ) * 6


def test_every_app_by_app_compares_the_apps_and_counts_a_person_once_in_the_total(store):
    report = funnel(store, app_id=None, start=START, end=END, by="app")
    assert [line.key for line in report.lines] == ["dev-game", "other-game"]
    assert asdict(report.lines[1]) == approx(OTHER)
    assert asdict(report.total) == approx(ALL_TOTAL)


def test_by_creator_credits_conversions_to_the_creator_they_are_attributed_to(store):
    report = funnel(store, app_id=None, start=START, end=END, by="creator")
    credited = {
        line.key: (line.converted, line.paying_persons, line.revenue_coins) for line in report.lines if line.key
    }
    assert credited == {"cr_1": (1, 2, 150), "cr_2": (1, 1, 500)}


def test_a_dimension_outside_the_fixed_list_is_refused_before_any_sql(store):
    from openminis.errors import InvalidArgument

    with pytest.raises(InvalidArgument) as refused:
        funnel(store, app_id=None, start=START, end=END, by="source; DROP TABLE events")
    assert refused.value.field == "by"
    assert store.query("SELECT count(*) FROM events")[0][0] > 0


# Open API: the developer's own app ------------------------------------------------------------------


def test_the_open_api_reports_only_the_calling_apps_funnel(client, studio, stored):
    response = client.get(f"/openapi/v1/reports/funnel?{PERIOD}&by=source", headers=bearer(client, studio))
    assert response.status_code == 200, response.text
    body = response.json()
    assert (body["app_id"], body["by"], body["start"], body["end"]) == (
        "dev-game",
        "source",
        "2026-11-01T00:00:00Z",
        "2026-11-08T00:00:00Z",
    )
    assert body["lines"] == [approx(FEED), approx(SEARCH)]
    assert body["total"] == approx(APP_TOTAL)
    by_app = client.get(f"/openapi/v1/reports/funnel?{PERIOD}&by=app", headers=bearer(client, studio)).json()
    assert [line["key"] for line in by_app["lines"]] == ["dev-game"]  # never the other app's rows


@pytest.mark.parametrize(
    ("query", "field"),
    [
        (f"{PERIOD}&by=weekday", "by"),
        ("from=yesterday", "from"),
        ("from=2026-11-07&to=2026-11-01", "to"),
        ("from=2025-01-01&to=2026-11-07", "to"),  # over 366 days
        ("from=9999-12-30&to=9999-12-31", "to"),  # no day after the last
    ],
)
def test_the_open_api_refuses_a_bad_dimension_or_period_naming_the_field(client, studio, query, field):
    response = client.get(f"/openapi/v1/reports/funnel?{query}", headers=bearer(client, studio))
    assert response.status_code == 422
    assert (response.json()["code"], response.json()["field"]) == ("INVALID_ARGUMENT", field)


def test_the_open_api_report_needs_the_apps_token(client):
    response = client.get(f"/openapi/v1/reports/funnel?{PERIOD}")
    assert response.status_code == 401


# Admin API: the operator, across apps ----------------------------------------------------------------


def test_the_admin_report_compares_every_app_or_narrows_to_one(client, studio, stored):
    every = client.get(f"/api/admin/reports/funnel?{PERIOD}&by=app", headers=ADMIN)
    assert every.status_code == 200, every.text
    assert every.json()["app_id"] is None
    assert [line["key"] for line in every.json()["lines"]] == ["dev-game", "other-game"]
    assert every.json()["total"] == approx(ALL_TOTAL)
    one = client.get(f"/api/admin/reports/funnel?{PERIOD}&app_id=dev-game&by=none", headers=ADMIN).json()
    assert (one["lines"], one["total"]) == ([], approx(APP_TOTAL))


def test_the_admin_report_needs_the_admin_token_and_a_known_app(client, studio, stored):
    assert client.get(f"/api/admin/reports/funnel?{PERIOD}").status_code == 401
    assert (
        client.get(f"/api/admin/reports/funnel?{PERIOD}", headers={"Authorization": "Bearer guess"}).status_code == 401
    )
    # A developer's app token is not the operator's.
    assert client.get(f"/api/admin/reports/funnel?{PERIOD}", headers=bearer(client, studio)).status_code == 401
    unknown = client.get(f"/api/admin/reports/funnel?{PERIOD}&app_id=no-such-app", headers=ADMIN)
    assert unknown.status_code == 404 and unknown.json()["field"] == "app_id"


# Command line -------------------------------------------------------------------------------------

runner = CliRunner()


@pytest.fixture
def data_dir(tmp_path):
    data = tmp_path / "data"
    assert runner.invoke(cli, ["db", "upgrade", "--data-dir", str(data)]).exit_code == 0
    platform = Platform(Settings(data_dir=data))
    publish(platform)  # test-game
    platform.events.append(week_of_events("test-game", "other-game"), COLUMNS)
    platform.close()
    return str(data)


def test_the_cli_prints_the_funnel_of_an_app_by_source_as_a_table(data_dir):
    result = runner.invoke(
        cli,
        [
            "report",
            "funnel",
            "--app",
            "test-game",
            "--by",
            "source",
            "--from",
            "2026-11-01",
            "--to",
            "2026-11-07",
            "--data-dir",
            data_dir,
        ],
    )
    assert result.exit_code == 0, result.output
    assert "funnel of test-game, 2026-11-01 to 2026-11-07 (UTC)" in result.output
    rows = {
        line.split("│")[1].strip(): [cell.strip() for cell in line.split("│")[2:-1]]
        for line in result.output.splitlines()
        if line.count("│") > 10
    }
    # exposure, click, launch, ready, paid or rewarded, paid, rewarded, active, paying, coins, ad USD, ARPU, ARPPU
    assert rows["feed"] == ["10", "4", "3", "2", "2", "1", "1", "3", "2", "150", "0.01", "50.00", "75.00"]
    assert rows["total"] == ["15", "6", "5", "4", "4", "3", "1", "4", "3", "200", "0.01", "50.00", "66.67"]
    assert "40.0%" in result.output and "75.0%" in result.output  # the rates, under their counts
    assert "…" not in result.output  # wider than the 80 columns of a pipe, rather than cut


def test_the_cli_prints_json_for_every_app_and_refuses_an_unknown_one(data_dir):
    result = runner.invoke(
        cli,
        [
            "report",
            "funnel",
            "--by",
            "app",
            "--from",
            "2026-11-01",
            "--to",
            "2026-11-07",
            "--json",
            "--data-dir",
            data_dir,
        ],
    )
    assert result.exit_code == 0, result.output
    report = json.loads(result.output)
    assert [line["key"] for line in report["lines"]] == ["test-game", "other-game"]
    assert report["total"] == approx(ALL_TOTAL)
    unknown = runner.invoke(cli, ["report", "funnel", "--app", "no-such-app", "--data-dir", data_dir])
    assert unknown.exit_code == 1 and "NOT_FOUND" in unknown.output


def test_by_origin_sdk_groups_games_from_other_platforms_apart_from_native_apps(tmp_path, platform):
    """`other-game` was imported from Poki (`minis import`): its events are Poki's, the rest native,
    on DuckDB and on PostgreSQL (the platform's store under MINIS_DATABASE_URL)."""
    from openminis.analytics.funnel import report as funnel_report
    from openminis.unit_of_work import unit_of_work

    publish(platform)  # test-game, native
    publish(platform, id="other-game", origin_sdk="poki")
    platform.events.append(week_of_events("test-game", "other-game"), COLUMNS)
    with unit_of_work(platform.db, reads=True) as session:
        by_origin = funnel_report(
            session,
            platform.events,
            app_id=None,
            first=START.date(),
            last=(END - timedelta(days=1)).date(),
            by="origin_sdk",
        )
    assert [line.key for line in by_origin.lines] == ["native", "poki"]
    assert asdict(by_origin.lines[1]) == approx({**OTHER, "key": "poki"})
    assert asdict(by_origin.total) == approx(ALL_TOTAL)
    # One app alone is still grouped by its platform.
    with unit_of_work(platform.db, reads=True) as session:
        one = funnel_report(
            session,
            platform.events,
            app_id="other-game",
            first=START.date(),
            last=(END - timedelta(days=1)).date(),
            by="origin_sdk",
        )
    assert [line.key for line in one.lines] == ["poki"]
