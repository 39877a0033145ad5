"""The screenshots the platform's checks took of a version are served to its reviewers, on the
review API (catalog/admin.py), and to nobody else there."""

from __future__ import annotations

from openminis.catalog.checks import screenshot_folder
from tests.factories import publish
from tests.studio import ADMIN_TOKEN, browser, csrf_of, sign_up

PNG = b"\x89PNG\r\n\x1a\n" + b"\0" * 32  # what the checks wrote, as far as serving it goes
ADMIN = {"Authorization": f"Bearer {ADMIN_TOKEN}"}


def test_a_reviewer_gets_a_versions_screenshots_and_no_one_else_does(client, platform):
    publish(platform)
    platform.storage.put_bytes(f"{screenshot_folder('test-game', '1.0.0')}/unthrottled.png", PNG)
    path = "/api/admin/review/test-game/1.0.0/screenshots/unthrottled.png"

    shown = client.get(path, headers=ADMIN)
    assert shown.status_code == 200
    assert shown.headers["content-type"] == "image/png" and shown.content == PNG
    assert shown.headers["cache-control"].startswith("private")

    for name in ("throttled.png", "..%2Fsecret.png", "unthrottled.txt"):
        assert client.get(f"/api/admin/review/test-game/1.0.0/screenshots/{name}", headers=ADMIN).status_code == 404
    assert client.get("/api/admin/review/test-game/9.9.9/screenshots/unthrottled.png", headers=ADMIN).status_code == 404

    assert browser(client).get(path).status_code == 401  # no session at all
    guest = browser(client)
    csrf_of(guest)
    person = browser(client)
    sign_up(person, "not-staff@example.com")
    for someone in (guest, person):
        refused = someone.get(path)
        assert (refused.status_code, refused.json()["code"]) == (403, "NOT_STAFF")
