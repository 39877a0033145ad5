"""An app secret is shown once, stored as a hash, rotates with a grace period and never leaks."""

from __future__ import annotations

import logging
from datetime import timedelta

import pytest
from sqlalchemy import select, update

from openminis.client import MinisAPIError, MinisClient
from openminis.db import utcnow
from openminis.developers import service
from openminis.developers import service as developers
from openminis.developers.models import AppSecret
from openminis.identity import accounts
from openminis.unit_of_work import unit_of_work
from tests.concurrency import race
from tests.studio import csrf_of, login_code


def token_status(client, app_id: str, secret: str) -> int:
    body = {"grant_type": "client_credentials", "client_id": app_id, "client_secret": secret}
    return client.post("/openapi/v1/auth/token", json=body).status_code


def test_the_secret_is_stored_only_as_a_hash(studio, platform):
    with platform.db.session() as session:
        stored = session.scalars(select(AppSecret)).all()
    assert len(stored) == 1
    assert studio.secret not in (stored[0].secret_hash, stored[0].init_key)
    assert len(stored[0].secret_hash) == 64


def test_a_rotated_secret_works_in_the_grace_period_and_not_after(client, studio, platform):
    rotated = studio.developer.post(
        f"/api/developer/apps/{studio.app_id}/secret", json={"grace_seconds": 3600}, headers=studio.headers
    )
    new_secret = rotated.json()["app_secret"]
    assert new_secret != studio.secret
    assert token_status(client, studio.app_id, studio.secret) == 200
    assert token_status(client, studio.app_id, new_secret) == 200
    old_backend = MinisClient(studio.app_id, studio.secret, http=client)
    old_backend.access_token()

    with platform.db.session() as session:  # the grace period passes
        session.execute(
            update(AppSecret)
            .where(AppSecret.expires_at.is_not(None))
            .values(expires_at=utcnow() - timedelta(seconds=1))
        )
        session.commit()
    assert token_status(client, studio.app_id, studio.secret) == 401
    assert token_status(client, studio.app_id, new_secret) == 200
    # Tokens bought with the old secret die with it.
    with pytest.raises(MinisAPIError) as caught:
        old_backend.app()
    assert caught.value.code == "INVALID_TOKEN"


def test_rotations_at_once_leave_exactly_one_secret_working(client, studio, platform):
    """Five rotations with no grace at once (five tabs of the console): each must end every secret
    before it. On PostgreSQL each read the live secrets before the others had added theirs, and two
    to five of the new secrets stayed good for ever (a probe)."""
    with unit_of_work(platform.db, reads=True) as session:
        developer = developers.developer_for(session, accounts.user_by_email(session, "studio@example.com"))

    def rotate(worker: int, n: int) -> str:
        with unit_of_work(platform.db) as session:
            return service.rotate_secret(session, developer, studio.app_id, grace=timedelta(0))

    secrets_made = list(race(workers=5, attempts=1, attempt=rotate))
    assert sorted(token_status(client, studio.app_id, secret) for secret in secrets_made) == [200, 401, 401, 401, 401]


def test_only_the_owner_can_rotate(client, studio, player):
    player_headers = csrf_of(player)
    response = player.post(f"/api/developer/apps/{studio.app_id}/secret", json={}, headers=player_headers)
    assert response.status_code == 403 and response.json()["code"] == "NOT_A_DEVELOPER"


def test_wrong_credentials_get_one_answer_that_repeats_nothing_given(client, studio):
    for app_id, secret in [(studio.app_id, "ms_wrong"), ("other-app", studio.secret), ("", "")]:
        response = client.post(
            "/openapi/v1/auth/token",
            json={"grant_type": "client_credentials", "client_id": app_id or "x", "client_secret": secret or "x"},
        )
        assert response.status_code == 401
        assert response.json()["code"] == "INVALID_CLIENT"
        assert studio.secret not in response.text


