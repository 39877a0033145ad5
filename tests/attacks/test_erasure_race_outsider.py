"""An account erased while its app's backend adds rows for it, attacked from outside: a real
``minis serve`` per database (SQLite and PostgreSQL), real HTTP, 100 backend calls for one person
with the account's deletion in the middle of them.

What must hold, for a score posted by the backend, an order it creates and a coupon it grants: no
5xx; each call either lands before the deletion (which then erases what it erases) or finds the
account gone (404 UNKNOWN_OPENID); nothing of the person outlives the deletion (an order, a money
record, stays only if it was made before; the openid the order names never maps back again)."""

from __future__ import annotations

import secrets
from collections import Counter
from collections.abc import Iterator
from datetime import timedelta

import httpx
import pytest
from sqlalchemy import func, select

from bench.burst import APP_ID, PRODUCT, buy_pack
from openminis.db import utcnow
from openminis.identity.erasure import ERASED_NAME
from openminis.identity.models import AppUser, AuthSession, User
from openminis.liveserver import run_apart
from openminis.payments.models import CouponGrant, Order
from openminis.platform import Platform
from openminis.settings import Settings
from openminis.social.models import Score
from tests.attacks.test_message_attacks import OTHER, Person, backend, person, shop_server
from tests.attacks.test_message_attacks_outsider import (
    Answer,
    Call,
    Site,
    browser_headers,
    no_5xx,
    outcomes,
    rows,
    storm,
    user_id,
)
from tests.browser.test_creators import PASSWORD as CREATOR_PASSWORD
from tests.browser.test_creators import become_creator
from tests.publishing_live import at_once

pytestmark = pytest.mark.slow  # a real server, storms of requests

CALLS = 100
GONE = (404, "UNKNOWN_OPENID")


