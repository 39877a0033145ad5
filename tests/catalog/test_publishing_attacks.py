"""Issue 14's publishing flow attacked from outside, against a real ``minis serve`` on SQLite and
PostgreSQL: people outside an app's team, team members beyond their role, non-staff reviewers,
cross-site requests, forged or replayed preview capabilities, path tricks on the app origin,
rejected versions looking for a way to a person, bad input on every new route, and concurrent
decisions on one version. Each test states what must hold; those that found a bug say so.
"""

from __future__ import annotations

import http.client
import secrets
import socket
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import closing
from pathlib import Path
from urllib.parse import urlsplit

import httpx
import pytest

from openminis.catalog import preview
from tests.catalog.test_staged_release import Studio, app_file
from tests.factories import package_files, zip_bytes
from tests.publishing_live import (
    ADMIN_TOKEN,
    DATABASES,
    SECRET,
    Member,
    Team,
    as_member,
    at_once,
    browser,
    csrf,
    full_account,
    live_server,
    new_studio,
    server_per_database,
)

pytestmark = pytest.mark.slow  # a real server per database


server = pytest.fixture(scope="module", params=DATABASES)(server_per_database)


@pytest.fixture(scope="module")
def studio(server) -> Iterator[Studio]:
    made = new_studio(server)
    with closing(made.owner), closing(made.staff):
        yield made


def new_team(studio: Studio, *roles: str) -> Team:
    team = Team(studio, studio.released_app(f"Target {secrets.token_hex(2)}"))
    for role in roles:
        team.join(role)
    return team


@pytest.fixture(scope="module")
def team(studio) -> Iterator[Team]:
    """An app released at 1.0.0 with 1.1.0 in review, and a developer, a viewer and a tester."""
    made = new_team(studio, "developer", "viewer", "tester")
    made.upload("1.1.0")
    yield made
    for member in made.members.values():
        member.client.close()


@pytest.fixture(scope="module")
def outsider(server) -> Iterator[Member]:
    client, headers = full_account(server, f"outsider-{secrets.token_hex(4)}@example.com")
    assert client.post("/api/developer", json={"name": "Elsewhere"}, headers=headers).status_code == 200
    with closing(client):
        yield Member(client, headers)


def reads(app_id: str) -> list[str]:
    base = f"/api/developer/apps/{app_id}"
    return [
        base,
        f"{base}/versions",
        f"{base}/versions/1.1.0",
        f"{base}/versions/1.1.0/screenshots/throttled.png",
        f"{base}/versions/1.1.0/preview.svg",
        f"{base}/team",
        f"{base}/products",
        f"{base}/payment-settings",
        f"{base}/notifications",
        f"{base}/ad-units",
        f"/api/developer/preview/{app_id}/1.1.0",
    ]


def changes(app_id: str) -> list[tuple[str, str, dict]]:
    base = f"/api/developer/apps/{app_id}"
    zipped = zip_bytes(package_files(id=app_id, version="9.9.9"))
    return [
        ("POST", f"{base}/versions", {"content": zipped, "headers": {"Content-Type": "application/zip"}}),
        ("POST", f"{base}/versions/1.1.0/checks", {}),
        ("POST", f"{base}/versions/1.1.0/submit", {}),
        ("POST", f"{base}/versions/1.0.0/release", {"json": {"percent": 100}}),
        ("POST", f"{base}/rollback", {"json": {"version": "1.0.0", "note": "x"}}),
        ("POST", f"{base}/secret", {"json": {"grace_seconds": 0}}),
        ("POST", f"{base}/team/invitations", {"json": {"email": "mole@example.com", "role": "owner"}}),
        ("PUT", f"{base}/products/gem", {"json": {"type": "consumable", "price": 1, "title": {"en": "Gem"}}}),
        ("DELETE", f"{base}/products/gem", {}),
        ("PUT", f"{base}/payment-settings", {"json": {"notify_url": "https://example.com/evil"}}),
        ("POST", f"{base}/notifications/evt_00/resend", {}),
        ("POST", f"{base}/ad-units", {"json": {"name": "Mine", "kind": "interstitial"}}),
    ]


def request(member: Member | Studio, method: str, path: str, **kwargs) -> httpx.Response:
    client, headers = (
        (member.owner, member.owner_headers) if isinstance(member, Studio) else (member.client, member.headers)
    )
    return send(client, method, path, headers, **kwargs)


def send(client: httpx.Client, method: str, path: str, base: dict[str, str], /, **kwargs) -> httpx.Response:
    """``kwargs``' own headers (a Content-Type) under the person's ``base`` ones."""
    headers = {**kwargs.pop("headers", {}), **base}
    return client.request(method, path, **kwargs, headers=headers)


def test_someone_outside_the_team_finds_no_app_and_changes_nothing(team, outsider):
    before = (team.app(), team.versions(), team.studio.owner.get(f"/api/developer/apps/{team.app_id}/team").json())
    for path in reads(team.app_id):
        answer = outsider.client.get(path)
        assert answer.status_code == 404, (path, answer.status_code, answer.text)
        assert "1.1.0" not in answer.text, path
    for method, path, kwargs in changes(team.app_id):
        answer = request(outsider, method, path, **kwargs)
        assert answer.status_code == 404, (method, path, answer.status_code, answer.text)
    assert team.app_id not in outsider.client.get("/api/developer/apps").text
    after = (team.app(), team.versions(), team.studio.owner.get(f"/api/developer/apps/{team.app_id}/team").json())
    assert after == before


