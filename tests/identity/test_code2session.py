"""minis.login() gives a one-time code; only the app's own backend can exchange it, once, in time."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import update

from openminis.client import MinisAPIError
from openminis.db import utcnow
from openminis.identity.models import LoginCode
from tests.studio import browser, csrf_of, login_code, register_app


def api_error(call) -> MinisAPIError:
    with pytest.raises(MinisAPIError) as caught:
        call()
    return caught.value


def test_a_backend_exchanges_a_code_for_a_stable_openid_and_tokens(client, studio, player):
    backend = studio.backend(client)
    first = backend.code2session(login_code(player, studio.app_id))
    again = backend.code2session(login_code(player, studio.app_id))
    assert first["openid"] == again["openid"] and first["openid"].startswith("o_")
    assert first["scope"] == "user.info.basic" and first["expires_in"] == 86_400
    assert first["access_token"] != again["access_token"]


def test_used_expired_and_foreign_codes_fail_with_distinct_errors(client, studio, player, platform):
    backend = studio.backend(client)
    code = login_code(player, studio.app_id)
    backend.code2session(code)
    assert api_error(lambda: backend.code2session(code)).code == "CODE_USED"

    stale = login_code(player, studio.app_id)
    with platform.db.session() as session:
        session.execute(
            update(LoginCode).values(expires_at=utcnow() - timedelta(seconds=1)).where(LoginCode.used_at.is_(None))
        )
        session.commit()
    assert api_error(lambda: backend.code2session(stale)).code == "CODE_EXPIRED"

    other = register_app(studio.developer, studio.headers, "other-game")
    foreign = login_code(player, studio.app_id)
    assert api_error(lambda: other.backend(client).code2session(foreign)).code == "CODE_WRONG_APP"
    assert api_error(lambda: backend.code2session("made-up-code")).code == "CODE_INVALID"
    # The foreign attempt did not burn the code for its rightful app.
    assert backend.code2session(foreign)["openid"]


def test_openid_differs_across_apps_and_unionid_is_shared_within_a_developer(client, studio, player):
    other = register_app(studio.developer, studio.headers, "other-game")
    here = studio.backend(client).code2session(login_code(player, studio.app_id))
    there = other.backend(client).code2session(login_code(player, other.app_id))
    assert here["openid"] != there["openid"]
    assert here["unionid"] == there["unionid"]
    someone_else = browser(client)
    assert studio.backend(client).code2session(login_code(someone_else, studio.app_id))["unionid"] != here["unionid"]


def test_guessing_codes_hits_the_rate_limit(client, studio, platform):
    backend = studio.backend(client)
    codes = [
        api_error(lambda n=n: backend.code2session(f"guess-{n}")).code for n in range(platform.rates.failures.limit + 1)
    ]
    assert codes[:-1] == ["CODE_INVALID"] * platform.rates.failures.limit
    assert codes[-1] == "RATE_LIMITED"


def test_refresh_rotates_and_a_reused_refresh_token_revokes_the_family(client, studio, player):
    backend = studio.backend(client)
    first = backend.code2session(login_code(player, studio.app_id))
    second = backend.refresh(first["refresh_token"])
    assert second["openid"] == first["openid"]
    assert api_error(lambda: backend.user_info(first["access_token"])).code == "INVALID_TOKEN"
    assert backend.user_info(second["access_token"])["openid"] == first["openid"]
    # The spent refresh token comes back: someone copied it, so everything of that login dies.
    assert api_error(lambda: backend.refresh(first["refresh_token"])).code == "INVALID_TOKEN"
    assert api_error(lambda: backend.user_info(second["access_token"])).code == "INVALID_TOKEN"
    assert api_error(lambda: backend.refresh(second["refresh_token"])).code == "INVALID_TOKEN"


def test_a_revoked_token_stops_working(client, studio, player):
    backend = studio.backend(client)
    tokens = backend.code2session(login_code(player, studio.app_id))
    assert backend.revoke(tokens["access_token"]) == {"revoked": True}
    assert api_error(lambda: backend.user_info(tokens["access_token"])).code == "INVALID_TOKEN"
    assert api_error(lambda: backend.refresh(tokens["refresh_token"])).code == "INVALID_TOKEN"


def test_name_and_avatar_reach_the_app_only_after_consent_and_a_person_can_revoke_access(client, studio, player):
    backend = studio.backend(client)
    tokens = backend.code2session(login_code(player, studio.app_id))
    before = backend.user_info(tokens["access_token"])
    assert before["display_name"] is None and before["avatar_url"] is None
    consent = player.post(f"/api/apps/{studio.app_id}/profile-consent", headers=csrf_of(player)).json()
    after = backend.user_info(tokens["access_token"])
    assert after["display_name"] == consent["display_name"] == player.get("/api/me").json()["user"]["display_name"]
    assert [a["app_id"] for a in player.get("/api/authorizations").json()["items"]] == [studio.app_id]
    assert player.delete(f"/api/authorizations/{studio.app_id}", headers=csrf_of(player)).json() == {"ok": True}
    assert api_error(lambda: backend.user_info(tokens["access_token"])).code == "INVALID_TOKEN"
    assert player.get("/api/authorizations").json()["items"] == []


def test_an_app_cannot_reach_the_open_api_without_a_valid_token(client, studio):
    response = client.get("/openapi/v1/app")
    assert response.status_code == 401 and response.json()["code"] == "INVALID_TOKEN"
    response = client.get("/openapi/v1/app", headers={"Authorization": "Bearer mat_forged"})
    assert response.status_code == 401


def test_app_data_is_scoped_to_the_calling_app(client, studio, player):
    other = register_app(studio.developer, studio.headers, "other-game")
    headers = csrf_of(player)
    player.post(
        "/api/launches", json={"launch_id": "1" * 32, "app_id": studio.app_id, "source": "feed"}, headers=headers
    )
    player.post(
        "/api/launches", json={"launch_id": "2" * 32, "app_id": other.app_id, "source": "feed"}, headers=headers
    )
    mine = studio.backend(client).launches()["items"]
    assert [item["launch_id"] for item in mine] == ["1" * 32]
    assert studio.backend(client).app()["app_id"] == studio.app_id


def test_the_avatar_an_app_is_given_names_the_person_by_their_openid_in_that_app_not_by_their_account(
    client, studio, player
):
    """A probe of stop 41: the avatar URL carried the platform's user id, which named the person's
    account to every app they shared their profile with. Each app gets a URL of its own (the same
    picture), which shows the picture only while the person lets that app see their profile: an
    app knows openids without it (a login), and the attack on the first fix had two apps the person
    never allowed fetch the same picture and so tell they had the same player."""
    other = register_app(studio.developer, studio.headers, "second-game")
    me = player.get("/api/me").json()["user"]
    urls = []
    for app in (studio, other):
        tokens = app.backend(client).code2session(login_code(player, app.app_id))
        without_consent = f"/api/avatars/{app.app_id}/{tokens['openid']}.svg"
        assert client.get(without_consent).status_code == 404
        consent = player.post(f"/api/apps/{app.app_id}/profile-consent", headers=csrf_of(player)).json()
        assert consent["avatar_url"] == without_consent
        backend_url = app.backend(client).user_info(tokens["access_token"])["avatar_url"]
        assert backend_url.endswith(consent["avatar_url"])
        assert me["id"] not in backend_url and tokens["openid"] in backend_url
        picture = client.get(consent["avatar_url"])
        assert picture.status_code == 200 and picture.headers["content-type"].startswith("image/svg+xml")
        assert picture.content == client.get(f"/api/avatars/{me['id']}.svg").content
        urls.append(consent["avatar_url"])
    assert urls[0] != urls[1]
    unknown = client.get(urls[0].replace(studio.app_id, other.app_id))
    assert unknown.status_code == 404
    # Revoked in Me: the picture is the app's no more.
    assert player.delete(f"/api/authorizations/{studio.app_id}", headers=csrf_of(player)).json() == {"ok": True}
    assert client.get(urls[0]).status_code == 404 and client.get(urls[1]).status_code == 200
