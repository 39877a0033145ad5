"""Finance's payout terms change only what a change names: minimums and limits given for some
currencies leave the others' as they were. On SQLite and PostgreSQL. (A change that loosens the
terms is in force once a second member of finance approves it: ``colleague`` does.)"""

from __future__ import annotations

from tests.payments.test_money_admin import staff_member
from tests.payouts.terms import POLICY, published


def publish(finance, headers, colleague, **changes):
    current = finance.get(POLICY).json()
    body = {"hold_days": current["hold_days"], "rates": current["rates"], "reason": "terms"} | changes
    answer = published(None, finance, headers, body, approver=colleague)
    assert answer.status_code == 200, answer.text
    return answer.json()


def test_setting_the_minimum_of_one_currency_keeps_the_other_currencies_minimums(client):
    """A probe: PUT /api/admin/payouts/policy with minimums {"USD": 1} set EUR's and GBP's
    minimums to 0, so anyone could ask for a payout of one cent in those currencies."""
    finance, headers = staff_member(client, "finance")
    colleague = staff_member(client, "finance")
    publish(finance, headers, colleague, minimums={"EUR": 2500, "GBP": 2000}, auto_approve_below={"EUR": 5000})

    after = publish(finance, headers, colleague, minimums={"USD": 1})
    assert after["minimums"] == {"USD": 1, "EUR": 2500, "GBP": 2000}
    assert after["auto_approve_below"] == {"USD": 0, "EUR": 5000, "GBP": 0}

    limits = publish(finance, headers, colleague, auto_approve_below={"GBP": 700})
    assert limits["auto_approve_below"] == {"USD": 0, "EUR": 5000, "GBP": 700}
    assert limits["minimums"] == {"USD": 1, "EUR": 2500, "GBP": 2000}
    assert finance.get(POLICY).json() == limits


def test_a_currency_left_out_of_the_rates_is_no_longer_paid_and_a_new_one_starts_at_zero(client):
    finance, headers = staff_member(client, "finance")
    colleague = staff_member(client, "finance")
    rates = finance.get(POLICY).json()["rates"]
    without_gbp = {currency: rate for currency, rate in rates.items() if currency != "GBP"}
    after = publish(finance, headers, colleague, rates=without_gbp | {"CHF": {"COIN": 900_000}}, minimums={"USD": 500})
    assert after["minimums"] == {"USD": 500, "EUR": 1000, "CHF": 0}
    assert after["auto_approve_below"] == {"USD": 0, "EUR": 0, "CHF": 0}
    refused = finance.put(
        POLICY,
        json={"hold_days": 14, "rates": without_gbp, "minimums": {"GBP": 10}, "reason": "terms"},
        headers=headers,
    )
    assert refused.status_code == 422 and refused.json()["field"] == "minimums"