@pytest.fixture(scope="module", params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def site(request, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    """One server per database for the whole file; each test makes its own person."""
    tmp_path = tmp_path_factory.mktemp(f"erasure-{request.param}")
    with shop_server(tmp_path, request.param, "1000000/minute") as (server, url):
        yield Site(server, url, backend(server, url, APP_ID), backend(server, url, OTHER))


@pytest.fixture
def ada(site) -> Iterator[Person]:
    yield from person(site)


def erased_mid_storm(site: Site, who: Person, calls: list[Call]) -> tuple[Answer, list[Answer]]:
    """Half the backend's calls at once, then, once a quarter of them answered, the account's
    deletion with the other half: its answer, and theirs. (Sent with all of them at the start, the
    deletion was served before nearly every one, on SQLite before all; sent once half answered,
    after all.)"""
    half = len(calls) // 2
    wave = half // 2
    calls = [*calls[:half], Call("POST", "/api/me/delete", {"confirm": "DELETE"}, who, midway=wave)] + [
        call._replace(midway=wave) for call in calls[half:]
    ]
    answers = run_apart(storm(site, calls))
    erased = answers.pop(half)
    no_5xx([*answers, erased])
    assert erased.status == 200, erased.body
    return erased, answers


def report(site: Site, what: str, answers: list[Answer], left: object) -> None:
    database = site.url.split(":")[0]
    print(f"\n{database}: {CALLS} {what} racing the account's deletion: {dict(outcomes(answers))}, left {left}")


def backend_call(site: Site, path: str, body: dict) -> httpx.Response:
    return httpx.post(f"{site.server.url}{path}", json=body, headers=site.ours, timeout=30)


def orders_after_erasure(site: Site, user: str) -> int:
    """The person's orders made once their account was deleted, read from the server's database."""
    platform = Platform(Settings(data_dir=site.server.data_dir, database_url=site.url))
    try:
        with platform.db.session() as session:
            erased_at = session.scalar(select(User.erased_at).where(User.id == user))
            assert erased_at is not None
            late = select(func.count()).select_from(Order).where(Order.user_id == user, Order.created_at >= erased_at)
            return int(session.scalar(late) or 0)
    finally:
        platform.close()


def test_scores_posted_while_the_account_is_erased_leave_none_on_the_board(site, ada):
    board = "b-" + secrets.token_hex(4)
    made = httpx.put(f"{site.server.url}/openapi/v1/leaderboards/{board}", json={}, headers=site.ours, timeout=30)
    assert made.status_code == 200, made.text
    who, path = user_id(ada), f"/openapi/v1/leaderboards/{board}/scores"
    calls = [Call("POST", path, {"openid": ada.openids[APP_ID], "score": n}, None) for n in range(CALLS)]

    _, answers = erased_mid_storm(site, ada, calls)

    left = rows(site, Score, who)
    report(site, "scores", answers, left)
    assert left == 0
    assert set(outcomes(answers)) <= {(200, None), GONE}
    after = backend_call(site, path, {"openid": ada.openids[APP_ID], "score": CALLS})
    assert (after.status_code, after.json()["code"]) == GONE


def test_orders_created_while_the_account_is_erased_are_none_made_after_it(site, ada):
    who, run = user_id(ada), secrets.token_hex(4)

    def order(n: int) -> dict:
        return {"openid": ada.openids[APP_ID], "product_id": PRODUCT["id"], "idempotency_key": f"{run}-{n}"}

    calls = [Call("POST", "/openapi/v1/orders", order(n), None) for n in range(CALLS)]

    _, answers = erased_mid_storm(site, ada, calls)

    # Orders are money records, kept under the erased id (docs/personal-data.md): those made
    # before the deletion stay, none may be made after it, and the openid they name maps to nobody.
    kept, late, openids = rows(site, Order, who), orders_after_erasure(site, who), rows(site, AppUser, who)
    report(site, "orders", answers, f"{kept} kept, {late} made after the deletion, {openids} openids")
    assert (late, openids) == (0, 0)
    assert set(outcomes(answers)) <= {(201, None), GONE}
    assert kept == sum(1 for a in answers if a.status == 201)
    after = backend_call(site, "/openapi/v1/orders", order(CALLS))
    assert (after.status_code, after.json()["code"]) == GONE


def test_coupon_grants_made_while_the_account_is_erased_leave_none(site, ada):
    coupon = {"title": "Pebble off", "amount_off": 1, "ends_at": (utcnow() + timedelta(days=1)).isoformat()}
    made = backend_call(site, "/openapi/v1/coupons", coupon)
    assert made.status_code == 201, made.text
    who, path = user_id(ada), f"/openapi/v1/coupons/{made.json()['id']}/grants"
    calls = [Call("POST", path, {"openid": ada.openids[APP_ID]}, None) for _ in range(CALLS)]

    _, answers = erased_mid_storm(site, ada, calls)

    left = rows(site, CouponGrant, who)
    report(site, "coupon grants", answers, left)
    assert left == 0
    assert set(outcomes(answers)) <= {(200, None), GONE}
    after = backend_call(site, path, {"openid": ada.openids[APP_ID]})
    assert (after.status_code, after.json()["code"]) == GONE


def person_row(site: Site, user: str) -> tuple[str, str | None]:
    """The person's kind and display name, read from the server's database."""
    platform = Platform(Settings(data_dir=site.server.data_dir, database_url=site.url))
    try:
        with platform.db.session() as session:
            kind, name = session.execute(select(User.kind, User.display_name).where(User.id == user)).one()
            return kind, name
    finally:
        platform.close()


def test_the_persons_own_renames_and_purchases_while_their_account_is_erased_leave_no_name_and_spend_nothing_after(
    site, ada
):
    """The person's browser keeps sending while they delete their account (a probe on PostgreSQL:
    renames written back a real name onto the deleted account in 3 of 3 rounds, and purchases
    answered 200 after the deletion, spending the coins the docs say stay unspendable). Each
    request now lands before the deletion (which then erases it) or finds the account gone."""
    who, run = user_id(ada), secrets.token_hex(4)
    buy_pack(ada.client)
    purchase = {"product_id": PRODUCT["id"], "amount": PRODUCT["price"], "currency": "COIN"}
    calls = [Call("PATCH", "/api/me", {"display_name": f"Ada Realname {n}"}, ada) for n in range(CALLS // 2)]
    calls += [
        Call("POST", f"/api/apps/{APP_ID}/purchases", purchase | {"idempotency_key": f"{run}-{n}"}, ada)
        for n in range(CALLS // 2)
    ]
    calls = [call for pair in zip(calls[: CALLS // 2], calls[CALLS // 2 :], strict=True) for call in pair]

    _, answers = erased_mid_storm(site, ada, calls)

    kind, name = person_row(site, who)
    late = orders_after_erasure(site, who)
    report(site, "renames and purchases", answers, f"{kind} {name!r}, {late} orders after the deletion")
    assert (kind, name, late) == ("erased", ERASED_NAME, 0)
    assert set(outcomes(answers)) <= {(200, None), (410, "ACCOUNT_DELETED"), (401, "SESSION_ENDED")}


def test_sign_ins_in_flight_while_the_account_is_erased_leave_no_session_of_it(site):
    """A probe on PostgreSQL: of 20 password sign-ins racing the account's deletion, 4 to 7 left
    sessions on the deleted account, through which /api/me answered as it and purchases spent its
    coins. Each sign-in now lands before the deletion (which ends its session) or is refused."""
    email = f"leaving-{secrets.token_hex(3)}@example.com"
    owner = become_creator(site.server, email, "leaving" + secrets.token_hex(3))
    browsers = guests(site, 20)
    try:
        owner.headers["X-CSRF-Token"] = owner.get("/api/me").json()["csrf_token"]
        leaving = Person(owner, {})
        who = user_id(leaving)
        sign_in = {"email": email, "password": CREATOR_PASSWORD}
        calls = [Call("POST", "/api/account/sign-in", sign_in, guest) for guest in browsers]

        answers = run_apart(
            storm(
                site,
                [
                    *calls[:10],
                    Call("POST", "/api/me/delete", {"confirm": "DELETE"}, leaving, midway=5),
                    *[call._replace(midway=5) for call in calls[10:]],
                ],
            )
        )

        no_5xx(answers)
        left = rows(site, AuthSession, who)
        report(site, "sign-ins", answers, f"{left} sessions of the deleted account")
        assert left == 0
        assert person_row(site, who)[0] == "erased"
    finally:
        for client in (owner, *(guest.client for guest in browsers)):
            client.close()


def guests(site: Site, count: int) -> list[Person]:
    """Browsers with a guest session each, and its CSRF token."""
    made = []
    for _ in range(count):
        client = httpx.Client(base_url=site.server.url, timeout=30)
        client.headers["X-CSRF-Token"] = client.get("/api/me").json()["csrf_token"]
        made.append(Person(client, {}))
    return made


def test_a_guest_registering_20_times_at_once_is_answered_without_a_5xx_and_sent_one_code_that_works(site):
    """A double tap, two tabs (a probe on PostgreSQL: of 20 at once, 11 to 13 answered 500, each
    request deleting no earlier code and adding its own). Mail to one address is limited: half are
    answered 429 with Retry-After."""
    [guest] = guests(site, 1)
    try:
        email = f"twice-{secrets.token_hex(3)}@example.com"
        body = {"email": email, "password": CREATOR_PASSWORD}
        answers = run_apart(storm(site, [Call("POST", "/api/account/register", body, guest)] * 20))

        no_5xx(answers)
        assert set(outcomes(answers)) <= {(200, None), (429, "RATE_LIMITED")}  # mail to one address is limited
        code = site.server.mailed(email, r"verification code is (\d{6})")  # the last one sent replaced the others
        verified = guest.client.post("/api/account/verify", json={"code": code})
        assert verified.status_code == 200, verified.text
    finally:
        guest.client.close()


def test_an_account_deleted_from_ten_tabs_at_once_is_deleted_once_and_the_rest_told_it_is_gone(site):
    """Each deletion held the person's row shared (as every change does, so that no request outlives
    a deletion), then asked for it exclusively: two at once each waited for the other, and
    PostgreSQL killed one as a deadlock (503). Answers counted at the first try, not sent again."""
    [leaving] = guests(site, 1)
    try:
        who = user_id(leaving)
        delete = {"method": "POST", "url": "/api/me/delete", "json": {"confirm": "DELETE"}}
        answers = at_once(site.server, [delete | {"headers": browser_headers(leaving)}] * 10)
        # The rest find the account gone (410) or, once its sessions are gone, this browser a new
        # session that has ended (401 SESSION_ENDED; it was 403 CSRF_FAILED, a new guest's token the
        # page does not have): no 503 to send again.
        answered = Counter((answer.status_code, answer.json().get("code")) for answer in answers)
        assert answered[(200, None)] == 1 and set(answered) <= {
            (200, None),
            (410, "ACCOUNT_DELETED"),
            (401, "SESSION_ENDED"),
        }, answered
        assert person_row(site, who)[0] == "erased"
    finally:
        leaving.client.close()
