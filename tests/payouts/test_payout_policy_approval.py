"""Four eyes on the payout terms (the prober's finding 1 of /tmp/probe-back/REPORT.md): a member of
finance who was also a developer raised the rate, the approval limit and cut the hold through
``PUT /api/admin/payouts/policy``, in force at once, and their own payout went out unapproved at
a hundred times its worth. A change that loosens the terms is now a proposal that another member
approves; one that only tightens them applies at once; a staff member's payout always waits for
finance. On SQLite and PostgreSQL."""

from __future__ import annotations

import secrets

from openminis.identity import accounts
from openminis.staff import service as staff
from openminis.unit_of_work import unit_of_work
from tests.creators.conftest import launch, make_creator, ready_post
from tests.payments.test_money_admin import staff_member
from tests.payouts.terms import POLICY, PROPOSALS, published
from tests.payouts.test_payouts import DEV, PRICE, account, days_pass, request_all, sell
from tests.studio import buy, put_product, top_up

OPERATOR = {"Authorization": "Bearer test-admin-token"}
# The prober's change: no hold, a coin worth a dollar instead of a cent, and no approval below a
# billion dollars.
LOOSER = {
    "hold_days": 0,
    "rates": {"USD": {"COIN": 100_000_000, "USD_MICROS": 100}},
    "minimums": {"USD": 100},
    "auto_approve_below": {"USD": 100_000_000_000},
    "reason": "rate fix",
}


def terms(finance) -> dict:
    answer = finance.get(POLICY)
    assert answer.status_code == 200, answer.text
    return answer.json()


def audit_of(finance, proposal_id: str) -> list[tuple[str, str]]:
    log = finance.get("/api/admin/audit", params={"target_kind": "payout_policy", "target_id": proposal_id})
    assert log.status_code == 200, log.text
    return [(entry["action"], entry["reason"]) for entry in reversed(log.json()["items"])]


def act(member, headers, proposal_id: str, verb: str, reason: str = "looked at it"):
    return member.post(f"{PROPOSALS}/{proposal_id}/{verb}", json={"reason": reason}, headers=headers)


def test_a_loosening_change_waits_until_another_member_of_finance_approves_it(client):
    proposer, proposer_headers = staff_member(client, "finance")
    colleague, colleague_headers = staff_member(client, "admin")
    support, support_headers = staff_member(client, "support")
    before = terms(proposer)

    proposed = proposer.put(POLICY, json=LOOSER, headers=proposer_headers)
    assert proposed.status_code == 202, proposed.text
    proposal = proposed.json()
    assert proposal["status"] == "waiting" and proposal["mine"] is True
    assert proposal["proposed_by"].startswith("staff:finance-") and proposal["reason"] == "rate fix"
    assert proposal["changes"] == {key: value for key, value in LOOSER.items() if key != "reason"}
    assert proposal["terms"]["rates"] == {"USD": {"COIN": 100_000_000, "USD_MICROS": 100}}
    assert proposal["terms"]["auto_approve_below"] == {"USD": 100_000_000_000}
    assert len(proposal["loosens"]) == 4, proposal["loosens"]  # the hold, the rate, the minimum, the limit
    # Until it is approved, the terms in force are the old ones, for everyone.
    assert terms(proposer) == before
    waiting = colleague.get(PROPOSALS).json()["items"]
    assert [(p["id"], p["mine"], p["status"]) for p in waiting] == [(proposal["id"], False, "waiting")]

    # Not by the proposer, not by the admin token (no person), not by a role without payouts.
    own = act(proposer, proposer_headers, proposal["id"], "approve")
    assert (own.status_code, own.json()["code"]) == (403, "OWN_POLICY_CHANGE"), own.text
    token = client.post(f"{PROPOSALS}/{proposal['id']}/approve", json={"reason": "ok"}, headers=OPERATOR)
    assert (token.status_code, token.json()["code"]) == (403, "POLICY_APPROVER_NOT_A_PERSON"), token.text
    assert act(support, support_headers, proposal["id"], "approve").status_code == 403
    assert terms(proposer) == before

    approved = act(colleague, colleague_headers, proposal["id"], "approve", "the new rate is agreed")
    assert approved.status_code == 200, approved.text
    assert approved.json() == proposal["terms"] == terms(proposer)
    again = act(colleague, colleague_headers, proposal["id"], "approve")
    assert (again.status_code, again.json()["code"]) == (409, "PROPOSAL_DECIDED")
    assert colleague.get(PROPOSALS).json()["items"] == []
    shown = colleague.get(f"{PROPOSALS}/{proposal['id']}").json()
    assert shown["status"] == "approved" and shown["decided_by"].startswith("staff:admin-")
    assert shown["decision_reason"] == "the new rate is agreed"
    assert audit_of(colleague, proposal["id"]) == [
        ("propose_payout_policy", "rate fix"),
        ("approve_payout_policy", "the new rate is agreed"),
    ]


