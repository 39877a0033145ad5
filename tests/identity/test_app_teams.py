"""An app's team: its owner invites people by email as owner, developer, viewer or tester; each role
sees and does only what it may, and someone outside the team finds no app at all."""

from __future__ import annotations

import time

import pytest

from tests.factories import package_files, zip_bytes
from tests.studio import DevApp, browser, csrf_of, sign_up

ZIP = {"Content-Type": "application/zip"}


def member(studio: DevApp, email: str, role: str):
    """A person with a full account who accepted an invitation to the studio's app as ``role``."""
    person = browser(studio.developer)
    headers = sign_up(person, email)
    invited = studio.developer.post(
        f"/api/developer/apps/{studio.app_id}/team/invitations",
        json={"email": email.upper(), "role": role},
        headers=studio.headers,
    )
    assert invited.status_code == 201, invited.text
    mine = person.get("/api/developer/invitations").json()["items"]
    assert [(i["app_id"], i["role"]) for i in mine] == [(studio.app_id, role)]
    accepted = person.post(f"/api/developer/invitations/{mine[0]['id']}/accept", headers=headers)
    assert accepted.status_code == 200, accepted.text
    return person, headers


def mailed_to(studio: DevApp, email: str):
    """The last message to ``email``: notices go out on a thread of their own after the commit."""
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        mail = [m for m in studio.developer.app.platform.mailbox.outbox if m["To"] == email]
        if mail:
            return mail[-1]
        time.sleep(0.02)
    raise AssertionError(f"nothing was mailed to {email}")


def upload(person, headers, app_id: str, version: str):
    return person.post(
        f"/api/developer/apps/{app_id}/versions",
        content=zip_bytes(package_files(id=app_id, version=version)),
        headers={**headers, **ZIP},
    )


def test_the_invitation_is_mailed_and_only_its_email_may_accept_it(studio):
    invited = studio.developer.post(
        f"/api/developer/apps/{studio.app_id}/team/invitations",
        json={"email": "ana@example.com", "role": "developer"},
        headers=studio.headers,
    )
    assert invited.status_code == 201
    assert studio.app_id in mailed_to(studio, "ana@example.com")["Subject"]
    stranger = browser(studio.developer)
    headers = sign_up(stranger, "mallory@example.com")
    taken = stranger.post(f"/api/developer/invitations/{invited.json()['id']}/accept", headers=headers)
    assert taken.status_code == 404
    assert stranger.get(f"/api/developer/apps/{studio.app_id}").status_code in (403, 404)


def test_a_developer_uploads_and_submits_but_does_not_release(studio):
    person, headers = member(studio, "dev@example.com", "developer")
    uploaded = upload(person, headers, studio.app_id, "2.0.0")
    assert uploaded.status_code == 201, uploaded.text
    assert uploaded.json()["state"] == "checked"
    submitted = person.post(f"/api/developer/apps/{studio.app_id}/versions/2.0.0/submit", headers=headers)
    assert submitted.json()["state"] == "in_review"
    released = person.post(
        f"/api/developer/apps/{studio.app_id}/versions/1.0.0/release", json={"percent": 100}, headers=headers
    )
    assert (released.status_code, released.json()["code"]) == (403, "ROLE_FORBIDS")
    rotated = person.post(f"/api/developer/apps/{studio.app_id}/secret", json={}, headers=headers)
    assert rotated.status_code == 403


def test_a_viewer_sees_everything_and_changes_nothing(studio):
    person, headers = member(studio, "viewer@example.com", "viewer")
    assert [a["role"] for a in person.get("/api/developer/apps").json()["items"]] == ["viewer"]
    versions = person.get(f"/api/developer/apps/{studio.app_id}/versions").json()["items"]
    assert [v["version"] for v in versions] == ["1.0.0"]
    assert upload(person, headers, studio.app_id, "2.0.0").status_code == 403
    invite = person.post(
        f"/api/developer/apps/{studio.app_id}/team/invitations",
        json={"email": "friend@example.com", "role": "owner"},
        headers=headers,
    )
    assert invite.status_code == 403


def test_a_tester_only_opens_previews(studio):
    upload(studio.developer, studio.headers, studio.app_id, "2.0.0")
    person, _ = member(studio, "tester@example.com", "tester")
    assert person.get("/api/developer/apps").json()["items"] == []
    assert person.get(f"/api/developer/apps/{studio.app_id}/versions").status_code == 404
    preview = person.get(f"/api/developer/preview/{studio.app_id}/2.0.0")
    assert preview.status_code == 200, preview.text
    assert preview.json()["card"]["entry_url"].startswith(f"http://{studio.app_id}.apps.localhost:8000/p/")


@pytest.mark.parametrize("who", ["guest", "outsider"])
def test_nobody_outside_the_team_previews_or_sees_the_app(studio, who):
    upload(studio.developer, studio.headers, studio.app_id, "2.0.0")
    person = browser(studio.developer)
    if who == "outsider":
        headers = sign_up(person, "outsider@example.com")
        assert person.post("/api/developer", json={"name": "Other"}, headers=headers).status_code == 200
        assert person.get(f"/api/developer/apps/{studio.app_id}").status_code == 404
    assert person.get(f"/api/developer/preview/{studio.app_id}/2.0.0").status_code == 404
    assert person.get(f"/api/developer/preview/{studio.app_id}/2.0.0?check=1.forged").status_code == 404


