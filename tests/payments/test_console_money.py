"""The developer console's money pages on the person's session: products, the payment terms, the
notify URL and the delivery log with its resend. Each act is the team role's to allow: a viewer
reads, a developer sells; someone outside the team finds no app."""

from __future__ import annotations

import pytest

from tests.console_team import join_team, outsider
from tests.payments.test_deliveries import ping
from tests.payments.test_notifications import NOTIFY_URL
from tests.receiver import Receiver


def path(studio, rest: str) -> str:
    return f"/api/developer/apps/{studio.app_id}{rest}"


PRODUCT = {"type": "consumable", "price": 120, "title": {"en": "Extra life", "fr": "Vie en plus"}}


def test_a_developer_puts_a_product_with_titles_per_language_and_players_see_its_price(studio, player):
    put = studio.developer.put(path(studio, "/products/extra-life"), json=PRODUCT, headers=studio.headers)
    assert put.status_code == 200, put.text
    assert put.json() == {"id": "extra-life", **PRODUCT}
    changed = studio.developer.put(
        path(studio, "/products/extra-life"), json={**PRODUCT, "price": 90}, headers=studio.headers
    )
    assert changed.json()["price"] == 90
    listed = studio.developer.get(path(studio, "/products")).json()["items"]
    assert [(p["id"], p["price"], p["title"]["fr"]) for p in listed] == [("extra-life", 90, "Vie en plus")]
    on_sale = player.get(f"/api/apps/{studio.app_id}/products").json()["items"]
    assert [(p["id"], p["price"]) for p in on_sale] == [("extra-life", 90)]

    retired = studio.developer.delete(path(studio, "/products/extra-life"), headers=studio.headers)
    assert retired.status_code == 200, retired.text
    assert studio.developer.get(path(studio, "/products")).json()["items"] == []


def test_a_team_developer_may_sell_but_a_viewer_only_reads(studio):
    developer, developer_headers = join_team(studio, "builder@example.com", "developer")
    assert developer.put(path(studio, "/products/gem"), json=PRODUCT, headers=developer_headers).status_code == 200

    viewer, headers = join_team(studio, "watcher@example.com", "viewer")
    assert [p["id"] for p in viewer.get(path(studio, "/products")).json()["items"]] == ["gem"]
    assert viewer.get(path(studio, "/payment-settings")).status_code == 200
    assert viewer.get(path(studio, "/notifications")).status_code == 200
    refused = [
        viewer.put(path(studio, "/products/gem"), json={**PRODUCT, "price": 1}, headers=headers),
        viewer.delete(path(studio, "/products/gem"), headers=headers),
        viewer.put(path(studio, "/payment-settings"), json={"notify_url": NOTIFY_URL}, headers=headers),
        viewer.post(path(studio, "/notifications/evt_0123abcd/resend"), headers=headers),
    ]
    assert [(r.status_code, r.json()["code"]) for r in refused] == [(403, "ROLE_FORBIDS")] * 4
    assert studio.developer.get(path(studio, "/products")).json()["items"][0]["price"] == PRODUCT["price"]


def test_someone_outside_the_team_finds_no_app(studio):
    stranger, headers = outsider(studio)
    answers = [
        stranger.get(path(studio, "/products")),
        stranger.put(path(studio, "/products/gem"), json=PRODUCT, headers=headers),
        stranger.delete(path(studio, "/products/gem"), headers=headers),
        stranger.get(path(studio, "/payment-settings")),
        stranger.put(path(studio, "/payment-settings"), json={"notify_url": None}, headers=headers),
        stranger.get(path(studio, "/notifications")),
        stranger.post(path(studio, "/notifications/evt_0123abcd/resend"), headers=headers),
    ]
    assert [r.status_code for r in answers] == [404] * len(answers)


