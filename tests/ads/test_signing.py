"""Reward callbacks are signed with the platform's rotating ECDSA keys; the client helper refuses
anything tampered, unknown, replayed or stale."""

from __future__ import annotations

import json
import time
from datetime import timedelta

import httpx
import pytest

from openminis.ads import signing
from openminis.client import AsyncMinisClient, InvalidReward, SeenEvents, verify_reward
from openminis.liveserver import run_apart
from openminis.unit_of_work import unit_of_work


def body(**overrides) -> bytes:
    reward = {
        "transaction_id": "rwd_1",
        "app_id": "dev-game",
        "unit_id": "au_1",
        "openid": "o_x",
        "reward": {"type": "coins_ingame", "amount": 10},
        "ad_id": "ad_1",
        "timestamp": int(time.time()),
    }
    return json.dumps(reward | overrides, separators=(",", ":")).encode()


@pytest.fixture
def key(platform):
    with unit_of_work(platform.db) as session:
        return signing.current_key(session)


def test_reward_keys_are_public_and_verify_what_the_platform_signs(client, key):
    listed = client.get("/openapi/v1/.well-known/reward-keys")
    assert listed.status_code == 200 and listed.headers["cache-control"] == "public, max-age=300"
    [entry] = listed.json()["keys"]
    assert (entry["kid"], entry["alg"], entry["public_key_pem"]) == (key.kid, "ES256", key.public_key_pem)
    signed = body()
    assert verify_reward(signed, signing.sign(key, signed), listed.json())["transaction_id"] == "rwd_1"
    assert verify_reward(signed, signing.sign(key, signed), {key.kid: key.public_key_pem})["ad_id"] == "ad_1"


def test_the_signature_helper_rejects_a_tampered_body_an_unknown_key_a_replay_and_a_stale_callback(platform, key):
    keys = {key.kid: key.public_key_pem}
    signed = body()
    header = signing.sign(key, signed)
    seen = SeenEvents()
    verify_reward(signed, header, keys, seen=seen)
    stale = body(timestamp=int(time.time()) - 301)
    with unit_of_work(platform.db) as session:
        stranger = signing.rotate_signing_key(session)  # a key the backend never fetched
    reasons = {}
    for name, call in {
        "tampered": lambda: verify_reward(signed.replace(b'"amount":10', b'"amount":1000'), header, keys),
        "unknown kid": lambda: verify_reward(signed, signing.sign(stranger, signed), keys),
        "replayed": lambda: verify_reward(signed, header, keys, seen=seen),
        "stale": lambda: verify_reward(stale, signing.sign(key, stale), keys),
        "late": lambda: verify_reward(signed, header, keys, now=time.time() + 301),
        "malformed": lambda: verify_reward(signed, "sig=abc", keys),
        "not a signature": lambda: verify_reward(signed, f"kid={key.kid},sig=AAAA", keys),
    }.items():
        with pytest.raises(InvalidReward) as caught:
            call()
        reasons[name] = caught.value.reason
    assert reasons == {
        "tampered": "signature",
        "unknown kid": "unknown_key",
        "replayed": "replayed",
        "stale": "stale",
        "late": "stale",
        "malformed": "malformed",
        "not a signature": "signature",
    }


def test_key_rotation_keeps_the_old_key_listed_and_the_new_one_signs(client, platform, key):
    rotated = client.post("/api/admin/ads/signing-keys/rotate", headers={"Authorization": "Bearer test-admin-token"})
    assert rotated.status_code == 200
    new_kid = rotated.json()["kid"]
    listed = client.get("/openapi/v1/.well-known/reward-keys").json()["keys"]
    assert [k["kid"] for k in listed] == [new_kid, key.kid]
    with platform.db.session() as session:
        signer = signing.current_key(session)
    assert signer.kid == new_kid
    signed = body()
    assert verify_reward(signed, signing.sign(signer, signed), listed)["transaction_id"] == "rwd_1"
    # A callback the old key signed just before the rotation still verifies.
    assert verify_reward(signed, signing.sign(key, signed), listed)["transaction_id"] == "rwd_1"


def test_a_key_retired_long_ago_is_no_longer_listed(client, platform, key):
    with platform.db.session() as session:
        signing.rotate_signing_key(session)
        assert key.kid not in {k.kid for k in signing.public_keys(session, timedelta(0))}
        assert key.kid in {k.kid for k in signing.public_keys(session, timedelta(days=30))}


def test_rotation_needs_the_admin_token(client):
    assert client.post("/api/admin/ads/signing-keys/rotate").status_code == 401


def test_the_async_client_fetches_the_keys(client, studio, key):
    async def fetch():
        transport = httpx.ASGITransport(app=client.app)
        async with httpx.AsyncClient(transport=transport) as http:
            return await AsyncMinisClient(studio.app_id, studio.secret, http=http).reward_keys()

    assert [k["kid"] for k in run_apart(fetch())["keys"]] == [key.kid]


def test_the_first_reward_key_is_made_in_a_read_session_though_another_request_wrote_after_its_read(
    platform, monkeypatch
):
    # GET /openapi/v1/.well-known/reward-keys runs in a read session; on SQLite its first write,
    # after another request's commit, failed with SQLITE_BUSY_SNAPSHOT (a 503).
    made = signing._new_key

    def another_request_commits_first(now):
        with platform.db.session() as other:
            other.add(made(now))
            other.commit()
        return made(now)

    monkeypatch.setattr(signing, "_new_key", another_request_commits_first)
    with platform.db.read_session() as session:
        key = signing.current_key(session, platform.db)
        listed = [k.kid for k in signing.public_keys(session, timedelta(days=1), platform.db)]
    assert key.kid in listed and len(listed) == 2  # both first users' keys are listed; the newer signs


def test_the_first_listing_makes_the_first_key_and_keeps_it(client):
    first = client.get("/openapi/v1/.well-known/reward-keys")
    assert first.status_code == 200
    [made] = first.json()["keys"]
    assert [k["kid"] for k in client.get("/openapi/v1/.well-known/reward-keys").json()["keys"]] == [made["kid"]]