def test_secrets_never_appear_in_logs_responses_or_error_pages(client, studio, player, caplog):
    with caplog.at_level(logging.DEBUG):
        backend = studio.backend(client)
        tokens = backend.code2session(login_code(player, studio.app_id))
        backend.user_info(tokens["access_token"])
        listing = studio.developer.get("/api/developer/apps")
        bad = client.post(
            "/openapi/v1/auth/token",
            json={"grant_type": "client_credentials", "client_id": studio.app_id, "client_secret": studio.secret + "x"},
        )
        broken = client.post(
            "/openapi/v1/auth/token",
            content=b"client_secret=" + studio.secret.encode(),
            headers={"Content-Type": "application/json"},
        )
        rotated = studio.developer.post(
            f"/api/developer/apps/{studio.app_id}/secret", json={}, headers=studio.headers
        ).json()["app_secret"]
    secrets = [studio.secret, rotated, tokens["access_token"], tokens["refresh_token"], backend._token]
    logged = caplog.text + "".join(str(record.args) for record in caplog.records)
    for secret in secrets:
        assert secret not in logged
        for response in (listing, bad, broken):
            assert secret not in response.text
    assert broken.status_code == 422 and broken.json()["code"] == "INVALID_JSON"  # not JSON, and said so
    assert "openminis.access" in {record.name for record in caplog.records}
    assert repr(backend).count("ms_") == 0


def test_a_developer_registers_at_most_the_platforms_number_of_apps_even_all_at_once(client, studio, platform):
    """Each app brings an Open API token and limits of its own at once: one developer made 40 in a
    second (a probe, attack54) and multiplied the limit on trying coupon codes with them. At most
    ``max_apps_per_developer``, however many are asked for together (the studio has one already)."""
    platform.settings.max_apps_per_developer = 4

    def register(worker: int, n: int) -> str:
        body = {"app_id": f"many-{worker}-{n}", "name": "Many", "kind": "game"}
        answer = studio.developer.post("/api/developer/apps", json=body, headers=studio.headers)
        return str(answer.status_code) if answer.is_success else answer.json()["code"]

    outcomes = race(workers=8, attempts=1, attempt=register)
    assert outcomes == {"201": 3, "APP_LIMIT_REACHED": 5}, outcomes
    mine = studio.developer.get("/api/developer/apps").json()["items"]
    assert len(mine) == 4
    refused = studio.developer.post(
        "/api/developer/apps", json={"app_id": "one-more", "name": "One more", "kind": "game"}, headers=studio.headers
    )
    assert (refused.status_code, refused.json()["code"]) == (409, "APP_LIMIT_REACHED")
    assert "at most 4 apps" in refused.json()["message"]


def test_a_token_is_asked_for_as_oauth_2_libraries_ask_for_it(client, studio):
    """RFC 6749 (4.4): ``grant_type=client_credentials`` as a form, the id and secret in Basic
    authentication or in the form. The route read JSON alone (a probe, dev54), so a standard OAuth 2
    library could not get a token; every form is refused alike when the secret is wrong."""
    import base64

    form = {"grant_type": "client_credentials", "scope": "openapi"}
    basic = base64.b64encode(f"{studio.app_id}:{studio.secret}".encode()).decode()
    by_basic = client.post("/openapi/v1/auth/token", data=form, headers={"Authorization": f"Basic {basic}"})
    assert by_basic.status_code == 200, by_basic.text
    assert by_basic.json()["token_type"] == "Bearer" and by_basic.json()["expires_in"] > 0
    in_form = client.post(
        "/openapi/v1/auth/token", data={**form, "client_id": studio.app_id, "client_secret": studio.secret}
    )
    assert in_form.status_code == 200, in_form.text
    app = client.get("/openapi/v1/app", headers={"Authorization": f"Bearer {in_form.json()['access_token']}"})
    assert app.status_code == 200 and app.json()["app_id"] == studio.app_id
    wrong = base64.b64encode(f"{studio.app_id}:ms_wrong".encode()).decode()
    refused = client.post("/openapi/v1/auth/token", data=form, headers={"Authorization": f"Basic {wrong}"})
    assert refused.status_code == 401, refused.text
    both = client.post(
        "/openapi/v1/auth/token",
        data={**form, "client_id": studio.app_id},
        headers={"Authorization": f"Basic {basic}"},
    )
    assert both.status_code == 400 and "once" in both.json()["message"], both.text
    no_grant = client.post("/openapi/v1/auth/token", data={"client_id": studio.app_id, "client_secret": studio.secret})
    assert (no_grant.status_code, no_grant.json()["field"]) == (422, "grant_type"), no_grant.text
    garbled = client.post("/openapi/v1/auth/token", data=form, headers={"Authorization": "Basic !!!"})
    assert garbled.status_code == 400, garbled.text
    # JSON, as before.
    assert token_status(client, studio.app_id, studio.secret) == 200
    assert (
        client.post("/openapi/v1/auth/token", content=b"[1]", headers={"Content-Type": "application/json"}).status_code
        == 422
    )
