"""schemathesis against the generated OpenAPI documents, the Open API's and the host API's (/api/*):
no server error, no answer outside the schema, operation by operation and in stateful sequences
along the links schemathesis infers between operations. Bounded and deterministic (derandomized),
so the run is short and a failure reproduces. One test file per API, so that the two run on
different workers."""

from __future__ import annotations

import time

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
# Examples per operation: derandomized, so every run sends the same ones. 8, not 12: a third off
# these files' 350 s of worker time, the suite's longest (issue 13, item 5). What the generator
# found before (NUL bytes, 32-bit overflow) has tests of its own (tests/web/test_invalid_text.py).
BOUNDED = settings(
    max_examples=8, deadline=None, derandomize=True, database=None, suppress_health_check=list(HealthCheck)
)
STATEFUL = settings(BOUNDED, max_examples=15, stateful_step_count=8)
RETRIES_WHEN_BUSY = 10
# Signing out or deleting the account would leave every later call without its session.
ENDS_THE_SESSION = r"^/api/(account/sign-out|me/delete)$"


def run_stateful(schema, headers: dict[str, str]) -> None:
    class Sequences(schema.as_state_machine()):
        def get_call_kwargs(self, case):
            return {"headers": headers}

        def call(self, case, **kwargs):
            # A 503 with Retry-After ("the database is busy", on a loaded machine) is sent again, as
            # a client does: otherwise what a step links to later depends on the machine's load,
            # and hypothesis, replaying a sequence, finds a bundle empty that was full before
            # (FlakyStrategyDefinition, seen in CI). Not waiting the full second: the gate's queue
            # drains in milliseconds once the burst that filled it has passed.
            for _ in range(RETRIES_WHEN_BUSY):
                answer = case.call(**kwargs)
                if answer.status_code != 503 or "retry-after" not in answer.headers:
                    return answer
                time.sleep(0.2)
            return case.call(**kwargs)

        def validate_response(self, response, case, additional_checks=None, **kwargs):
            case.validate_response(response, checks=CHECKS)

    Sequences.run(settings=STATEFUL)