def test_a_guest_and_a_signed_out_browser_reach_nothing(server, team):
    with closing(browser(server)) as guest:
        headers = csrf(guest)
        for path in reads(team.app_id):
            assert guest.get(path).status_code in (401, 403, 404), path
        for method, path, kwargs in changes(team.app_id):
            answer = send(guest, method, path, headers, **kwargs)
            assert answer.status_code in (401, 403, 404), (method, path, answer.text)


# What each role may not do: the act is refused (403 ROLE_FORBIDS; a tester finds no app) and nothing changes.
FORBIDDEN = {
    "developer": {"release", "rollback", "secret", "invite", "role"},
    "viewer": {"upload", "checks", "submit", "release", "rollback", "secret", "invite", "role", "product", "notify",
               "resend", "ad-unit"},
    "tester": {"upload", "checks", "submit", "release", "rollback", "secret", "invite", "role", "product", "notify",
               "resend", "ad-unit"},
}  # fmt: skip


def acts(team: Team) -> dict[str, tuple[str, str, dict]]:
    base = f"/api/developer/apps/{team.app_id}"
    zipped = zip_bytes(package_files(id=team.app_id, version="8.8.8"))
    owner_id = team.studio.owner.get("/api/developer").json()["id"]
    return {
        "upload": ("POST", f"{base}/versions", {"content": zipped, "headers": {"Content-Type": "application/zip"}}),
        "checks": ("POST", f"{base}/versions/1.1.0/checks", {}),
        "submit": ("POST", f"{base}/versions/1.1.0/submit", {}),
        "release": ("POST", f"{base}/versions/1.0.0/release", {"json": {"percent": 100}}),
        "rollback": ("POST", f"{base}/rollback", {"json": {"version": "1.0.0", "note": "mine now"}}),
        "secret": ("POST", f"{base}/secret", {"json": {"grace_seconds": 0}}),
        "invite": ("POST", f"{base}/team/invitations", {"json": {"email": "mole@example.com", "role": "owner"}}),
        "role": ("PUT", f"{base}/team/{owner_id}", {"json": {"role": None}}),
        "product": ("PUT", f"{base}/products/gem", {"json": {"type": "consumable", "price": 1, "title": {"en": "G"}}}),
        "notify": ("PUT", f"{base}/payment-settings", {"json": {"notify_url": "https://example.com/hook"}}),
        "resend": ("POST", f"{base}/notifications/evt_00/resend", {}),
        "ad-unit": ("POST", f"{base}/ad-units", {"json": {"name": "Mine", "kind": "interstitial"}}),
    }


@pytest.mark.parametrize("role", ["developer", "viewer", "tester"])
def test_a_member_cannot_do_what_their_role_forbids(team, role):
    member = team.members[role]
    before = (team.app(), team.versions(), team.studio.owner.get(f"/api/developer/apps/{team.app_id}/team").json())
    for act, (method, path, kwargs) in acts(team).items():
        if act not in FORBIDDEN[role]:
            continue
        answer = request(member, method, path, **kwargs)
        expected = 404 if role == "tester" else 403
        assert answer.status_code == expected, (role, act, answer.status_code, answer.text)
        if expected == 403:
            assert answer.json()["code"] == "ROLE_FORBIDS", (role, act, answer.text)
    after = (team.app(), team.versions(), team.studio.owner.get(f"/api/developer/apps/{team.app_id}/team").json())
    assert after == before
    settings = team.studio.owner.get(f"/api/developer/apps/{team.app_id}/payment-settings").json()
    assert settings["notify_url"] is None
    if role == "tester":  # a tester opens previews, and sees nothing else of the app
        assert member.client.get(f"/api/developer/preview/{team.app_id}/1.1.0").status_code == 200
        for path in reads(team.app_id)[:-2]:
            if not path.endswith("preview.svg"):
                assert member.client.get(path).status_code == 404, path


INTERNAL = [
    "http://127.0.0.1:8000/hook",
    "https://127.0.0.1/hook",
    "https://127.1/hook",
    "https://2130706433/hook",
    "https://0x7f.0.0.1/hook",
    "https://[::1]/hook",
    "https://[::ffff:127.0.0.1]/hook",
    "https://localhost/hook",
    "https://app.localhost/hook",
    "https://169.254.169.254/latest/meta-data/",
    "https://metadata.google.internal/computeMetadata/v1/",
    "https://10.0.0.1/hook",
    "https://192.168.1.1/hook",
    "https://100.64.0.1/hook",
    "https://0.0.0.0/hook",
    "file:///etc/passwd",
    "gopher://127.0.0.1:6379/_INFO",
]


def test_the_consoles_notify_url_and_ad_verify_url_never_point_inside(team):
    developer = team.members["developer"]
    base = f"/api/developer/apps/{team.app_id}"
    for url in INTERNAL:
        answer = request(developer, "PUT", f"{base}/payment-settings", json={"notify_url": url})
        assert answer.status_code in (400, 422), (url, answer.status_code, answer.text)
        unit = {"name": "Verify", "kind": "rewarded", "reward": {"type": "coins", "amount": 1}, "verify_url": url}
        made = request(developer, "POST", f"{base}/ad-units", json=unit)
        assert made.status_code in (400, 422), (url, made.status_code, made.text)
    assert team.studio.owner.get(f"{base}/payment-settings").json()["notify_url"] is None
    good = request(developer, "PUT", f"{base}/payment-settings", json={"notify_url": "https://example.com/hook"})
    assert good.status_code == 200 and good.json()["notify_url"] == "https://example.com/hook"
    assert request(developer, "PUT", f"{base}/payment-settings", json={"notify_url": None}).status_code == 200


