"""Drama unlocks charge exactly what the person confirmed (issue 12, item 1: an episode shown at
1 charged 77, a series shown at 2 charged 20). Every unlock, series purchase and pass carries the
price the paywall showed; at any other price it answers 409 PRICE_CHANGED with the new price and
charges nothing. A pass keeps the price it was bought at for its renewals."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select, update

from openminis.db import utcnow
from openminis.drama import reconciliation as drama_records
from openminis.drama.models import DramaPass, Episode, EpisodeUnlock, Subscription
from openminis.payments import reconciliation as payment_records
from openminis.wallet import service as ledger
from tests.studio import balance, csrf_of, top_up


def unlock(player, series_id: str, number: int, **price):
    return player.post(
        f"/api/dramas/{series_id}/episodes/{number}/unlock", json={"method": "coins", **price}, headers=csrf_of(player)
    )


def all_verified(platform) -> None:
    with platform.db.session() as session:
        problems = ledger.verify(session).problems + payment_records.verify(session) + drama_records.verify(session)
    assert problems == []


def test_episode_and_series_prices_changed_under_the_paywall_are_refused_and_charge_nothing_until_confirmed(
    client, series, studio, player, platform
):
    top_up(player)
    # The paywall shows episode 3 at 20 and the series at 60; the producer raises both meanwhile.
    patched = client.patch(
        f"/openapi/v1/series/{series['id']}", json={"episode_price": 77, "series_price": 200}, headers=studio.headers
    )
    assert patched.status_code == 200, patched.text

    episode = unlock(player, series["id"], 3, amount=20, currency="COIN")
    assert episode.status_code == 409 and episode.json()["code"] == "PRICE_CHANGED"
    assert episode.json()["price"] == {"amount": 77, "currency": "COIN"}
    whole = player.post(
        f"/api/dramas/{series['id']}/purchase", json={"amount": 60, "currency": "COIN"}, headers=csrf_of(player)
    )
    assert whole.status_code == 409 and whole.json()["price"] == {"amount": 200, "currency": "COIN"}
    assert balance(player) == 1200
    assert player.post(f"/api/dramas/{series['id']}/episodes/3/playback").status_code == 402

    # Old clients that send no price are refused, not charged at whatever the price is now.
    assert unlock(player, series["id"], 3).status_code == 422
    assert player.post(f"/api/dramas/{series['id']}/purchase", headers=csrf_of(player)).status_code == 422
    assert balance(player) == 1200

    confirmed = unlock(player, series["id"], 3, amount=77, currency="COIN")
    assert confirmed.status_code == 200 and confirmed.json()["access"] == "coins"
    assert balance(player) == 1200 - 77
    bought = player.post(
        f"/api/dramas/{series['id']}/purchase", json={"amount": 200, "currency": "COIN"}, headers=csrf_of(player)
    )
    assert bought.status_code == 200
    assert balance(player) == 1200 - 77 - 200
    # Unlocked already: a tap at a stale price charges nothing and needs no confirmation.
    assert unlock(player, series["id"], 3, amount=20, currency="COIN").json()["access"] == "coins"
    assert balance(player) == 1200 - 77 - 200
    all_verified(platform)


def test_a_pass_is_bought_at_the_price_shown_and_renews_at_it_whatever_the_pass_costs_later(
    client, series, studio, player, platform
):
    weekly = client.post(
        "/openapi/v1/passes",
        json={"title": "Weekly", "period_days": 7, "price": 100, "series_id": series["id"]},
        headers=studio.headers,
    ).json()
    top_up(player)
    with platform.db.session() as session:  # repriced while the paywall shows 100
        session.execute(update(DramaPass).where(DramaPass.id == weekly["id"]).values(price=150))
        session.commit()
    subscribe = f"/api/passes/{weekly['id']}/subscribe"

    stale = player.post(subscribe, json={"amount": 100, "currency": "COIN"}, headers=csrf_of(player))
    assert stale.status_code == 409 and stale.json()["price"] == {"amount": 150, "currency": "COIN"}
    assert player.post(subscribe, headers=csrf_of(player)).status_code == 422
    assert balance(player) == 1200

    started = player.post(subscribe, json={"amount": 150, "currency": "COIN"}, headers=csrf_of(player))
    assert started.status_code == 200 and started.json()["period"] == 1
    assert balance(player) == 1050
    with platform.db.session() as session:  # raised again after the person subscribed
        session.execute(update(DramaPass).where(DramaPass.id == weekly["id"]).values(price=400))
        session.commit()
    start = utcnow()
    platform.worker(clock=lambda: start + timedelta(days=7, minutes=1)).drain()
    assert balance(player) == 900  # renewed at the 150 confirmed, not 400
    listed = player.get("/api/subscriptions").json()["items"]
    assert [(item["price"], item["period"]) for item in listed] == [(150, 2)]
    with platform.db.session() as session:
        assert session.get(Subscription, started.json()["id"]).price == 150
    all_verified(platform)


def test_ledger_verification_catches_an_unlock_or_a_pass_period_nobody_paid_for(
    client, series, studio, player, platform
):
    weekly = client.post(
        "/openapi/v1/passes", json={"title": "Weekly", "period_days": 7, "price": 100}, headers=studio.headers
    ).json()
    top_up(player)
    assert unlock(player, series["id"], 3, amount=20, currency="COIN").status_code == 200
    subscription = player.post(
        f"/api/passes/{weekly['id']}/subscribe", json={"amount": 100, "currency": "COIN"}, headers=csrf_of(player)
    ).json()
    all_verified(platform)

    user_id = player.get("/api/me").json()["user"]["id"]
    with platform.db.session() as session:
        episode_4 = session.scalar(select(Episode.id).where(Episode.series_id == series["id"], Episode.number == 4))
        session.add(
            EpisodeUnlock(
                user_id=user_id, episode_id=episode_4, series_id=series["id"], method="coins", created_at=utcnow()
            )
        )
        session.execute(update(Subscription).where(Subscription.id == subscription["id"]).values(period=2))
        session.commit()
        problems = drama_records.verify(session)
    assert problems == [
        f"episode {episode_4} was unlocked with coins by {user_id} but no coins were charged for it",
        f"subscription {subscription['id']} is in period 2 but paid periods [1]",
    ]


def test_an_amount_or_a_price_is_a_json_number_never_a_string_a_float_or_true(client, series, studio, player, platform):
    """A probe: unlocks, a series and a pass were bought with amounts "20", 20.0 or true, and a
    producer set prices "7", 9.0 and true (1 coin). docs/payments.md: an amount is a number (422)."""
    top_up(player)
    weekly = client.post(
        "/openapi/v1/passes", json={"title": "Weekly", "period_days": 7, "price": 100}, headers=studio.headers
    ).json()
    for lax in ("20", 20.0, True):
        refused = unlock(player, series["id"], 3, amount=lax, currency="COIN")
        assert (refused.status_code, refused.json()["field"]) == (422, "amount"), refused.text
    for lax in ("60", 60.0, True):
        bought = player.post(
            f"/api/dramas/{series['id']}/purchase", json={"amount": lax, "currency": "COIN"}, headers=csrf_of(player)
        )
        assert bought.status_code == 422, bought.text
    for lax in ("100", 100.0, True):
        subscribed = player.post(
            f"/api/passes/{weekly['id']}/subscribe", json={"amount": lax, "currency": "COIN"}, headers=csrf_of(player)
        )
        assert subscribed.status_code == 422, subscribed.text
    assert balance(player) == 1200  # nothing charged

    for body in ({"episode_price": "7"}, {"series_price": 9.0}, {"episode_price": True}, {"ad_unlock": 1}):
        patched = client.patch(f"/openapi/v1/series/{series['id']}", json=body, headers=studio.headers)
        assert patched.status_code == 422, (body, patched.text)
    created = client.post("/openapi/v1/series", json={"title": "Lax", "episode_price": "7"}, headers=studio.headers)
    assert created.status_code == 422, created.text
    lax_pass = client.post(
        "/openapi/v1/passes", json={"title": "Lax", "period_days": 7, "price": "100"}, headers=studio.headers
    )
    assert lax_pass.status_code == 422, lax_pass.text
    shown = client.get(f"/openapi/v1/series/{series['id']}", headers=studio.headers).json()
    assert (shown["episode_price"], shown["series_price"]) == (20, 60)
    all_verified(platform)
