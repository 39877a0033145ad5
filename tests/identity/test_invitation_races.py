"""Invitations left open to people already on a team, accepted at the same moment as each other and
as direct role changes, against a real ``minis serve`` on SQLite and PostgreSQL: an app keeps an
owner, and its account holder stays one (tests/identity/test_invitations_keep_the_owners.py has
the rules one request at a time).

Such invitations are no longer sent (409 ``ALREADY_MEMBER``), but those sent before wait in the
database; the tests write them there as they were left.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from contextlib import closing

import httpx
import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from openminis.developers.models import AppInvite
from openminis.liveserver import LiveServer
from tests.catalog.test_staged_release import Studio
from tests.publishing_live import DATABASES, Member, Team, as_member, at_once, new_studio, server_per_database

pytestmark = pytest.mark.slow  # a real server per database

server = pytest.fixture(scope="module", params=DATABASES)(server_per_database)


@pytest.fixture(scope="module")
def studio(server) -> Iterator[Studio]:
    made = new_studio(server)
    with closing(made.owner), closing(made.staff):
        yield made


@pytest.fixture(scope="module")
def database(server: LiveServer) -> Iterator[Engine]:
    """The server's own database, to leave in it what the platform left before this fix."""
    url = server.env.get("MINIS_DATABASE_URL") or f"sqlite:///{server.data_dir / 'minis.db'}"
    engine = create_engine(url, connect_args={"timeout": 30} if url.startswith("sqlite") else {})
    yield engine
    engine.dispose()


def reopen_invitations(database: Engine, app_id: str, role: str) -> None:
    """Every invitation the app's members accepted is open again, for ``role``: invitations to
    people on the team, as the console sent them before inviting a member was refused."""
    with database.begin() as connection:
        connection.execute(
            text("UPDATE app_invites SET accepted_at = NULL, role = :role WHERE app_id = :app_id"),
            {"role": role, "app_id": app_id},
        )


def open_invitation_of(member: Member, app_id: str) -> str:
    [invitation] = [i for i in member.client.get("/api/developer/invitations").json()["items"] if i["app_id"] == app_id]
    return str(invitation["id"])


def roles(studio: Studio, members: list[Member], app_id: str) -> list[str] | None:
    """The team's roles, read by whoever on it may still see it; None when nobody may."""
    for client in [studio.owner, *(m.client for m in members)]:
        answer = client.get(f"/api/developer/apps/{app_id}/team")
        if answer.status_code == 200:
            return sorted(m["role"] for m in answer.json()["members"])
    return None


def answered(answer: httpx.Response) -> tuple[int, str | None]:
    """The status and, for a refusal, its code; overload (503, "not now") whatever its code."""
    refused = 400 <= answer.status_code < 500
    return answer.status_code, answer.json().get("code") if refused else None


def no_5xx(answers: list[httpx.Response]) -> None:
    """Overload is "not now" (503/429 with Retry-After); anything else 5xx is a bug."""
    errors = [
        a for a in answers if a.status_code >= 500 and not (a.status_code == 503 and a.headers.get("retry-after"))
    ]
    assert not errors, [a.text for a in errors][:3]


