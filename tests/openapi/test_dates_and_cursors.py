"""Parameters parsed, not trusted: statement times in ISO 8601 with or without an offset (naive is
UTC), cursors this server never issued refused with 422 on every paginated route."""

from __future__ import annotations

import base64
import json
from datetime import UTC, datetime, timedelta, timezone

import pytest
from starlette.testclient import TestClient

from tests.factories import package_files, zip_bytes
from tests.studio import buy, put_product, top_up

EAST, WEST = timezone(timedelta(hours=8)), timezone(timedelta(hours=-5))


@pytest.fixture
def quiet(client) -> TestClient:
    """The same server, answering a server error as a 500 instead of raising it into the test."""
    return TestClient(client.app, base_url="http://localhost:8000", raise_server_exceptions=False)


@pytest.fixture
def bearer(quiet, studio) -> dict[str, str]:
    return {"Authorization": f"Bearer {studio.backend(quiet).access_token()}"}


@pytest.fixture
def paid_at(client, studio, player) -> datetime:
    put_product(client, studio, "extra-life", price=100)
    top_up(player)
    order = buy(player, studio.app_id, "extra-life", "k1")
    assert order.status_code == 200, order.text
    return datetime.fromisoformat(order.json()["paid_at"])


def orders_in(quiet, bearer, start: str, end: str) -> int:
    response = quiet.get("/openapi/v1/statements", params={"start": start, "end": end}, headers=bearer)
    assert response.status_code == 200, response.text
    return response.json()["lines"][0]["orders"]


def test_statement_times_with_any_offset_or_none_select_the_same_instant(quiet, bearer, paid_at):
    before, after = paid_at - timedelta(minutes=1), paid_at + timedelta(minutes=1)
    for zone in (EAST, WEST, UTC):
        assert orders_in(quiet, bearer, before.astimezone(zone).isoformat(), after.astimezone(zone).isoformat()) == 1
        # The same window moved past the payment, in that zone's local time, holds nothing.
        assert (
            orders_in(
                quiet,
                bearer,
                after.astimezone(zone).isoformat(),
                (after + timedelta(hours=9)).astimezone(zone).isoformat(),
            )
            == 0
        )
    naive = lambda moment: moment.astimezone(UTC).replace(tzinfo=None).isoformat()  # noqa: E731
    assert orders_in(quiet, bearer, naive(before), naive(after)) == 1
    assert (
        orders_in(quiet, bearer, before.strftime("%Y-%m-%dT%H:%M:%S.%fZ"), after.strftime("%Y-%m-%dT%H:%M:%S.%fZ")) == 1
    )


MALFORMED_TIMES = [
    "yesterday",
    "2024-13-01T00:00:00",
    "2024-01-01T25:00:00",
    "2024-01-01T00:00:00+25:00",
    "0001-01-01T00:00:00+08:00",
    "",
]


def test_a_malformed_statement_time_is_refused_with_422(quiet, bearer):
    for start in MALFORMED_TIMES:
        response = quiet.get(
            "/openapi/v1/statements", params={"start": start, "end": "2030-01-01T00:00:00"}, headers=bearer
        )
        assert response.status_code == 422 and response.json()["code"] == "INVALID_ARGUMENT", (start, response.text)


def forged(*parts) -> str:
    return base64.urlsafe_b64encode(json.dumps(list(parts)).encode()).decode().rstrip("=")


NOW = "2026-01-01T00:00:00+00:00"
BAD_CURSORS = [
    "not base64!",
    base64.urlsafe_b64encode(b"\xff\xfe").decode(),
    forged(NOW),
    forged(NOW, 1, 2),
    forged("2026-01-01T00:00:00", 1),  # naive: never issued
    forged("2026-01-01T00:00:00", "a"),
    forged("not a time", 1),
    forged(NOW, 2**70),
    forged(NOW, True),
    forged(NOW, None),
    forged(NOW, ["a"]),
    forged(NOW, "a\ud800"),
    forged(NOW, "x" * 150),
    forged(NOW, 1.5),
    base64.urlsafe_b64encode(json.dumps({"a": 1, "b": 2}).encode()).decode(),
]


def refusals(get, routes: list[str]) -> dict[str, list[str]]:
    """For each route, the forged cursors it did not refuse with a 422 naming the cursor."""
    missed: dict[str, list[str]] = {}
    for route in routes:
        for cursor in BAD_CURSORS:
            response = get(route, cursor)
            if not (response.status_code == 422 and response.json().get("field") == "cursor"):
                missed.setdefault(route, []).append(f"{cursor} -> {response.status_code}")
    return missed


def test_a_cursor_this_server_never_issued_is_refused_with_422_by_the_open_api(quiet, bearer):
    get = lambda route, cursor: quiet.get(f"/openapi/v1{route}", params={"cursor": cursor}, headers=bearer)  # noqa: E731
    assert refusals(get, ["/app/versions", "/launches", "/orders", "/ads/rewards"]) == {}


def test_a_cursor_this_server_never_issued_is_refused_with_422_by_the_host(quiet):
    get = lambda route, cursor: quiet.get(route, params={"cursor": cursor})  # noqa: E731
    assert refusals(get, ["/api/feed", "/api/creator/earnings"]) == {}


def test_issued_version_cursors_still_page_through_every_version(quiet, studio, bearer):
    for version in ("1.0.1", "1.0.2"):
        upload = studio.developer.post(
            f"/api/developer/apps/{studio.app_id}/versions",
            content=zip_bytes(package_files(id=studio.app_id, version=version)),
            headers={**studio.headers, "Content-Type": "application/zip"},
        )
        assert upload.status_code == 201, upload.text
    seen, cursor = [], None
    while True:
        page = quiet.get(
            "/openapi/v1/app/versions", params={"limit": 1, **({"cursor": cursor} if cursor else {})}, headers=bearer
        ).json()
        seen += [item["version"] for item in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert seen == ["1.0.2", "1.0.1", "1.0.0"]


def days_of(quiet, bearer, **params) -> tuple[int, dict]:
    response = quiet.get("/openapi/v1/reports/activity", params=params, headers=bearer)
    return response.status_code, response.json()


def test_report_days_are_a_day_or_any_iso_8601_time_naming_its_utc_day(quiet, bearer):
    status, body = days_of(quiet, bearer, **{"from": "2024-01-01T10:00:00+08:00", "to": "2024-01-07T23:30:00-05:00"})
    assert status == 200 and (body["first"], body["last"]) == ("2024-01-01", "2024-01-08"), body
    status, body = days_of(quiet, bearer, **{"from": "2024-01-01T00:30:00+08:00", "to": "2024-01-07T12:00:00"})
    assert status == 200 and (body["first"], body["last"]) == ("2023-12-31", "2024-01-07"), body
    status, body = days_of(quiet, bearer, **{"from": "2024-01-01", "to": "2024-01-07Z"})
    assert status == 422, body


def test_report_days_at_the_ends_of_the_calendar_are_a_short_report_or_a_422_never_a_500(quiet, bearer):
    status, body = days_of(quiet, bearer, to="0001-01-03")
    assert status == 200 and (body["first"], body["last"]) == ("0001-01-01", "0001-01-03"), body
    for params in (
        {"from": "9999-12-31"},
        {"to": "9999-12-31"},
        {"to": "2024-02-30"},
        {"from": "0001-01-01T00:00:00+08:00"},
    ):
        status, body = days_of(quiet, bearer, **params)
        assert status == 422 and body["code"] == "INVALID_ARGUMENT", (params, body)