def test_only_staff_reviewers_or_the_admin_token_decide(server, studio, team, outsider):
    team.upload("1.2.0")
    paths = [
        ("POST", f"/api/admin/review/{team.app_id}/1.2.0/approve", {"json": {"note": "ok", "percent": 100}}),
        ("POST", f"/api/admin/review/{team.app_id}/1.2.0/reject", {"json": {"note": "no good"}}),
        ("POST", f"/api/admin/apps/{team.app_id}/versions/1.1.0/release", {"json": {"percent": 100}}),
        ("POST", f"/api/admin/apps/{team.app_id}/rollback", {"json": {"version": "1.0.0", "note": "x"}}),
    ]
    reads_ = ["/api/admin/review", f"/api/admin/review/{team.app_id}/1.2.0"]
    people = {"owner": studio, "outsider": outsider, **team.members}
    for who, person in people.items():
        for path in reads_:
            client = person.owner if isinstance(person, Studio) else person.client
            assert client.get(path).status_code in (401, 403), (who, path)
        for method, path, kwargs in paths:
            answer = request(person, method, path, **kwargs)
            assert answer.status_code in (401, 403), (who, path, answer.status_code, answer.text)
    with httpx.Client(base_url=server.url, timeout=30) as anonymous:
        for token in ("x", "wrong", ADMIN_TOKEN + "x", ADMIN_TOKEN[:-1], "Bearer " + ADMIN_TOKEN):
            for method, path, kwargs in paths:
                answer = send(anonymous, method, path, {"Authorization": f"Bearer {token}"}, **kwargs)
                assert answer.status_code == 401, (token, path, answer.text)
    # The staff reviewer's own session: without its CSRF token, or from another origin, nothing.
    for headers in ({}, {"X-CSRF-Token": "forged"}, {**studio.staff_headers, "Origin": server.app_origin(team.app_id)}):
        for method, path, kwargs in paths:
            answer = send(studio.staff, method, path, headers, **kwargs)
            assert answer.status_code == 403, (headers, path, answer.text)
    assert team.versions()["1.2.0"]["state"] == "in_review"
    assert team.app()["latest_version"] == "1.0.0"


def test_a_reviewer_on_an_apps_team_decides_nothing_of_its_versions_another_reviewer_does(server, studio):
    """A probe (developer49): a developer of an app, made a reviewer, approved their own upload and
    released it to everyone through the staff routes, past the review and the owner's right to release."""
    team = new_team(studio, "developer")
    member = team.members["developer"]
    with closing(member.client):
        they_decide_nothing_of_their_own(server, studio, team, member)


def they_decide_nothing_of_their_own(server, studio: Studio, team: Team, member: Member) -> None:
    team.upload("1.1.0")
    email = member.client.get("/api/me").json()["user"]["email"]
    server.minis("staff", "add", email, "--role", "reviewer", "--data-dir", str(server.data_dir))
    approve = ("POST", f"/api/admin/review/{team.app_id}/1.1.0/approve", {"json": {"note": "lgtm", "percent": 100}})
    for method, path, kwargs in (
        approve,
        ("POST", f"/api/admin/review/{team.app_id}/1.1.0/reject", {"json": {"note": "not mine to judge"}}),
        ("POST", f"/api/admin/apps/{team.app_id}/versions/1.0.0/release", {"json": {"percent": 50}}),
        ("POST", f"/api/admin/apps/{team.app_id}/rollback", {"json": {"version": "1.0.0", "note": "x"}}),
    ):
        answer = request(member, method, path, **kwargs)
        assert (answer.status_code, answer.json()["code"]) == (403, "OWN_APP"), (path, answer.text)
    assert team.versions()["1.1.0"]["state"] == "in_review"
    method, path, kwargs = approve
    assert send(studio.staff, method, path, studio.staff_headers, **kwargs).status_code == 200
    assert team.app()["latest_version"] == "1.1.0"


def test_console_changes_need_the_csrf_token_and_the_hosts_origin(server, team):
    owner = team.studio
    origins = [server.app_origin(team.app_id), "http://evil.example", "null", f"http://localhost:{server.port + 1}"]
    for act, (method, path, kwargs) in acts(team).items():
        # No token, a forged one, another person's.
        for headers in ({}, {"X-CSRF-Token": "x" * 43}, team.members["developer"].headers):
            answer = send(owner.owner, method, path, headers, **kwargs)
            assert answer.status_code == 403 and answer.json()["code"] == "CSRF_FAILED", (act, answer.text)
        for origin in origins:
            answer = send(owner.owner, method, path, {**owner.owner_headers, "Origin": origin}, **kwargs)
            assert answer.status_code == 403 and answer.json()["code"] == "BAD_ORIGIN", (act, origin, answer.text)
    # Accepting an invitation is a change too.
    mole, mole_headers = full_account(server, "mole@example.com")
    with closing(mole):
        assert request(team.studio, "POST", f"/api/developer/apps/{team.app_id}/team/invitations",
                       json={"email": "mole@example.com", "role": "viewer"}).status_code == 201  # fmt: skip
        [invitation] = mole.get("/api/developer/invitations").json()["items"]
        accept = f"/api/developer/invitations/{invitation['id']}/accept"
        assert mole.post(accept).status_code == 403
        assert mole.post(accept, headers={**mole_headers, "Origin": server.app_origin(team.app_id)}).status_code == 403
        members = team.studio.owner.get(f"/api/developer/apps/{team.app_id}/team").json()["members"]
        assert len(members) == 4  # the owner and the three who joined; the mole did not


