"""The code exchange's failure guard counts per source (IP and app): one source's failed guesses
shut that source out, never the app's genuine logins from elsewhere."""

from __future__ import annotations

import pytest
from starlette.testclient import TestClient

from openminis.client import MinisAPIError
from tests.studio import login_code, register_app

ATTACKER, BACKEND, OTHER_BACKEND = ("203.0.113.7", 40000), ("198.51.100.2", 40000), ("198.51.100.3", 40000)


def from_address(client: TestClient, address: tuple[str, int]) -> TestClient:
    return TestClient(client.app, base_url="http://localhost:8000", client=address)


def failure_code(call) -> str:
    with pytest.raises(MinisAPIError) as caught:
        call()
    return caught.value.code


def test_failed_exchanges_from_one_address_do_not_lock_out_a_genuine_exchange_from_another(
    client, studio, player, platform
):
    attacker = studio.backend(from_address(client, ATTACKER))
    guesses = [
        failure_code(lambda n=n: attacker.code2session(f"guess-{n}")) for n in range(platform.rates.failures.limit + 1)
    ]
    assert guesses == ["CODE_INVALID"] * platform.rates.failures.limit + ["RATE_LIMITED"]

    genuine = studio.backend(from_address(client, BACKEND)).code2session(login_code(player, studio.app_id))
    assert genuine["openid"].startswith("o_")
    # The attacker's address stays shut, even with a real code.
    assert failure_code(lambda: attacker.code2session(login_code(player, studio.app_id))) == "RATE_LIMITED"


def test_an_address_shut_out_for_one_app_still_exchanges_codes_for_another(client, studio, player, platform):
    other = register_app(studio.developer, studio.headers, "other-game")
    shared = from_address(client, OTHER_BACKEND)
    noisy = studio.backend(shared)
    for n in range(platform.rates.failures.limit + 1):
        failure_code(lambda n=n: noisy.code2session(f"guess-{n}"))
    assert failure_code(lambda: noisy.code2session(login_code(player, studio.app_id))) == "RATE_LIMITED"
    assert other.backend(shared).code2session(login_code(player, other.app_id))["openid"].startswith("o_")