def test_a_change_that_only_tightens_applies_at_once_and_keeps_what_it_does_not_name(client):
    finance, headers = staff_member(client, "finance")
    before = terms(finance)
    tighter = {
        "hold_days": 21,
        "rates": {**before["rates"], "EUR": {"COIN": 900_000, "USD_MICROS": 90}},
        "minimums": {"USD": 2000},
        "reason": "a longer hold, a lower euro rate, a higher dollar minimum",
    }
    answer = finance.put(POLICY, json=tighter, headers=headers)
    assert answer.status_code == 200, answer.text
    assert answer.json() == terms(finance)
    assert answer.json()["minimums"] == {"USD": 2000, "EUR": 1000, "GBP": 1000}
    assert answer.json()["auto_approve_below"] == before["auto_approve_below"]
    # The same terms again change nothing, and no longer paying in a currency is tighter too.
    same = {**terms(finance), "reason": "the same"}
    assert finance.put(POLICY, json=same, headers=headers).status_code == 200
    without_gbp = {c: r for c, r in terms(finance)["rates"].items() if c != "GBP"}
    dropped = finance.put(POLICY, json={"hold_days": 21, "rates": without_gbp, "reason": "no pounds"}, headers=headers)
    assert dropped.status_code == 200 and set(dropped.json()["rates"]) == {"USD", "EUR"}, dropped.text
    assert finance.get(PROPOSALS).json()["items"] == []
    log = finance.get("/api/admin/audit", params={"target_id": "payouts"}).json()["items"]
    assert [entry["action"] for entry in log] == ["set_payout_policy"] * 3


def test_a_change_that_loosens_anything_waits_whole(client):
    finance, headers = staff_member(client, "finance")
    before = terms(finance)
    # A higher dollar minimum (tighter) with a shorter hold (looser): nothing of it applies yet.
    mixed = {"hold_days": 7, "rates": before["rates"], "minimums": {"USD": 5000}, "reason": "mixed"}
    waiting = finance.put(POLICY, json=mixed, headers=headers)
    assert waiting.status_code == 202 and waiting.json()["loosens"] == ["the hold: 14 → 7 days"], waiting.text
    assert terms(finance) == before
    assert act(finance, headers, waiting.json()["id"], "withdraw").status_code == 200
    # A currency newly paid in, or a source newly paid, is a higher rate than none.
    for rates in (
        {**before["rates"], "CHF": {"COIN": 900_000}},
        {**before["rates"], "USD": {"COIN": 1_000_000, "USD_MICROS": 101}},
    ):
        answer = finance.put(POLICY, json={"hold_days": 14, "rates": rates, "reason": "more"}, headers=headers)
        assert answer.status_code == 202, answer.text
        assert act(finance, headers, answer.json()["id"], "withdraw").status_code == 200
    assert terms(finance) == before


def test_a_proposal_is_withdrawn_by_its_proposer_or_refused_by_another_member_and_one_waits_at_a_time(client):
    proposer, proposer_headers = staff_member(client, "finance")
    colleague, colleague_headers = staff_member(client, "finance")
    before = terms(proposer)
    lower_usd = {"hold_days": 14, "rates": before["rates"], "minimums": {"USD": 500}, "reason": "lower USD minimum"}
    first = proposer.put(POLICY, json=lower_usd, headers=proposer_headers).json()

    # Only its proposer withdraws it; they cannot refuse it either (they withdraw it).
    other = act(colleague, colleague_headers, first["id"], "withdraw")
    assert (other.status_code, other.json()["code"]) == (403, "NOT_THE_PROPOSER"), other.text
    own = act(proposer, proposer_headers, first["id"], "refuse")
    assert (own.status_code, own.json()["code"]) == (403, "OWN_POLICY_CHANGE"), own.text
    # While it waits, another loosening is refused, and a tightening applies at once.
    looser = colleague.put(POLICY, json={**lower_usd, "hold_days": 3, "reason": "shorter"}, headers=colleague_headers)
    assert (looser.status_code, looser.json()["code"]) == (409, "POLICY_CHANGE_WAITING"), looser.text
    tighter = {"hold_days": 14, "rates": before["rates"], "minimums": {"EUR": 3000}, "reason": "higher EUR minimum"}
    assert colleague.put(POLICY, json=tighter, headers=colleague_headers).status_code == 200
    withdrawn = act(proposer, proposer_headers, first["id"], "withdraw", "wrong currency")
    assert withdrawn.status_code == 200 and withdrawn.json()["status"] == "withdrawn", withdrawn.text
    late = act(colleague, colleague_headers, first["id"], "approve")
    assert (late.status_code, late.json()["code"]) == (409, "PROPOSAL_DECIDED")

    second = proposer.put(POLICY, json=lower_usd, headers=proposer_headers).json()
    refused = act(colleague, colleague_headers, second["id"], "refuse", "ten dollars stays")
    assert refused.status_code == 200 and refused.json()["status"] == "refused", refused.text
    assert terms(proposer)["minimums"] == {"USD": 1000, "EUR": 3000, "GBP": 1000}
    assert colleague.get(PROPOSALS).json()["items"] == []
    assert audit_of(colleague, first["id"]) == [
        ("propose_payout_policy", "lower USD minimum"),
        ("withdraw_payout_policy", "wrong currency"),
    ]
    assert audit_of(colleague, second["id"]) == [
        ("propose_payout_policy", "lower USD minimum"),
        ("refuse_payout_policy", "ten dollars stays"),
    ]

    # Approved, a proposal changes what it named in the terms in force then: EUR's minimum, set
    # meanwhile, stays.
    third = proposer.put(POLICY, json=lower_usd, headers=proposer_headers).json()
    approved = act(colleague, colleague_headers, third["id"], "approve")
    assert approved.status_code == 200 and approved.json()["minimums"] == {"USD": 500, "EUR": 3000, "GBP": 1000}


