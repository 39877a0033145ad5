"""An app's team under attack and under concurrency, against a real ``minis serve`` on SQLite and
PostgreSQL: invitations accepted by the wrong person, twice at once, or again after a removal;
owners demoting each other at the same moment (an app keeps an owner); the same invitation sent
many times at once.
"""

from __future__ import annotations

import secrets
from collections import Counter
from collections.abc import Iterator
from contextlib import closing

import httpx
import pytest

from tests.catalog.test_staged_release import Studio
from tests.publishing_live import (
    DATABASES,
    Member,
    Team,
    as_member,
    at_once,
    full_account,
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


def no_5xx(answers: list[httpx.Response]) -> None:
    """Overload is "not now" (503/429 with Retry-After); anything else 5xx is a bug."""
    errors = [
        a for a in answers if a.status_code >= 500 and not (a.status_code == 503 and a.headers.get("retry-after"))
    ]
    assert not errors, [a.text for a in errors][:3]


def invite(studio: Studio, app_id: str, email: str, role: str) -> httpx.Response:
    return studio.owner.post(
        f"/api/developer/apps/{app_id}/team/invitations",
        json={"email": email, "role": role},
        headers=studio.owner_headers,
    )


def members(studio: Studio, app_id: str) -> dict[str, str]:
    answer = studio.owner.get(f"/api/developer/apps/{app_id}/team")
    assert answer.status_code == 200, answer.text
    return {m["developer_id"]: m["role"] for m in answer.json()["members"]}


def test_an_invitation_is_for_its_email_only(server, studio):
    app_id = studio.register("Invited")
    assert invite(studio, app_id, "alice@example.com", "owner").status_code == 201
    [invitation] = [i for i in studio.owner.get(f"/api/developer/apps/{app_id}/team").json()["invitations"]]
    accept = f"/api/developer/invitations/{invitation['id']}/accept"
    # Someone else, who learnt the id; an address that differs by case, a dot, a +tag; a guest.
    for email in ("mallory@example.com", "alice+x@example.com", "al.ice@example.com", "alice@example.org"):
        person, headers = full_account(server, email)
        with closing(person):
            assert invitation["id"] not in person.get("/api/developer/invitations").text
            answer = person.post(accept, headers=headers)
            assert answer.status_code == 404, (email, answer.text)
            assert person.get(f"/api/developer/apps/{app_id}").status_code in (403, 404)
    with httpx.Client(base_url=server.url, timeout=30, headers={"Origin": server.url}) as guest:
        token = guest.get("/api/me").json()["csrf_token"]
        assert guest.post(accept, headers={"X-CSRF-Token": token}).status_code == 403
    # A person who registered alice's address without proving it is no one's alice.
    with httpx.Client(base_url=server.url, timeout=30, headers={"Origin": server.url}) as squatter:
        token = {"X-CSRF-Token": squatter.get("/api/me").json()["csrf_token"]}
        registered = squatter.post(
            "/api/account/register",
            json={"email": "alice@example.com", "password": "a squatting password"},
            headers=token,
        )
        assert registered.status_code == 200, registered.text
        assert squatter.get("/api/developer/invitations").json()["items"] == []
        assert squatter.post(accept, headers=token).status_code in (403, 404)
    assert len(members(studio, app_id)) == 1
    # Alice herself, whatever the case of what she types.
    alice = httpx.Client(base_url=server.url, timeout=30, headers={"Origin": server.url})
    with closing(alice):
        headers = {"X-CSRF-Token": alice.get("/api/me").json()["csrf_token"]}
        body = {"email": "Alice@Example.com", "password": "alice's own password"}
        assert alice.post("/api/account/register", json=body, headers=headers).status_code == 200
        code = server.mailed("alice@example.com", r"verification code is (\d{6})")
        assert alice.post("/api/account/verify", json={"code": code}, headers=headers).status_code == 200
        headers = {"X-CSRF-Token": alice.get("/api/me").json()["csrf_token"]}
        assert alice.post(accept, headers=headers).status_code == 200
        assert alice.get(f"/api/developer/apps/{app_id}").json()["role"] == "owner"


def test_one_invitation_accepted_many_times_at_once_makes_one_member(server, studio):
    for _ in range(3):
        app_id = studio.register("Accepted at once")
        email = f"twice-{secrets.token_hex(4)}@example.com"
        assert invite(studio, app_id, email, "developer").status_code == 201
        person, headers = full_account(server, email)  # no developer profile yet: accepting makes one
        with closing(person):
            [invitation] = person.get("/api/developer/invitations").json()["items"]
            me = as_member(Member(person, headers), server)
            path = f"/api/developer/invitations/{invitation['id']}/accept"
            answers = at_once(server, [{"method": "POST", "url": path} | me for _ in range(30)])
            no_5xx(answers)
            statuses = Counter(a.status_code for a in answers)
            assert statuses[200] == 1, dict(statuses)
            assert set(statuses) <= {200, 404, 409, 503}, dict(statuses)
            team = members(studio, app_id)
            assert sorted(team.values()) == ["developer", "owner"], team
            assert person.get("/api/developer/invitations").json()["items"] == []


def test_a_removed_member_cannot_come_back_with_the_old_invitation(server, studio):
    team = Team(studio, studio.released_app("Removed"))
    member = team.join("developer")
    accepted = [i for i in studio.owner.get(f"/api/developer/apps/{team.app_id}/team").json()["invitations"]]
    assert accepted == []  # accepted invitations are no longer open
    gone = studio.owner.put(
        f"/api/developer/apps/{team.app_id}/team/{member.developer_id}",
        json={"role": None},
        headers=studio.owner_headers,
    )
    assert gone.status_code == 204, gone.text
    for path in (f"/api/developer/apps/{team.app_id}", f"/api/developer/preview/{team.app_id}/1.0.0"):
        assert member.client.get(path).status_code == 404, path
    # Any invitation id the member ever saw: refused; their console lists nothing of the app.
    seen = member.client.get("/api/developer/invitations").json()["items"]
    assert seen == []
    upload = member.client.post(f"/api/developer/apps/{team.app_id}/versions/1.0.0/submit", headers=member.headers)
    assert upload.status_code == 404
    assert member.developer_id not in members(studio, team.app_id)
    member.client.close()


def test_owners_demoting_each_other_at_once_leave_an_owner(server, studio):
    """Two owners, each removing or demoting the other at the same moment, on several apps: an app
    keeps at least one owner (the check counts owners, then changes one: without a lock, on
    PostgreSQL both requests count two and both go through)."""
    apps: list[tuple[str, Member]] = []
    for _ in range(8):
        team = Team(studio, studio.register("Two owners"))
        apps.append((team.app_id, team.join("owner")))
    owner_id = studio.owner.get("/api/developer").json()["id"]
    requests = []
    for n, (app_id, other) in enumerate(apps):
        role = None if n % 2 else "viewer"
        requests.append(
            {"method": "PUT", "url": f"/api/developer/apps/{app_id}/team/{other.developer_id}", "json": {"role": role}}
            | as_member(studio, server)
        )
        requests.append(
            {"method": "PUT", "url": f"/api/developer/apps/{app_id}/team/{owner_id}", "json": {"role": role}}
            | as_member(other, server)
        )
    answers = at_once(server, requests)
    no_5xx(answers)
    ownerless = []
    for app_id, other in apps:
        # Read as whoever is still on the team.
        for client in (studio.owner, other.client):
            answer = client.get(f"/api/developer/apps/{app_id}/team")
            if answer.status_code == 200:
                roles = [m["role"] for m in answer.json()["members"]]
                if "owner" not in roles:
                    ownerless.append((app_id, roles))
                break
        else:
            ownerless.append((app_id, "nobody is left on the team"))
        other.client.close()
    statuses = Counter(a.status_code for a in answers)
    print(f"\nowners demoting each other: {dict(statuses)}")
    assert not ownerless, ownerless


def test_the_same_invitation_sent_many_times_at_once_is_one_invitation(server, studio):
    app_id = studio.register("Invited at once")
    owner = as_member(studio, server)
    email = f"many-{secrets.token_hex(4)}@example.com"
    path = f"/api/developer/apps/{app_id}/team/invitations"
    roles = ["viewer", "tester", "developer"] * 10
    answers = at_once(
        server, [{"method": "POST", "url": path, "json": {"email": email, "role": r}} | owner for r in roles]
    )
    no_5xx(answers)
    statuses = Counter(a.status_code for a in answers)
    assert set(statuses) <= {201, 409, 429, 503}, statuses
    # Each invitation mails the address: 5 an hour reach it, the rest wait (developer49: 60 in 2 s).
    assert statuses[201] <= 5 and statuses[429] >= 1, statuses
    assert all(a.headers.get("retry-after") for a in answers if a.status_code == 429)
    open_ = studio.owner.get(f"/api/developer/apps/{app_id}/team").json()["invitations"]
    assert len(open_) == 1 and open_[0]["email"] == email, open_
