"""The host API (/api/*) never errors and answers within its schema (checks.py says how)."""

from __future__ import annotations

import schemathesis

from tests.openapi.conformance.checks import BOUNDED, CHECKS, run_stateful

host_schema = schemathesis.pytest.from_fixture("host_api")


@host_schema.parametrize()
@BOUNDED
def test_the_host_api_never_errors_and_answers_within_its_schema(case, host_headers):
    case.call_and_validate(headers=host_headers, checks=CHECKS)


def test_the_host_api_never_errors_along_its_links(host_api, host_headers):
    run_stateful(host_api, host_headers)
