"""The host API (/api/*) never errors and answers within its schema (checks.py says how)."""

from __future__ import annotations

import pytest
import schemathesis

from tests.openapi.conformance.checks import BOUNDED, CHECKS, run_stateful

host_schema = schemathesis.pytest.from_fixture("host_api")


# Operation by operation on PostgreSQL only, where generated input finds what SQLite lets through
# (NUL bytes in text, integers past 32 bits); the sequences below run on both. Half the host API's
# share of the suite (150 of its 300 worker-seconds were the SQLite copy of this test).
@pytest.mark.parametrize("database_url", [pytest.param("postgresql", marks=pytest.mark.postgres)], indirect=True)
@host_schema.parametrize()
@BOUNDED
def test_the_host_api_never_errors_and_answers_within_its_schema(case, host_headers):
    case.call_and_validate(headers=host_headers, checks=CHECKS)


def test_the_host_api_never_errors_along_its_links(host_api, host_headers):
    run_stateful(host_api, host_headers)