def test_two_owners_accepting_and_demoting_at_once_leave_an_owner(server, studio, database):
    """Apps the old acceptance already reached (the account holder made a viewer), each with two
    co-owners; each accepts an invitation as viewer left open to them and demotes the other, all at
    the same moment. Each request alone is allowed (two owners); together at most one may go
    through. Acceptance counts the owners under the lock ``change_role`` takes, in the same order:
    without it, on PostgreSQL, each counted two and the app was left with none."""
    holder_id = studio.owner.get("/api/developer").json()["id"]
    apps: list[tuple[str, Member, Member]] = []
    for _ in range(6):
        team = Team(studio, studio.register("Two owners left"))
        first, second = team.join("owner"), team.join("owner")
        with database.begin() as connection:
            connection.execute(
                text("UPDATE app_members SET role = 'viewer' WHERE app_id = :app_id AND developer_id = :holder"),
                {"app_id": team.app_id, "holder": holder_id},
            )
        reopen_invitations(database, team.app_id, "viewer")
        apps.append((team.app_id, first, second))
    requests = []
    for app_id, first, second in apps:
        for member, other in ((first, second), (second, first)):
            invitation = open_invitation_of(member, app_id)
            requests.append(
                {"method": "POST", "url": f"/api/developer/invitations/{invitation}/accept"} | as_member(member, server)
            )
            requests.append(
                {
                    "method": "PUT",
                    "url": f"/api/developer/apps/{app_id}/team/{other.developer_id}",
                    "json": {"role": "viewer"},
                }
                | as_member(member, server)
            )
    answers = at_once(server, requests)
    no_5xx(answers)
    statuses = Counter(answered(a) for a in answers)
    print(f"\naccepting and demoting at once: {dict(statuses)}")
    ownerless = []
    for app_id, first, second in apps:
        team_roles = roles(studio, [first, second], app_id)
        if team_roles is None or "owner" not in team_roles:
            ownerless.append((app_id, team_roles))
        first.client.close()
        second.client.close()
    assert not ownerless, ownerless
    # A member demoted first may no longer manage the team (403); accepting the viewer's role they
    # already have changes nothing (200).
    assert set(statuses) <= {(200, None), (204, None), (403, "ROLE_FORBIDS"), (409, "LAST_OWNER"), (503, None)}, dict(
        statuses
    )


def test_the_account_holder_stays_an_owner_whatever_is_accepted_at_once(server, studio, database):
    """The account holder's own invitation as tester, left open, accepted many times at once while
    the co-owner accepts theirs as viewer and, meanwhile, tries to remove the holder directly: the
    holder stays an owner, their invitation stays open, and the co-owner's change goes through."""
    holder_id = studio.owner.get("/api/developer").json()["id"]
    team = Team(studio, studio.register("Held"))
    co_owner = team.join("owner")
    reopen_invitations(database, team.app_id, "viewer")
    with Session(database) as session, session.begin():
        email = session.scalar(
            text("SELECT email FROM users WHERE id = (SELECT user_id FROM developers WHERE id = :holder)"),
            {"holder": holder_id},
        )
        session.add(AppInvite(id="held" + "0" * 28, app_id=team.app_id, email=email, role="tester"))
    holder = as_member(studio, server)
    mine = [i["id"] for i in studio.owner.get("/api/developer/invitations").json()["items"]]
    assert mine == ["held" + "0" * 28]
    requests = [{"method": "POST", "url": f"/api/developer/invitations/{mine[0]}/accept"} | holder for _ in range(10)]
    requests.append(
        {"method": "POST", "url": f"/api/developer/invitations/{open_invitation_of(co_owner, team.app_id)}/accept"}
        | as_member(co_owner, server)
    )
    requests += [
        {"method": "PUT", "url": f"/api/developer/apps/{team.app_id}/team/{holder_id}", "json": {"role": None}}
        | as_member(co_owner, server)
    ] * 3
    answers = at_once(server, requests)
    no_5xx(answers)
    # The holder is refused as the holder, or, once the co-owner is a viewer, as the last owner.
    holder_answers = Counter(answered(a) for a in answers[:10])
    assert set(holder_answers) <= {(409, "ACCOUNT_HOLDER"), (409, "LAST_OWNER"), (503, None)}, dict(holder_answers)
    assert answers[10].status_code in (200, 503), answers[10].text
    # The co-owner's removals: refused, as the holder's or, once the co-owner is a viewer, as the
    # last owner's (a removal that was waiting for the owners' lock) or as a viewer's.
    removals = Counter(answered(a) for a in answers[11:])
    refusals = {(409, "ACCOUNT_HOLDER"), (409, "LAST_OWNER"), (403, "ROLE_FORBIDS"), (503, None)}
    assert set(removals) <= refusals, dict(removals)
    assert studio.owner.get(f"/api/developer/apps/{team.app_id}").json()["role"] == "owner"
    assert [i["id"] for i in studio.owner.get("/api/developer/invitations").json()["items"]] == mine
    co_owner.client.close()