def test_capabilities_open_one_version_of_one_app_and_no_path_leaves_it(server, team, studio):
    other = new_team(studio)
    other.upload("1.1.0")
    card = team.studio.owner.get(f"/api/developer/preview/{team.app_id}/1.1.0").json()["card"]
    token = urlsplit(card["entry_url"]).path.split("/")[2]
    assert app_file(server, team.app_id, f"/p/{token}/index.html").status_code == 200
    # The same capability on another app's origin, even one with the same version: nothing.
    assert app_file(server, other.app_id, f"/p/{token}/index.html").status_code == 404
    # A capability for a version of another app, replayed here.
    theirs = preview.capability(SECRET, other.app_id, "1.1.0")
    assert app_file(server, team.app_id, f"/p/{theirs}/index.html").status_code == 404
    # A capability whose payload names this app and an extra line, or a tampered version.
    tampered = preview._b64(f"{team.app_id}\n1.0.0\n9999999999".encode()) + "." + token.split(".")[1]
    assert app_file(server, team.app_id, f"/p/{tampered}/index.html").status_code == 404
    # Never-released versions under /v/, however the path is spelled; nothing of the data dir.
    port = server.port
    raw_paths = [
        "/v/1.1.0/index.html",
        "/v/1.0.0/../1.1.0/index.html",
        "/v/1.0.0/%2e%2e/1.1.0/index.html",
        "/v/1.0.0/..%2f1.1.0%2findex.html",
        "/v/1.0.0/%2e%2e%2f%2e%2e%2fminis.db",
        "/v/1.0.0/../../../minis.db",
        "/v/..%2f..%2fminis.db/x",
        "/v/1.0.0//etc/passwd",
        f"/p/{token}/../../../minis.db",
        f"/p/{token}/%2e%2e/%2e%2e/%2e%2e/%2e%2e/etc/passwd",
        f"/p/{token}/..%2f..%2f..%2fminis.db",
        f"/p/{token}//etc/passwd",
        "/v/1.1.0%00/index.html",
        "/v/" + "9" * 5000 + "/index.html",
    ]
    for path in raw_paths:
        status, body = raw_get(port, f"{team.app_id}.apps.localhost:{port}", path)
        assert status in (400, 404, 414, 422), (path, status, body[:200])
        assert b"1.1.0" not in body and b"SQLite" not in body and b"root:" not in body, path
    # A traversal in a real package file name was refused at upload: the released files serve as they are.
    assert app_file(server, team.app_id, "/v/1.0.0/index.html").status_code == 200