def test_an_app_keeps_at_least_one_owner(studio):
    me = studio.developer.get("/api/developer").json()["id"]
    demoted = studio.developer.put(
        f"/api/developer/apps/{studio.app_id}/team/{me}", json={"role": "viewer"}, headers=studio.headers
    )
    assert (demoted.status_code, demoted.json()["code"]) == (409, "LAST_OWNER")
    person, _ = member(studio, "co-owner@example.com", "owner")
    other = person.get("/api/developer").json()["id"]
    assert (
        studio.developer.put(
            f"/api/developer/apps/{studio.app_id}/team/{other}", json={"role": None}, headers=studio.headers
        ).status_code
        == 204
    )
    assert person.get(f"/api/developer/apps/{studio.app_id}").status_code == 404


def test_a_co_owner_cannot_remove_the_account_the_app_and_its_earnings_belong_to(studio):
    holder = studio.developer.get("/api/developer").json()["id"]
    person, headers = member(studio, "co-owner@example.com", "owner")
    for role in (None, "viewer"):
        refused = person.put(f"/api/developer/apps/{studio.app_id}/team/{holder}", json={"role": role}, headers=headers)
        assert (refused.status_code, refused.json()["code"]) == (409, "ACCOUNT_HOLDER")
    assert studio.developer.get(f"/api/developer/apps/{studio.app_id}").status_code == 200


def test_a_state_change_needs_the_csrf_token(studio):
    person = browser(studio.developer)
    person.cookies.update(studio.developer.cookies)
    refused = person.post(f"/api/developer/apps/{studio.app_id}/versions/1.0.0/submit")
    assert refused.status_code == 403
    assert csrf_of(person)  # the same session, with its token, may


def test_an_owner_withdraws_an_open_invitation(studio):
    invited = studio.developer.post(
        f"/api/developer/apps/{studio.app_id}/team/invitations",
        json={"email": "late@example.com", "role": "developer"},
        headers=studio.headers,
    ).json()
    withdrawn = studio.developer.delete(
        f"/api/developer/apps/{studio.app_id}/team/invitations/{invited['id']}", headers=studio.headers
    )
    assert withdrawn.status_code == 204
    person = browser(studio.developer)
    headers = sign_up(person, "late@example.com")
    assert person.get("/api/developer/invitations").json()["items"] == []
    assert person.post(f"/api/developer/invitations/{invited['id']}/accept", headers=headers).status_code == 404


def test_invitations_mail_an_address_at_most_five_times_an_hour_in_the_platforms_own_words(studio):
    """A probe (developer49): 60 invitations to one address in 2 seconds, each mailed, the subject
    "Security Team - verify at evil.example invited you to mal-game on openminis", the sender's own
    account name. An address is mailed 5 invitations an hour, whoever sends them (then 429 with
    Retry-After, nothing made); the subject is the platform's words, the name quoted in the body."""
    path = f"/api/developer/apps/{studio.app_id}/team/invitations"
    roles = ["viewer", "tester", "developer", "viewer", "tester", "developer"]
    answers = [
        studio.developer.post(path, json={"email": "target@example.com", "role": role}, headers=studio.headers)
        for role in roles
    ]
    assert [a.status_code for a in answers] == [201] * 5 + [429], [a.text for a in answers]
    assert answers[-1].headers["retry-after"]
    outbox = studio.developer.app.platform.mailbox.outbox
    mailed = [m for m in outbox if m["To"] == "target@example.com"]
    assert len(mailed) == 5
    assert mailed[0]["Subject"] == f"An invitation to work on {studio.app_id} on openminis"
    open_ = studio.developer.get(f"/api/developer/apps/{studio.app_id}/team").json()["invitations"]
    assert [(i["email"], i["role"]) for i in open_] == [("target@example.com", "tester")]  # the 5th's role


def test_a_member_who_joins_by_invitation_shows_on_the_team_by_the_email_invited(studio):
    """A probe (developer49): members who joined by invitation showed by their account's random
    display name ("Quiet Badger 366"), and the owner could not tell who was who."""
    member(studio, "carol@example.com", "developer")
    listed = studio.developer.get(f"/api/developer/apps/{studio.app_id}/team").json()["members"]
    assert [(m["name"], m["role"]) for m in listed if m["role"] == "developer"] == [("carol@example.com", "developer")]


def test_invitations_refused_to_an_outsider_use_up_nothing_of_an_addresss_quota(studio):
    """The attack on the limit above (attack49): an outsider's invitations to an app not theirs were
    refused (404) but counted, and five of them kept the address from the app's own owner's."""
    outsider = browser(studio.developer)
    headers = sign_up(outsider, "mallory@example.com")
    assert outsider.post("/api/developer", json={"name": "Mallory"}, headers=headers).status_code == 200
    path = f"/api/developer/apps/{studio.app_id}/team/invitations"
    for _ in range(7):
        refused = outsider.post(path, json={"email": "wanted@example.com", "role": "viewer"}, headers=headers)
        assert refused.status_code == 404, refused.text
    invited = studio.developer.post(
        path, json={"email": "wanted@example.com", "role": "viewer"}, headers=studio.headers
    )
    assert invited.status_code == 201, invited.text
