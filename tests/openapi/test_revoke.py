"""``POST /openapi/v1/auth/revoke`` answers 200 for any token (RFC 7009), but its body says whether
the token is revoked: ``{"revoked": false}`` for another app's token or an unknown one, which it
leaves as they are (a probe: app L was told ``true`` for app A's token, which still worked)."""

from __future__ import annotations

from openminis.client import MinisAPIError
from tests.studio import login_code, register_app


def revoke(client, app, token: str):
    bearer = {"Authorization": f"Bearer {app.backend(client).access_token()}"}
    return client.post("/openapi/v1/auth/revoke", json={"token": token}, headers=bearer)


def still_works(client, app, tokens: dict) -> bool:
    try:
        app.backend(client).user_info(tokens["access_token"])
    except MinisAPIError as refused:
        assert refused.code == "INVALID_TOKEN"
        return False
    return True


def test_another_apps_token_is_not_revoked_and_the_answer_says_so(client, studio, player):
    tokens = studio.backend(client).code2session(login_code(player, studio.app_id))
    other = register_app(studio.developer, studio.headers, "other-game")
    for token in (tokens["access_token"], tokens["refresh_token"]):
        answer = revoke(client, other, token)
        assert (answer.status_code, answer.json()) == (200, {"revoked": False})
    assert still_works(client, studio, tokens)
    assert studio.backend(client).refresh(tokens["refresh_token"])["access_token"]


def test_an_unknown_token_is_not_revoked(client, studio):
    answer = revoke(client, studio, "mut_never-issued")
    assert (answer.status_code, answer.json()) == (200, {"revoked": False})


def test_the_apps_own_token_is_revoked_and_stays_revoked(client, studio, player):
    tokens = studio.backend(client).code2session(login_code(player, studio.app_id))
    assert revoke(client, studio, tokens["access_token"]).json() == {"revoked": True}
    assert not still_works(client, studio, tokens)
    # Revoked already, by this app: still true, and the login's refresh token went with it.
    assert revoke(client, studio, tokens["access_token"]).json() == {"revoked": True}
    assert revoke(client, studio, tokens["refresh_token"]).json() == {"revoked": True}
