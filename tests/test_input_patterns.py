"""Input checked by a regular expression is checked whole. Python's ``$`` also matches before a
final newline, so ``^[a-z]+$`` let ``"game\\n"`` through as an id, an idempotency key or a dispute
id, and the newline went on into keys, logs and ledger records. Every anchored pattern in the
platform ends with ``\\Z`` (the very end) instead."""

from __future__ import annotations

import re

from openminis.catalog.manifest import APP_ID
from openminis.payments.orders import IDEMPOTENCY_KEY
from tests.platform_source import lines_matching


def test_no_anchored_pattern_of_the_platform_ends_with_a_dollar():
    assert lines_matching(re.compile(r"""re\.compile\(r?f?r?["'](\^.*)\$["']""")) == []


def test_a_final_newline_is_not_part_of_an_id_or_a_key():
    assert APP_ID.match("my-game") and not APP_ID.match("my-game\n")
    assert IDEMPOTENCY_KEY.match("order-1") and not IDEMPOTENCY_KEY.match("order-1\n")