def raw_get(port: int, host: str, path: str) -> tuple[int, bytes]:
    """A GET with the path sent exactly as written (httpx would normalise the dot segments)."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        connection.putrequest("GET", path, skip_host=True, skip_accept_encoding=True)
        connection.putheader("Host", host)
        connection.endheaders()
        response = connection.getresponse()
        return response.status, response.read()
    finally:
        connection.close()


def test_a_rejected_version_reaches_nobody_anywhere(server, studio):
    team = new_team(studio)
    name = team.app()["name"]
    team.upload("1.5.0")
    studio.reject(team.app_id, "1.5.0", "crashes on start")
    with closing(browser(server)) as person:
        headers = {**csrf(person), "Origin": server.url}
        hub = person.get("/api/hub", params={"kind": "game"}).text
        search = person.get("/api/search", params={"q": name}).text
        launch = person.post(
            "/api/launches",
            json={"launch_id": secrets.token_hex(16), "app_id": team.app_id, "source": "hub"},
            headers=headers,
        )
        assert launch.status_code == 200 and launch.json()["version"] == "1.0.0", launch.text
        recents = person.get("/api/recents").text
        for text in (hub, search, recents):
            assert "1.5.0" not in text
    # The app origin's "/" goes to the released version; the rejected one's files are not there.
    home = httpx.get(f"{server.url}/", headers={"Host": f"{team.app_id}.apps.localhost:{server.port}"}, timeout=30)
    assert home.status_code == 302 and "/v/1.0.0/" in home.headers["location"]
    assert app_file(server, team.app_id, "/v/1.5.0/index.html").status_code == 404
    # No release, rollback or staged share can bring it out, by its owner or by a reviewer.
    for answer in (
        request(studio, "POST", f"/api/developer/apps/{team.app_id}/versions/1.5.0/release", json={"percent": 100}),
        request(studio, "POST", f"/api/developer/apps/{team.app_id}/rollback", json={"version": "1.5.0"}),
        studio.staff.post(f"/api/admin/apps/{team.app_id}/versions/1.5.0/release", json={"percent": 10},
                          headers=studio.staff_headers),
        studio.staff.post(f"/api/admin/review/{team.app_id}/1.5.0/approve", json={"note": "ok", "percent": 100},
                          headers=studio.staff_headers),
    ):  # fmt: skip
        assert answer.status_code == 409, answer.text
    assert team.app()["latest_version"] == "1.0.0" and team.versions()["1.5.0"]["state"] == "rejected"


def test_an_app_with_nothing_released_is_not_found_on_its_origin_and_in_the_host(server, studio):
    app_id = studio.register("Unreleased")
    team = Team(studio, app_id)
    team.upload("0.1.0")
    home = httpx.get(f"{server.url}/", headers={"Host": f"{app_id}.apps.localhost:{server.port}"}, timeout=30)
    assert home.status_code == 404, home.text
    for path in ("/v/0.1.0/index.html", "/v/0.1.0/minis.json", "/v/latest/index.html"):
        assert app_file(server, app_id, path).status_code == 404, path
    with closing(browser(server)) as person:
        headers = {**csrf(person), "Origin": server.url}
        launch = person.post(
            "/api/launches",
            json={"launch_id": secrets.token_hex(16), "app_id": app_id, "source": "hub"},
            headers=headers,
        )
        # (A game with nothing out is launched "at no version", as a drama without a package is.)
        assert launch.status_code in (200, 404, 409), launch.text
        assert "0.1.0" not in launch.text
        assert app_id not in person.get("/api/hub", params={"kind": "game"}).text
        assert app_id not in person.get("/api/search", params={"q": "Unreleased"}).text


# Bad input on every new route: a clear 4xx, never a 5xx -------------------------------------------

BAD_SEGMENTS = [
    "..",
    "%2e%2e",
    "..%2f..%2fetc",
    "a" * 65,
    "9" * 300,
    "1.0.0%00",
    "%00",
    "\u00e9\u4e2d\U0001f600",
    "%ff%fe",
    "1.0.0;rm",
    "-1",
    "' OR 1=1 --",
    "%0d%0aSet-Cookie:x=1",
]

BAD_BODIES = [
    None,
    b"",
    b"null",
    b"[]",
    b"{",
    b'{"percent": "ten"}',
    b'{"percent": -1}',
    b'{"percent": 0}',
    b'{"percent": 101}',
    b'{"percent": 1e308}',
    b'{"percent": 99999999999999999999999999999}',
    b'{"percent": 10.5}',
    b'{"percent": true}',
    b'{"percent": null}',
    b'{"version": "' + b"1" * 70 + b'", "note": "x"}',
    b'{"version": "..", "note": "x"}',
    b'{"version": "1.0.0\\u0000", "note": "x"}',
    b'{"version": 1, "note": 2}',
    b'{"note": "' + b"n" * 5000 + b'"}',
    b'{"note": "\\u0000\\u0000\\u0000"}',
    b'{"note": "ok", "percent": 100, "extra": 1}',
    b'{"email": "not-an-email", "role": "owner"}',
    b'{"email": "a@b.c\\u0000", "role": "owner"}',
    b'{"email": "' + b"e" * 300 + b'@example.com", "role": "owner"}',
    b'{"email": "x@example.com", "role": "superuser"}',
    b'{"role": "admin"}',
    b'{"role": 7}',
    b'{"grace_seconds": -5}',
    b'{"grace_seconds": 99999999999999999999}',
    b'{"notify_url": "' + b"h" * 600 + b'"}',
    b'{"notify_url": "https://\\u0000/"}',
    b'{"notify_url": "https://ex\xc3\xa4mple.com/\\ud800"}',
    b"\xff\xfe\x00garbage",
    b"x" * 200_000,
]


def test_bad_input_to_every_new_route_is_a_clear_4xx(server, team):
    owner, headers = team.studio.owner, {**team.studio.owner_headers, "Origin": server.url}
    staff, staff_headers = team.studio.staff, team.studio.staff_headers
    app = team.app_id
    templates = [
        (owner, headers, "GET", "/api/developer/apps/{a}"),
        (owner, headers, "GET", "/api/developer/apps/{a}/versions/{v}"),
        (owner, headers, "GET", "/api/developer/apps/{a}/versions/{v}/screenshots/{v}"),
        (owner, headers, "GET", "/api/developer/apps/{a}/versions/{v}/preview.svg"),
        (owner, headers, "GET", "/api/developer/preview/{a}/{v}"),
        (owner, headers, "POST", "/api/developer/apps/{a}/versions/{v}/checks"),
        (owner, headers, "POST", "/api/developer/apps/{a}/versions/{v}/submit"),
        (owner, headers, "POST", "/api/developer/apps/{a}/versions/{v}/release"),
        (owner, headers, "POST", "/api/developer/apps/{a}/rollback"),
        (owner, headers, "POST", "/api/developer/apps/{a}/secret"),
        (owner, headers, "POST", "/api/developer/apps/{a}/team/invitations"),
        (owner, headers, "PUT", "/api/developer/apps/{a}/team/{v}"),
        (owner, headers, "POST", "/api/developer/invitations/{v}/accept"),
        (owner, headers, "PUT", "/api/developer/apps/{a}/payment-settings"),
        (owner, headers, "PUT", "/api/developer/apps/{a}/products/{v}"),
        (owner, headers, "POST", "/api/developer/apps/{a}/notifications/{v}/resend"),
        (staff, staff_headers, "GET", "/api/admin/review/{a}/{v}"),
        (staff, staff_headers, "GET", "/api/admin/review/{a}/{v}/screenshots/{v}"),
        (staff, staff_headers, "POST", "/api/admin/review/{a}/{v}/approve"),
        (staff, staff_headers, "POST", "/api/admin/review/{a}/{v}/reject"),
        (staff, staff_headers, "POST", "/api/admin/apps/{a}/versions/{v}/release"),
        (staff, staff_headers, "POST", "/api/admin/apps/{a}/rollback"),
    ]
    failures = []
    for client, hdrs, method, template in templates:
        for segment in [*BAD_SEGMENTS, "1.1.0"]:
            for app_segment in (app, segment) if segment != "1.1.0" else (app,):
                path = template.format(a=app_segment, v=segment)
                bodies = BAD_BODIES if method != "GET" else [None]
                if segment != "1.1.0" and method != "GET":
                    bodies = [None, b'{"percent": 10, "note": "fine"}']
                for body in bodies:
                    answer = client.request(
                        method, path, content=body, headers={**hdrs, "Content-Type": "application/json"}
                    )
                    if answer.status_code >= 500 or (answer.status_code < 400 and method != "GET"):
                        if answer.status_code < 400 and segment == "1.1.0":
                            continue  # a sound request (checks again, a preview): fine
                        failures.append((method, path[:120], (body or b"")[:60], answer.status_code, answer.text[:200]))
    assert not failures, failures[:10]


def test_bad_packages_to_the_console_are_a_clear_4xx(server, team):
    owner, headers = team.studio.owner, {**team.studio.owner_headers, "Content-Type": "application/zip"}
    upload = f"/api/developer/apps/{team.app_id}/versions"
    bad = [
        b"",
        b"not a zip",
        b"PK\x03\x04" + b"\x00" * 100,
        zip_bytes(package_files(id=team.app_id, version="1" * 70)),
        zip_bytes(package_files(id=team.app_id, version="../../1.0.0")),
        zip_bytes(package_files(id=team.app_id, version="1.0.0")),  # exists: immutable
        zip_bytes(package_files(id=team.app_id, version="1.0.0-\u00e9")),
        zip_bytes(package_files(id="someone-else", version="3.0.0")),
        zip_bytes(package_files(id=team.app_id, version="3.0.0") | {"../evil.js": b"x"}),
        zip_bytes(package_files(id=team.app_id, version="3.0.1") | {"/abs.js": b"x"}),
        zip_bytes(package_files(id=team.app_id, version="3.0.3", kind="drama")),
        zip_bytes({"minis.json": b"\xff\xfe{"}),
        # A file that is also another's folder, either way round (a probe: 500, the second write
        # failed unpacking), a name of 300 bytes in 100 characters (500: over the file system's
        # 255), and a manifest nested deeper than the JSON parser goes (500: RecursionError).
        zip_bytes(package_files(id=team.app_id, version="3.0.4") | {"x": b"1", "x/y.js": b"2"}),
        zip_bytes(package_files(id=team.app_id, version="3.0.5") | {"x/y.js": b"2", "x": b"1"}),
        zip_bytes(package_files(id=team.app_id, version="3.0.6") | {"\u20ac" * 100 + ".js": b"x"}),
        zip_bytes(package_files(id=team.app_id, version="3.0.7") | {"minis.json": b"[" * 100_000}),
    ]
    for body in bad:
        answer = owner.post(upload, content=body, headers=headers)
        assert 400 <= answer.status_code < 500, (body[:80], answer.status_code, answer.text)
    huge = owner.post(upload, content=b"x" * (120 * 1024 * 1024), headers=headers)
    assert huge.status_code == 413, huge.text[:200]
    assert "3.0.0" not in team.versions() and "1" * 70 not in str(team.versions())
    assert not {"3.0.4", "3.0.5", "3.0.6", "3.0.7"} & set(team.versions())


# Concurrent decisions on one version ----------------------------------------------------------------


def overloaded(answers: list[httpx.Response]) -> None:
    """No 5xx but "not now": 503 or 429 with Retry-After, nothing done."""
    errors = [
        a for a in answers if a.status_code >= 500 and not (a.status_code == 503 and a.headers.get("retry-after"))
    ]
    assert not errors, [a.text for a in errors][:3]
    assert all(a.headers.get("retry-after") for a in answers if a.status_code == 429)


def test_approve_and_reject_of_one_version_at_once_decide_it_once(server, studio):
    """Three reviewers' approvals (each releasing to everyone) and three rejections of one
    version at once, on ten versions: each ends approved-and-released or rejected, never both, and
    a rejected version is nobody's. Found on PostgreSQL: approve and reject read the version
    without a lock, so both pass the in-review check; the last commit wins the state while the
    other's release stands (released while rejected, its files public)."""
    team = new_team(studio)
    versions = [f"2.{n}.0" for n in range(10)]
    for version in versions:
        team.upload(version)
    staff = {
        "headers": {
            "X-CSRF-Token": studio.staff_headers["X-CSRF-Token"],
            "Origin": server.url,
            "Cookie": "; ".join(f"{k}={v}" for k, v in studio.staff.cookies.items()),
        }
    }
    requests = []
    for version in versions:
        for n in range(6):
            verb, body = ("approve", {"note": "fine", "percent": 100}) if n % 2 else ("reject", {"note": "broken"})
            requests.append(
                {"method": "POST", "url": f"/api/admin/review/{team.app_id}/{version}/{verb}", "json": body} | staff
            )
    answers = at_once(server, requests)
    statuses = Counter(a.status_code for a in answers)
    overloaded(answers)
    decided = Counter((urlsplit(str(a.request.url)).path.split("/")[5], a.status_code) for a in answers)
    print(f"\napprove/reject storm: {dict(statuses)}")
    app = team.app()
    states = team.versions()
    wrong = []
    for version in versions:
        wins = decided[(version, 200)]
        actions = [e["action"] for e in team.history(version)]
        decisions = [a for a in actions if a in ("approved", "rejected")]
        if wins != 1 or len(decisions) != 1:
            wrong.append((version, "decided", decisions, states[version]["state"]))
        if states[version]["state"] == "rejected" and version in (app["latest_version"], app["staged_version"]):
            wrong.append((version, "rejected yet out", app))
        if (
            states[version]["state"] == "rejected"
            and app_file(server, team.app_id, f"/v/{version}/index.html").status_code == 200
        ):
            wrong.append((version, "rejected yet its files are public"))
    assert not wrong, wrong