def test_the_operators_token_proposes_no_loosening_two_people_do(client):
    """A probe: the token proposed a loosening, and the person who held the token, signed in as
    finance, approved it: a proposer that is no person matched no approver. Both ends of the rule
    are people now; the token still tightens the terms at once."""
    proposed = client.put(POLICY, json=LOOSER, headers=OPERATOR)
    assert (proposed.status_code, proposed.json()["code"]) == (403, "POLICY_PROPOSER_NOT_A_PERSON"), proposed.text
    finance, _ = staff_member(client, "finance")
    assert finance.get(PROPOSALS).json()["items"] == []
    tighter = {**terms(finance), "hold_days": terms(finance)["hold_days"] + 1, "reason": "more time for disputes"}
    tightened = client.put(POLICY, json=tighter, headers=OPERATOR)
    assert tightened.status_code == 200 and tightened.json()["hold_days"] == tighter["hold_days"], tightened.text


def test_a_staff_members_payout_is_never_approved_by_the_limit(client, platform, studio, player):
    """The limit under which payouts need no approval leaves out every payout to a member of staff,
    whatever their role: another member of finance approves it."""
    finance, finance_headers = staff_member(client, "finance")
    body = {**terms(finance), "minimums": {"USD": 50}, "auto_approve_below": {"USD": 100_000}, "reason": "small"}
    assert published(client, finance, finance_headers, body).status_code == 200

    # Two creators earn a commission each; one of them is a moderator.
    put_product(client, studio, "chest", price=PRICE)
    top_up(player, "coins-6500")
    makers = [make_creator(client, f"maker{secrets.token_hex(2)}") for _ in range(2)]
    for n, maker in enumerate(makers):
        launch(player, studio.app_id, "post", post_id=ready_post(platform, maker.user_id, studio.app_id))
        assert buy(player, studio.app_id, "chest", f"via-post-{n}").status_code == 200
    moderator, outsider = makers
    with unit_of_work(platform.db) as session:
        staff.add(session, moderator.user_id, "moderator", by="test")
    days_pass(platform, 15)
    base = "/api/creator/payouts"
    paid = {}
    for maker in makers:
        account(maker.browser, maker.headers, base, destination=f"bank-{maker.user_id}")
        made = request_all(maker.browser, maker.headers, base)
        assert made.status_code == 201, made.text
        paid[maker.user_id] = made.json()
    assert paid[outsider.user_id]["status"] == "in_transit"
    assert paid[outsider.user_id]["approved_by"].startswith("auto")
    assert (paid[moderator.user_id]["status"], paid[moderator.user_id]["approved_by"]) == ("requested", None)

    # So is a developer who is staff (here with the role that only looks people up).
    with unit_of_work(platform.db) as session:
        staff.add(session, accounts.user_by_email(session, "studio@example.com").id, "support", by="test")
    sell(client, studio, player, 1, key="dev")
    days_pass(platform, 15)
    account(studio.developer, studio.headers, DEV)
    own = request_all(studio.developer, studio.headers, DEV)
    assert own.status_code == 201 and own.json()["amount"] < 100_000, own.text
    assert (own.json()["status"], own.json()["approved_by"]) == ("requested", None)
    queue = {p["id"] for p in finance.get("/api/admin/payouts").json()["items"]}
    assert {paid[moderator.user_id]["id"], own.json()["id"]} <= queue
    approved = finance.post(
        "/api/admin/payouts/approve", json={"ids": [own.json()["id"]], "reason": "checked"}, headers=finance_headers
    )
    assert approved.status_code == 200 and approved.json()["items"][0]["status"] == "in_transit", approved.text
