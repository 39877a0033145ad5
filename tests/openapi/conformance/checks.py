"""schemathesis against the generated OpenAPI documents, the Open API's and the host API's (/api/*):
no server error, no answer outside the schema, operation by operation and in stateful sequences
along the links schemathesis infers between operations. Bounded and deterministic (derandomized),
so the run is short and a failure reproduces. One test file per API, so that the two run on
different workers."""

from __future__ import annotations

from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
    unsupported_method,
)

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


def run_stateful(schema, headers: dict[str, str]) -> None:
    class Sequences(schema.as_state_machine()):
        def get_call_kwargs(self, case):
            return {"headers": headers}

        def validate_response(self, response, case, additional_checks=None, **kwargs):
            case.validate_response(response, checks=CHECKS)

    Sequences.run(settings=STATEFUL)
