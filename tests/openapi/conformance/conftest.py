"""The schemas under test and the people calling them, for the conformance tests."""

from __future__ import annotations

import pytest
import schemathesis
from starlette.testclient import TestClient

from tests.openapi.conformance.checks import ENDS_THE_SESSION
from tests.studio import csrf_of, login_code


@pytest.fixture(autouse=True)
def generous_limits(settings):
    # Rate limits are tested elsewhere; here every generated call should reach its route.
    for name in type(settings).model_fields:
        if name.startswith("rate_") and name != "rate_failures":
            setattr(settings, name, "1000000/minute")


@pytest.fixture
def app_token(client, studio) -> str:
    return studio.backend(client).access_token()


@pytest.fixture
def open_api(client, studio, player, app_token):
    # A real person logged in once, so that user endpoints have data to return.
    studio.backend(client).code2session(login_code(player, studio.app_id))
    return schemathesis.openapi.from_asgi("/openapi/v1/openapi.json", client.app)


@pytest.fixture
def host_headers(studio, platform) -> dict[str, str]:
    """A signed-in developer with an app (their session cookie and its CSRF token) who is also the
    operator (the admin token), so that every host route has someone allowed to call it."""
    cookies = "; ".join(f"{name}={value}" for name, value in studio.developer.cookies.items())
    headers = {
        "Cookie": cookies,
        **csrf_of(studio.developer),
        "Authorization": f"Bearer {platform.settings.admin_token}",
    }
    assert (
        studio.developer.get("/api/me").json()
        == TestClient(studio.developer.app).get("/api/me", headers=headers).json()
    )
    return headers


@pytest.fixture
def host_api(client, studio):
    return (
        schemathesis.openapi.from_asgi("/openapi.json", client.app)
        .include(path_regex="^/api/")
        .exclude(path_regex=ENDS_THE_SESSION)
    )