def test_a_version_submitted_many_times_at_once_is_submitted_once(server, studio):
    team = new_team(studio)
    team.upload("3.0.0", submit=False)
    owner = as_member(studio, server)
    path = f"/api/developer/apps/{team.app_id}/versions/3.0.0/submit"
    answers = at_once(server, [{"method": "POST", "url": path} | owner for _ in range(30)])
    statuses = Counter(a.status_code for a in answers)
    assert statuses[200] == 1 and statuses[409] == 29, (
        dict(statuses),
        [a.text for a in answers if a.status_code >= 500][:2],
    )
    assert [e["action"] for e in team.history("3.0.0")].count("submitted") == 1


def test_releases_of_different_versions_and_rollbacks_at_once_leave_one_consistent_state(server, studio):
    """Owners release 2.0.0, 3.0.0 and 4.0.0 to everyone and roll back to 1.0.0, all at once:
    afterwards exactly one version is out and in state released, every other once-released one is
    superseded (this held before issue 14's attack pass; the app is now also read afresh under
    its lock, releases._locked_app)."""
    team = new_team(studio)
    for version in ("2.0.0", "3.0.0", "4.0.0"):
        team.upload(version)
        studio.approve(team.app_id, version)
    owner = as_member(studio, server)
    base = f"/api/developer/apps/{team.app_id}"
    requests = []
    for n in range(40):
        if n % 4 == 3:
            requests.append({"method": "POST", "url": f"{base}/rollback", "json": {"version": "1.0.0"}} | owner)
        else:
            version = ("2.0.0", "3.0.0", "4.0.0")[n % 4]
            requests.append(
                {"method": "POST", "url": f"{base}/versions/{version}/release", "json": {"percent": 100}} | owner
            )
    answers = at_once(server, requests)
    overloaded(answers)
    assert {a.status_code for a in answers} <= {200, 409, 503}, Counter(a.status_code for a in answers)
    app = team.app()
    states = {v: s["state"] for v, s in team.versions().items()}
    out = app["latest_version"]
    assert app["staged_version"] is None
    assert states[out] == "released", (out, states)
    assert [v for v, s in states.items() if s == "released"] == [out], (out, states)
    assert {s for v, s in states.items() if v != out} == {"superseded"}, (out, states)


