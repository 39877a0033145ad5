"""schemathesis against the generated OpenAPI documents, here the host API's (/api/*):
no server error, no answer outside the schema, operation by operation and in stateful sequences
along the links schemathesis infers between operations. Bounded and deterministic (derandomized),
so the run is short and a failure reproduces."""

from __future__ import annotations

import pytest
import schemathesis

from tests.openapi.conformance import BOUNDED, CHECKS, run_stateful

# Rate limits are tested elsewhere (test_rate_limits.py).
pytestmark = pytest.mark.usefixtures("generous_limits")
host_schema = schemathesis.pytest.from_fixture("host_api")


@host_schema.parametrize()
@BOUNDED
def test_the_host_api_never_errors_and_answers_within_its_schema(case, host_headers):
    case.call_and_validate(headers=host_headers, checks=CHECKS)


def test_the_host_api_never_errors_along_its_links(host_api, host_headers):
    run_stateful(host_api, host_headers)
