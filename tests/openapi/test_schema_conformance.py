"""schemathesis against the generated OpenAPI documents, the Open API's and the host API's (/api/*):
no server error, no answer outside the schema, operation by operation and in stateful sequences
along the links schemathesis infers between operations. Bounded and deterministic (derandomized),
so the run is short and a failure reproduces."""

from __future__ import annotations

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
    unsupported_method,
)
from starlette.testclient import TestClient

from tests.studio import csrf_of, login_code

CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    unsupported_method,
]
BOUNDED = settings(
    max_examples=12, deadline=None, derandomize=True, database=None, suppress_health_check=list(HealthCheck)
)
STATEFUL = settings(BOUNDED, max_examples=20, stateful_step_count=8)
# Signing out or deleting the account would leave every later call without its session.
ENDS_THE_SESSION = r"^/api/(account/sign-out|me/delete)$"


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


open_schema = schemathesis.pytest.from_fixture("open_api")
host_schema = schemathesis.pytest.from_fixture("host_api")


@open_schema.parametrize()
@BOUNDED
def test_the_open_api_never_errors_and_answers_within_its_schema(case, app_token):
    # What the Open API promises: no 5xx, and every answer (errors too) within the documented
    # statuses, types, headers and schemas. Not checked: that every schema-valid request succeeds
    # (a well-formed but never-issued login code is rightly refused) or that extra query
    # parameters are refused (they are ignored, as in most HTTP APIs).
    case.call_and_validate(headers={"Authorization": f"Bearer {app_token}"}, checks=CHECKS)


@host_schema.parametrize()
@BOUNDED
def test_the_host_api_never_errors_and_answers_within_its_schema(case, host_headers):
    case.call_and_validate(headers=host_headers, checks=CHECKS)


def run_stateful(schema, headers: dict[str, str]) -> None:
    class Sequences(schema.as_state_machine()):
        def get_call_kwargs(self, case):
            return {"headers": headers}

        def validate_response(self, response, case, additional_checks=None, **kwargs):
            case.validate_response(response, checks=CHECKS)

    Sequences.run(settings=STATEFUL)


def test_the_open_api_never_errors_along_its_links(open_api, app_token):
    run_stateful(open_api, {"Authorization": f"Bearer {app_token}"})


def test_the_host_api_never_errors_along_its_links(host_api, host_headers):
    run_stateful(host_api, host_headers)
