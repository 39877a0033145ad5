"""One member of finance's coupons made at once against a live server add up to their budget, not
one budget each: their staff row is held while a coupon is weighed against the others, on SQLite
and PostgreSQL (tests/payments/test_coupon_budget.py has the rule)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import closing
from datetime import UTC, datetime, timedelta

import pytest

from openminis.liveserver import LiveServer
from tests.payouts.live import answered_properly, at_once, retried, server_per_database, staff_person

pytestmark = pytest.mark.slow  # a real server and requests at once

COUPONS = "/api/admin/money/coupons"
BUDGET = 100_000  # the default coupon_budget_without_owner


@pytest.fixture(scope="module", params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def server(request, tmp_path_factory) -> Iterator[LiveServer]:
    with server_per_database(request, tmp_path_factory, minimum=100) as live:
        yield live


def test_coupons_made_at_once_by_one_member_of_finance_cost_at_most_their_budget_together(server):
    finance, headers = staff_person(server, "finance")
    with closing(finance):
        cookie = "; ".join(f"{name}={value}" for name, value in finance.cookies.items())
        ends = (datetime.now(UTC) + timedelta(days=7)).isoformat()
        fifth = {"title": "Storm", "ends_at": ends, "amount_off": 1_000, "total_limit": BUDGET // 5_000}
        requests = [
            {
                "method": "POST",
                "url": COUPONS,
                "json": {**fifth, "code": f"STORM{n:02d}", "reason": "a storm"},
                "headers": {**headers, "Cookie": cookie},
            }
            for n in range(12)
        ]
        answers = retried(server, requests, at_once(server, requests))

        answered_properly(answers, {201, 403})
        made = [body for status, body, _ in answers if status == 201]
        refused = [body["code"] for status, body, _ in answers if status == 403]
        assert len(made) == 5, answers  # a fifth of the budget each
        assert refused == ["COUPON_NEEDS_OWNER"] * 7
        listed = finance.get(COUPONS).json()["items"]
        assert sorted(coupon["code"] for coupon in listed) == sorted(coupon["code"] for coupon in made)
