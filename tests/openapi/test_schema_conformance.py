"""schemathesis against the generated Open API document: no server error, no answer outside the schema."""

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

CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_headers_conformance, response_schema_conformance, unsupported_method]

from tests.studio import login_code


@pytest.fixture
def app_token(client, studio) -> str:
    return studio.backend(client).access_token()


@pytest.fixture
def open_api(client, studio, player, app_token):
    # A real person logged in once, so that user endpoints have data to return.
    studio.backend(client).code2session(login_code(player, studio.app_id))
    return schemathesis.openapi.from_asgi("/openapi/v1/openapi.json", client.app)


schema = schemathesis.pytest.from_fixture("open_api")


@schema.parametrize()
@settings(max_examples=30, deadline=None, suppress_health_check=list(HealthCheck))
def test_the_open_api_never_errors_and_answers_within_its_schema(case, app_token):
    # What the Open API promises: no 5xx, and every answer (errors too) within the documented
    # statuses, types, headers and schemas. Not checked: that every schema-valid request succeeds
    # (a well-formed but never-issued login code is rightly refused) or that extra query
    # parameters are refused (they are ignored, as in most HTTP APIs).
    case.call_and_validate(headers={"Authorization": f"Bearer {app_token}"}, checks=CHECKS)