def test_a_preview_check_token_opens_its_own_version_of_its_own_app_only(server, team, studio):
    other = new_team(studio)
    other.upload("1.1.0")
    path = f"/api/developer/preview/{team.app_id}/1.1.0"
    with closing(browser(server)) as guest:
        good = preview.check_token(SECRET, team.app_id, "1.1.0")
        assert guest.get(path, params={"check": good}).status_code == 200
        refused = [
            preview.check_token(SECRET, team.app_id, "1.0.0"),  # another version
            preview.check_token(SECRET, other.app_id, "1.1.0"),  # another app
            preview.check_token(SECRET, team.app_id, "1.1.0", now=0),  # expired long ago
            preview.check_token("not-the-secret", team.app_id, "1.1.0"),  # forged
            good.split(".")[0] + "0." + good.split(".")[1],  # a later expiry on the old signature
            "9" * 99 + ".x",
            "",
        ]
        for token in refused:
            answer = guest.get(path, params={"check": token})
            assert answer.status_code == 404, (token, answer.text)
            assert "/p/" not in answer.text


def test_a_storm_of_console_changes_is_answered_429_with_retry_after(tmp_path):
    """With the platform's limits on (20 changes a minute per person here), two hundred releases
    at once from one owner: the excess is refused 429 with Retry-After, nothing 5xx."""
    data = tmp_path / "data"
    data.mkdir()
    limits = {"MINIS_RATE_CHANGES_PER_PERSON": "20/minute", "MINIS_RATE_CHANGES_PER_IP": "1000000/minute"}
    servers = live_server("sqlite", data, **limits)
    server = next(servers)
    try:
        studio = new_studio(server)
        with closing(studio.owner), closing(studio.staff):
            app_id = studio.register("Limited")
            owner = as_member(studio, server)
            path = f"/api/developer/apps/{app_id}/versions/1.0.0/release"
            answers = at_once(server, [{"method": "POST", "url": path, "json": {"percent": 100}} | owner] * 200)
            statuses = Counter(a.status_code for a in answers)
            assert statuses[429] >= 150, dict(statuses)
            assert set(statuses) <= {404, 429, 503}, dict(statuses)  # no such version: 404 for those let in
            assert all(a.headers.get("retry-after") for a in answers if a.status_code in (429, 503))
    finally:
        servers.close()