def test_the_fee_and_commission_are_shown_and_only_the_notify_url_is_set(studio):
    terms = studio.developer.get(path(studio, "/payment-settings"))
    assert terms.json() == {"notify_url": None, "fee_bps": 3000, "creator_commission_bps": 1000}

    with_fee = studio.developer.put(
        path(studio, "/payment-settings"), json={"notify_url": NOTIFY_URL, "fee_bps": 0}, headers=studio.headers
    )
    assert with_fee.status_code == 422  # the operator's terms are not the team's to set
    saved = studio.developer.put(
        path(studio, "/payment-settings"), json={"notify_url": NOTIFY_URL}, headers=studio.headers
    )
    assert saved.status_code == 200, saved.text
    assert saved.json() == {"notify_url": NOTIFY_URL, "fee_bps": 3000, "creator_commission_bps": 1000}
    cleared = studio.developer.put(path(studio, "/payment-settings"), json={"notify_url": None}, headers=studio.headers)
    assert cleared.json()["notify_url"] is None


def test_a_notify_url_the_platform_would_not_call_is_refused_by_field(studio):
    refused = studio.developer.put(
        path(studio, "/payment-settings"), json={"notify_url": "ftp://example.com/x"}, headers=studio.headers
    )
    assert (refused.status_code, refused.json()["field"]) == (422, "notify_url"), refused.text


def test_the_delivery_log_shows_each_attempt_and_a_developer_resends_one(studio, platform):
    with Receiver() as receiver:
        url = receiver.url("/ok/notify")
        saved = studio.developer.put(
            path(studio, "/payment-settings"), json={"notify_url": url}, headers=studio.headers
        )
        assert saved.status_code == 200, saved.text
        event_id = ping(platform, studio.app_id)
        platform.worker().drain()
        [attempt] = studio.developer.get(path(studio, "/notifications")).json()["items"]
        assert (attempt["event_id"], attempt["status_code"], attempt["attempt"]) == (event_id, 204, 1)
        resent = studio.developer.post(path(studio, f"/notifications/{event_id}/resend"), headers=studio.headers)
        assert resent.status_code == 202, resent.text
        platform.worker().drain()
    assert [h.event_id for h in receiver.hits] == [event_id, event_id]
    log = studio.developer.get(path(studio, "/notifications")).json()["items"]
    assert [(a["event_id"], a["status_code"]) for a in log] == [(event_id, 204)] * 2


@pytest.mark.parametrize(
    ("method", "rest", "body", "status"),
    [
        ("PUT", "/products/extra-life", {**PRODUCT, "price": 0}, 422),
        ("PUT", "/products/extra-life", {**PRODUCT, "title": {}}, 422),
        ("PUT", "/products/extra-life", {**PRODUCT, "title": {"en": "x" * 81}}, 422),
        ("PUT", "/products/extra-life", {**PRODUCT, "type": "subscription"}, 422),
        ("PUT", "/products/extra-life", {**PRODUCT, "price": "ten"}, 422),
        ("PUT", "/products/" + "x" * 65, PRODUCT, 422),
        ("PUT", "/products/bad%20id", PRODUCT, 422),
        ("PUT", "/products/extra-life", [1, 2], 422),
        ("DELETE", "/products/never-made", None, 404),
        ("PUT", "/payment-settings", {"notify_url": "x" * 501}, 422),
        ("POST", "/notifications/evt_0123abcd/resend", None, 404),
        ("POST", "/notifications/not-an-event/resend", None, 422),
    ],
)
def test_every_bad_input_is_a_clear_4xx(studio, method, rest, body, status):
    response = studio.developer.request(method, path(studio, rest), json=body, headers=studio.headers)
    assert response.status_code == status, response.text
    assert response.json()["code"]


def test_a_change_without_the_sessions_csrf_token_is_refused(studio):
    refused = studio.developer.put(path(studio, "/products/extra-life"), json=PRODUCT)
    assert (refused.status_code, refused.json()["code"]) == (403, "CSRF_FAILED")
