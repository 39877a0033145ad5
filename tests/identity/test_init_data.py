"""Each launch hands the app signed initData that its backend verifies with no round trip."""

from __future__ import annotations

import time
from urllib.parse import parse_qsl, urlencode

import pytest

from openminis.client import InvalidInitData, verify_init_data
from tests.studio import csrf_of, login_code

LAUNCH = "c0ffee" * 5 + "00"


def launch(player, app_id: str, launch_id: str = LAUNCH) -> str:
    response = player.post(
        "/api/launches", json={"launch_id": launch_id, "app_id": app_id, "source": "search"}, headers=csrf_of(player)
    )
    return response.json()["init_data"]


def reason(init_data: str, secret: str, **kwargs) -> str:
    with pytest.raises(InvalidInitData) as caught:
        verify_init_data(init_data, secret, **kwargs)
    return caught.value.reason


def test_a_backend_verifies_launch_data_and_gets_the_same_openid_as_code2session(client, studio, player):
    fields = verify_init_data(launch(player, studio.app_id), studio.secret)
    assert (fields["app_id"], fields["launch_id"], fields["source"]) == (studio.app_id, LAUNCH, "search")
    assert fields["openid"] == studio.backend(client).code2session(login_code(player, studio.app_id))["openid"]


def test_tampered_launch_data_fails(studio, player):
    fields = dict(parse_qsl(launch(player, studio.app_id)))
    fields["openid"] = "o_someone_else"
    assert reason(urlencode(fields), studio.secret) == "signature"
    assert reason(launch(player, studio.app_id, "1" * 32), "ms_another_secret") == "signature"
    assert reason("not=a&proper=payload", studio.secret) == "malformed"
    assert reason("%%%", studio.secret) == "malformed"


def test_stale_launch_data_fails_after_24_hours_by_default(studio, player):
    data = launch(player, studio.app_id)
    assert verify_init_data(data, studio.secret, now=time.time() + 23 * 3600)
    assert reason(data, studio.secret, now=time.time() + 25 * 3600) == "stale"
    assert reason(data, studio.secret, max_age=60, now=time.time() + 120) == "stale"
    assert reason(data, studio.secret, now=time.time() - 3600) == "future"


def test_during_a_rotation_launch_data_verifies_with_the_old_or_the_new_secret(studio, player):
    new_secret = studio.developer.post(
        f"/api/developer/apps/{studio.app_id}/secret", json={"grace_seconds": 600}, headers=studio.headers
    ).json()["app_secret"]
    data = launch(player, studio.app_id)
    assert verify_init_data(data, new_secret)["app_id"] == studio.app_id
    assert verify_init_data(data, studio.secret)["app_id"] == studio.app_id


def test_apps_without_a_secret_get_no_launch_data(client, platform, player):
    from tests.factories import publish

    publish(platform)
    assert launch(player, "test-game") is None
