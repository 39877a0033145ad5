"""An invitation never does to a team what changing a role directly may not (the supply side's
probe, finding 2): the sole owner invited their own email as viewer and accepted, and the app had
no owner left; a co-owner invited the account holder's email as tester, the holder accepted (their
list of invitations showed only the role), and was locked out of their own app. Accepting wrote
the invited role over the member's without ``change_role``'s checks.

Now someone already on the team is not invited (409 ``ALREADY_MEMBER``: change their role), and
an invitation to a member that is open all the same (sent before they joined, or before this
refusal existed) is accepted only as ``change_role`` would allow; refused, it stays open.
"""

from __future__ import annotations

import secrets

from sqlalchemy import select

from openminis.developers.models import AppInvite
from openminis.unit_of_work import unit_of_work
from tests.console_team import join_team
from tests.studio import DevApp

HOLDER = "studio@example.com"  # tests/studio.py's studio: registered the app, its account holder


def team(studio: DevApp) -> dict[str, str]:
    answer = studio.developer.get(f"/api/developer/apps/{studio.app_id}/team")
    assert answer.status_code == 200, answer.text
    return {m["name"]: m["role"] for m in answer.json()["members"]}


def open_invitations(studio: DevApp) -> list[tuple[str, str]]:
    answer = studio.developer.get(f"/api/developer/apps/{studio.app_id}/team")
    return [(i["email"], i["role"]) for i in answer.json()["invitations"]]


def invite(person, headers, app_id: str, email: str, role: str):
    return person.post(
        f"/api/developer/apps/{app_id}/team/invitations", json={"email": email, "role": role}, headers=headers
    )


def left_open(studio: DevApp, email: str, role: str) -> str:
    """An open invitation to ``email``, as the platform made them before inviting a member was
    refused: written straight into the database, the way such a one waits there still (the one
    they accepted to join, if any, open again)."""
    with unit_of_work(studio.developer.app.platform.db) as session:
        invitation = session.scalar(
            select(AppInvite).where(AppInvite.app_id == studio.app_id, AppInvite.email == email)
        ) or AppInvite(id=secrets.token_hex(16), app_id=studio.app_id, email=email)
        invitation.role, invitation.accepted_at = role, None
        session.add(invitation)
        return invitation.id


def test_the_sole_owner_cannot_invite_themselves_out_of_the_app(studio):
    for email in (HOLDER, HOLDER.upper()):
        answer = invite(studio.developer, studio.headers, studio.app_id, email, "viewer")
        assert (answer.status_code, answer.json().get("code")) == (409, "ALREADY_MEMBER"), answer.text
        assert "change their role" in answer.json()["message"]
    assert team(studio) == {"Studio One": "owner"}
    assert open_invitations(studio) == []
    assert studio.developer.get("/api/developer/invitations").json()["items"] == []


def test_a_co_owner_cannot_invite_the_account_holder_into_a_lesser_role(studio):
    co_owner, headers = join_team(studio, "co-owner@example.com", "owner")
    for role in ("tester", "viewer", "developer", "owner"):
        answer = invite(co_owner, headers, studio.app_id, HOLDER, role)
        assert (answer.status_code, answer.json().get("code")) == (409, "ALREADY_MEMBER"), (role, answer.text)
    # Nor anyone else on the team, the co-owner themselves included: their role is changed directly.
    for who, role in ((co_owner, "viewer"), (studio.developer, "tester")):
        answer = invite(
            who, headers if who is co_owner else studio.headers, studio.app_id, "co-owner@example.com", role
        )
        assert (answer.status_code, answer.json().get("code")) == (409, "ALREADY_MEMBER"), answer.text
    assert open_invitations(studio) == []
    assert studio.developer.get(f"/api/developer/apps/{studio.app_id}").status_code == 200
    assert sorted(team(studio).values()) == ["owner", "owner"]


def test_someone_not_on_the_team_is_still_invited_and_joins(studio):
    """A person with an account (and a developer profile of their own) who is on no team of the app,
    and one who removed from it comes back: both invited as before."""
    person, headers = join_team(studio, "returning@example.com", "developer")
    me = person.get("/api/developer").json()["id"]
    removed = studio.developer.put(
        f"/api/developer/apps/{studio.app_id}/team/{me}", json={"role": None}, headers=studio.headers
    )
    assert removed.status_code == 204
    again = invite(studio.developer, studio.headers, studio.app_id, "returning@example.com", "viewer")
    assert again.status_code == 201, again.text
    accepted = person.post(f"/api/developer/invitations/{again.json()['id']}/accept", headers=headers)
    assert accepted.status_code == 200, accepted.text
    assert accepted.json()["role"] == "viewer"


def test_an_invitation_left_open_to_a_member_is_accepted_only_as_a_role_change_would_be(studio):
    holder_id = studio.developer.get("/api/developer").json()["id"]
    # The sole owner's invitation to their own email, as viewer: what the probe accepted.
    own = left_open(studio, HOLDER, "viewer")
    accept = f"/api/developer/invitations/{own}/accept"
    refused = studio.developer.post(accept, headers=studio.headers)
    assert (refused.status_code, refused.json().get("code")) == (409, "LAST_OWNER"), refused.text
    assert team(studio) == {"Studio One": "owner"}
    # Refused, it is not used up: still open, still listed to the person and to the team.
    assert [i["id"] for i in studio.developer.get("/api/developer/invitations").json()["items"]] == [own]
    assert open_invitations(studio) == [(HOLDER, "viewer")]

    # With a co-owner, the account holder still stays an owner, whoever sent the invitation.
    co_owner, headers = join_team(studio, "co-owner@example.com", "owner")
    refused = studio.developer.post(accept, headers=studio.headers)
    assert (refused.status_code, refused.json().get("code")) == (409, "ACCOUNT_HOLDER"), refused.text
    assert team(studio)["Studio One"] == "owner"
    assert studio.developer.get(f"/api/developer/apps/{studio.app_id}").json()["role"] == "owner"
    direct = co_owner.put(
        f"/api/developer/apps/{studio.app_id}/team/{holder_id}", json={"role": "tester"}, headers=headers
    )
    assert (direct.status_code, direct.json().get("code")) == (409, "ACCOUNT_HOLDER")  # the same rule, the same answer

    # What an owner may do directly, an invitation left open may do too: the co-owner, one of two
    # owners and not the holder, becomes a viewer by accepting.
    theirs = left_open(studio, "co-owner@example.com", "viewer")
    accepted = co_owner.post(f"/api/developer/invitations/{theirs}/accept", headers=headers)
    assert accepted.status_code == 200, accepted.text
    assert accepted.json()["role"] == "viewer"
    assert sorted(team(studio).values()) == ["owner", "viewer"]
    assert open_invitations(studio) == [(HOLDER, "viewer")]
