"""Publishing payout terms over HTTP as finance does it: a change that loosens the terms is a
proposal, in force once a second member of finance approves it (docs/payouts.md). For the tests
that need looser terms and are not about the approval itself."""

from __future__ import annotations

from typing import Any

from tests.payments.test_money_admin import staff_member

POLICY = "/api/admin/payouts/policy"
PROPOSALS = f"{POLICY}/proposals"


def published(client, finance, headers: dict[str, str], body: dict[str, Any], *, approver=None):
    """``PUT`` the terms as ``finance``. A change that loosens them waits (202): ``approver``, a
    (client, headers) pair of another member of finance, or a colleague made here, approves it.
    Returns the answer that put the terms in force (200, the terms)."""
    answer = finance.put(POLICY, json=body, headers=headers)
    if answer.status_code == 202:
        colleague, colleague_headers = approver or staff_member(client, "finance")
        answer = colleague.post(
            f"{PROPOSALS}/{answer.json()['id']}/approve", json={"reason": "checked"}, headers=colleague_headers
        )
    return answer
