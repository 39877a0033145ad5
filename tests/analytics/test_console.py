"""The developer console: its page, and its reports on the developer's own session (the same
activity and funnel the Open API gives a backend), only for apps the developer owns."""

from __future__ import annotations

from datetime import UTC, datetime

from tests.studio import browser, csrf_of, register_app, sign_up

COLUMNS = ("type", "app_id", "user_id", "source", "ts", "received_at")
PERIOD = "from=2026-01-01&to=2026-01-07"


def at(day: int) -> datetime:
    return datetime(2026, 1, day, 12, tzinfo=UTC)


def test_the_developer_reads_their_apps_activity_and_funnel(studio, platform):
    platform.events.append(
        [
            ("exposure", studio.app_id, "a", "feed", at(1), at(1)),
            ("click", studio.app_id, "a", "feed", at(1), at(1)),
            ("launch", studio.app_id, "a", "feed", at(1), at(1)),
            ("launch", studio.app_id, "a", "hub", at(2), at(2)),
            ("launch", "other-game", "b", "feed", at(2), at(2)),
        ],
        COLUMNS,
    )
    activity = studio.developer.get(f"/api/developer/apps/{studio.app_id}/reports/activity?{PERIOD}")
    assert activity.status_code == 200, activity.text
    assert [day["active"] for day in activity.json()["days"][:3]] == [1, 1, 0]
    first = activity.json()["cohorts"][0]
    assert (first["size"], first["d1"], first["d1_rate"]) == (1, 1, 1.0)  # "a" came back the next day
    funnel = studio.developer.get(f"/api/developer/apps/{studio.app_id}/reports/funnel?{PERIOD}&by=source").json()
    assert (funnel["total"]["exposure"], funnel["total"]["click"], funnel["total"]["launch"]) == (1, 1, 2)
    assert {line["key"] for line in funnel["lines"]} == {"feed", "hub"}


def test_another_developers_app_looks_like_no_app(client, studio):
    rival = browser(client)
    headers = csrf_of(rival)
    sign_up(rival, "rival@example.com")
    rival.post("/api/developer", json={"name": "Rival"}, headers=headers)
    register_app(rival, headers, "rival-game")
    for report in ("activity", "funnel"):
        response = rival.get(f"/api/developer/apps/{studio.app_id}/reports/{report}?{PERIOD}")
        assert (response.status_code, response.json()["code"]) == (404, "NOT_FOUND")
    assert rival.get(f"/api/developer/apps/rival-game/reports/activity?{PERIOD}").status_code == 200


def test_a_person_who_is_not_a_developer_is_told_to_register(client, studio):
    person = browser(client)
    response = person.get(f"/api/developer/apps/{studio.app_id}/reports/activity?{PERIOD}")
    assert (response.status_code, response.json()["code"]) == (403, "NOT_A_DEVELOPER")


def test_a_bad_period_is_refused_naming_the_field(studio):
    response = studio.developer.get(
        f"/api/developer/apps/{studio.app_id}/reports/activity?from=2026-01-07&to=2026-01-01"
    )
    assert (response.status_code, response.json()["field"]) == (422, "to")


def test_the_console_page_carries_the_session_and_a_strict_policy(client):
    page = client.get("/console")
    assert page.status_code == 200
    assert '<script type="module" src="/static/console.js">' in page.text
    assert '"csrfToken"' in page.text
    assert "script-src 'self'" in page.headers["content-security-policy"]