def test_uploads_whose_bodies_never_come_hold_up_no_one_else(server, studio):
    """A developer on a slow line (or an attacker) starts uploads and sends their bodies a byte at a
    time, or not at all. The upload's unit of work began before its body was read: on SQLite it held
    the write lock, and everyone's purchases and sign-ups answered 503 while it lasted; on PostgreSQL
    eight of them held every database slot, and even GET /api/me was 503 (a probe). The body is read
    before the unit begins now, so nothing waits for it but the upload itself."""
    app_id = studio.register("Slow line")
    # The owner posts videos too (a creator's post: the same, a probe found once the others held).
    handle = f"slow{secrets.token_hex(3)}"
    made = studio.owner.post(
        "/api/creator", json={"handle": handle, "display_name": "Slow"}, headers=studio.owner_headers
    )
    assert made.status_code == 200, made.text
    owner = "".join(f"{name}: {value}\r\n" for name, value in as_member(studio, server)["headers"].items())

    def head(target: str, kind: str) -> bytes:
        return (
            f"POST {target} HTTP/1.1\r\nHost: localhost:{server.port}\r\n{owner}"
            f"Content-Type: {kind}\r\nContent-Length: 100000\r\n\r\nPK"
        ).encode()

    heads = [head(f"/api/developer/apps/{app_id}/versions", "application/zip")] * 9
    heads += [head("/api/creator/posts?caption=slow", "video/mp4")] * 9
    slow = [socket.create_connection(("127.0.0.1", server.port)) for _ in heads]
    try:
        for connection, sent in zip(slow, heads, strict=True):
            connection.sendall(sent)
        time.sleep(1)  # the server has them all, and waits for their bodies
        with httpx.Client(base_url=server.url, timeout=30) as guest:
            assert guest.get("/api/me").status_code == 200
        assert studio.register("Fast line")  # a write: on SQLite it needs the write lock
    finally:
        for connection in slow:
            connection.close()
    # Hung up part way, each is a refusal, not an unhandled error with its traceback in the log.
    time.sleep(1)
    assert "ClientDisconnect" not in Path(server.log.name).read_text()


def test_head_is_answered_wherever_get_is_with_its_headers_and_no_body(server, studio):
    """HEAD was 405 on every page, API read, app file and media URL (a probe, input52): health
    checks, link checkers and CDNs that ask with HEAD failed. RFC 9110 has it wherever GET is."""
    app_id = studio.released_app("Heads")
    paths = [
        ("localhost", "/healthz"),
        ("localhost", "/"),
        ("localhost", "/api/feed"),
        ("localhost", "/static/main.js"),
        ("localhost", "/api/nothing-here"),  # a 404 is the same 404
        (f"{app_id}.apps.localhost", "/minis-sdk.js"),
        (f"{app_id}.apps.localhost", "/v/1.0.0/index.html"),
    ]
    with httpx.Client(base_url=server.url, timeout=30) as client:
        for host, path in paths:
            headers = {"Host": f"{host}:{server.port}"}
            got, head = client.get(path, headers=headers), client.head(path, headers=headers)
            assert head.status_code == got.status_code != 405, (path, head.status_code, got.status_code)
            assert head.content == b"", path
            assert head.headers.get("content-type") == got.headers.get("content-type"), path
            if "content-length" in got.headers and path != "/api/feed":  # a feed page is made anew each time
                assert head.headers["content-length"] == got.headers["content-length"], path


def test_a_body_cut_off_part_way_is_a_refusal_on_every_route_that_reads_one_whole(server):
    """The routes that read their body raw, not as JSON: an ad creative, the payment provider's
    webhook. Hung up part way, the creative's upload was an unhandled error, two tracebacks in the
    log and a 500 (a probe, input52)."""
    heads = [
        ("/api/admin/ads/media", f"Authorization: Bearer {ADMIN_TOKEN}\r\nContent-Type: image/png"),
        ("/api/payments/webhooks/sandbox", "Content-Type: application/json"),
    ]
    for target, headers in heads:
        with socket.create_connection(("127.0.0.1", server.port)) as connection:
            connection.sendall(
                f"POST {target} HTTP/1.1\r\nHost: localhost:{server.port}\r\n{headers}\r\n"
                "Content-Length: 100000\r\n\r\n".encode()
                + b"\x89PNG" * 1000
            )
            time.sleep(0.2)
    time.sleep(1)
    log = Path(server.log.name).read_text()
    assert "ClientDisconnect" not in log and "Traceback" not in log, log[-3000:]


@pytest.mark.parametrize(
    ("method", "path", "kind"),
    [
        ("POST", "/openapi/v1/app/versions", "application/zip"),
        ("PUT", "/openapi/v1/series/ser_x/episodes/1", "video/mp4"),
        ("POST", "/api/developer/apps/some-app/versions", "application/zip"),
    ],
)
def test_an_upload_without_credentials_is_refused_before_its_body_is_read(server, method, path, kind):
    """Read first, an upload without a token (or a console session) was refused only once its whole
    body had come: 20 of them held a gigabyte in memory, or wrote it to disk (a probe). The sender is
    checked first, and the refusal comes while the body is still on its way."""
    with socket.create_connection(("127.0.0.1", server.port)) as connection:
        connection.sendall(
            f"{method} {path} HTTP/1.1\r\nHost: localhost:{server.port}\r\nOrigin: {server.url}\r\n"
            f"Content-Type: {kind}\r\nContent-Length: 40000000\r\n\r\n".encode()
            + b"\0" * 65536
        )
        connection.settimeout(30)  # a bound on waiting: without the fix no answer ever came
        answer = connection.recv(200).decode(errors="replace")
    assert answer.split(" ")[1] in ("401", "403"), answer
