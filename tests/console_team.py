"""People on an app's team in the developer console, for the console's API tests: each is a
browser of their own, signed up, invited by the app's owner and accepted, or someone outside."""

from __future__ import annotations

from starlette.testclient import TestClient

from tests.studio import DevApp, browser, sign_up


def join_team(studio: DevApp, email: str, role: str) -> tuple[TestClient, dict[str, str]]:
    """A person the studio's owner invited as ``role``, who accepted: their browser and CSRF headers."""
    invited = studio.developer.post(
        f"/api/developer/apps/{studio.app_id}/team/invitations",
        json={"email": email, "role": role},
        headers=studio.headers,
    )
    assert invited.status_code == 201, invited.text
    person = browser(studio.developer)
    headers = sign_up(person, email)
    [invitation] = person.get("/api/developer/invitations").json()["items"]
    accepted = person.post(f"/api/developer/invitations/{invitation['id']}/accept", headers=headers)
    assert accepted.status_code == 200, accepted.text
    return person, headers


def outsider(studio: DevApp, email: str = "outsider@example.com") -> tuple[TestClient, dict[str, str]]:
    """A developer of their own, on no team of the studio's."""
    person = browser(studio.developer)
    headers = sign_up(person, email)
    assert person.post("/api/developer", json={"name": f"Elsewhere ({email})"}, headers=headers).status_code == 200
    return person, headers
