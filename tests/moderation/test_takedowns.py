"""A takedown holds at once everywhere the item appears: the feed, the hub, search, recents, share
links, launches, media URLs, sales and the Open API; a restore brings it all back. Suspending a
creator hides all their posts; suspending an app stops its launches and sales."""

from __future__ import annotations

import secrets

from tests.creators.conftest import launch, ready_post
from tests.moderation.conftest import make_creator, report, restore, take_down
from tests.studio import (
    ADMIN_TOKEN,
    balance,
    browser,
    buy,
    csrf_of,
    login_code,
    put_product,
    register_app,
    sign_up,
    top_up,
)

OPERATOR = {"Authorization": f"Bearer {ADMIN_TOKEN}"}


def feed_post_ids(person) -> set[str]:
    page = person.get("/api/feed", params={"limit": 50})
    assert page.status_code == 200, page.text
    return {item["post"]["id"] for item in page.json()["items"] if item["kind"] == "post"}


def share_code(person, **target) -> str:
    made = person.post("/api/share", json=target, headers=csrf_of(person))
    assert made.status_code == 200, made.text
    return made.json()["code"]


def try_launch(person, app_id: str, source: str, **where):
    body = {"launch_id": secrets.token_hex(16), "app_id": app_id, "source": source, **where}
    return person.post("/api/launches", json=body, headers=csrf_of(person))


def test_a_post_taken_down_is_gone_from_the_feed_its_link_its_media_and_launches_at_once(
    client, creator, game, post_id, moderator
):
    viewer = browser(client)
    media = f"/media/posts/{post_id}-media/poster.jpg"
    assert post_id in feed_post_ids(viewer)
    assert viewer.get(media).status_code == 200
    code = share_code(viewer, kind="post", post_id=post_id)
    assert report(viewer, "post", post_id, "scam_or_fraud", "asks for card numbers").status_code == 201

    taken = take_down(moderator, "post", post_id, "scam_or_fraud", "The video asks people for their card numbers.")
    assert taken.status_code == 200, taken.text
    assert taken.json()["takedown"]["down"] is True and taken.json()["open_reports"] == 0

    for person in (viewer, browser(client)):  # whoever looks, from now on
        assert post_id not in feed_post_ids(person)
        assert person.get(f"/api/posts/{post_id}").status_code == 404
        assert person.get(media).status_code == 404
        assert post_id not in person.get(f"/s/{code}").text  # the link opens the feed instead
        assert try_launch(person, game, "share", share=code).status_code == 404
        assert try_launch(person, game, "post", post_id=post_id).status_code == 422
    # Its creator still sees it, removed, and reads why.
    assert creator.browser.get(f"/api/posts/{post_id}").json()["status"] == "removed"
    mine = creator.browser.get("/api/moderation/takedowns").json()["items"]
    assert [(m["item"]["id"], m["takedown"]["reason"], m["takedown"]["note"]) for m in mine] == [
        (post_id, "scam_or_fraud", "The video asks people for their card numbers.")
    ]

    assert restore(moderator, "post", post_id, "a mistake").status_code == 200
    assert post_id in feed_post_ids(viewer)
    assert viewer.get(media).status_code == 200
    assert launch(viewer, game, "share", share=code)
    assert creator.browser.get("/api/moderation/takedowns").json()["items"] == []


def test_post_media_is_not_cached_past_a_takedown(client, post_id):
    served = browser(client).get(f"/media/posts/{post_id}-media/poster.jpg")
    assert served.headers["cache-control"] == "public, no-cache"


def test_a_suspended_creator_has_none_of_their_posts_shown_or_served(client, platform, creator, game, moderator):
    posts = [ready_post(platform, creator.user_id, game) for _ in range(2)]
    other = make_creator(client, "another")
    theirs = ready_post(platform, other.user_id, game)
    viewer = browser(client)
    assert set(posts) | {theirs} <= feed_post_ids(viewer)
    code = share_code(viewer, kind="post", post_id=posts[0])

    suspended = take_down(moderator, "creator", "@tester", "harassment", "Repeated harassment in captions.")
    assert suspended.status_code == 200, suspended.text
    assert suspended.json()["item"]["id"] == creator.user_id

    shown = feed_post_ids(viewer)
    assert theirs in shown and not set(posts) & shown
    assert all(viewer.get(f"/api/posts/{p}").status_code == 404 for p in posts)
    assert try_launch(viewer, game, "share", share=code).status_code == 404
    mine = creator.browser.get("/api/moderation/takedowns").json()["items"]
    assert [(m["item"]["kind"], m["takedown"]["reason"]) for m in mine] == [("creator", "harassment")]

    log = moderator.browser.get("/api/admin/moderation/items/creator/@tester").json()["history"]
    assert [(e["action"], e["before"]["suspended"], e["after"]["down"]) for e in log] == [("suspend", False, True)]
    assert restore(moderator, "creator", creator.user_id).status_code == 200
    assert set(posts) <= feed_post_ids(viewer)


def test_an_app_taken_down_leaves_every_listing_launches_sales_and_the_open_api_but_reads_and_refunds(
    client, platform, moderator
):
    developer = browser(client)
    headers = sign_up(developer, "dev@example.com")
    assert developer.post("/api/developer", json={"name": "Dev"}, headers=headers).status_code == 200
    app = register_app(developer, headers, "bad-game")
    put_product(client, app, "gem", price=100)
    player = browser(client)
    top_up(player)
    launch(player, app.app_id, "hub")
    paid = buy(player, app.app_id, "gem", "first")
    assert paid.status_code == 200, paid.text
    order_id = paid.json()["id"]
    # An order its backend made before the takedown, not paid yet.
    backend = app.backend(client)
    openid = backend.code2session(login_code(player, app.app_id))["openid"]
    open_order = backend.create_order(openid, "gem", idempotency_key="before")
    code = share_code(player, kind="app", app_id=app.app_id)
    token = {"Authorization": f"Bearer {app.backend(client).access_token()}"}
    apps_origin = client.app.platform.settings.app_origin(app.app_id)
    version = client.get("/api/hub", params={"kind": "game"}).json()["items"][0]["version"]

    down = take_down(moderator, "app", app.app_id, "intellectual_property", "Uses another studio's characters.")
    assert down.status_code == 200, down.text

    ids = lambda listing: [card["app_id"] for card in listing.json()["items"]]  # noqa: E731
    assert app.app_id not in ids(player.get("/api/hub", params={"kind": "game"}))
    assert app.app_id not in ids(player.get("/api/search", params={"q": "bad"}))
    assert app.app_id not in ids(player.get("/api/recents"))
    refused = try_launch(player, app.app_id, "recents")
    assert (refused.status_code, refused.json()["code"]) == (403, "APP_TAKEN_DOWN")
    assert try_launch(player, app.app_id, "share", share=code).status_code == 404
    sale = buy(player, app.app_id, "gem", "second", amount=100)
    assert (sale.status_code, sale.json()["code"]) == (403, "APP_TAKEN_DOWN")
    listed = player.get(f"/api/apps/{app.app_id}/products")  # nor its price list (scale52)
    assert (listed.status_code, listed.json()["code"]) == (403, "APP_TAKEN_DOWN")
    # Nor is its backend's open order paid (it was, and the person charged: a probe); the order
    # paid before is still answered as paid to a retried tap.
    left = balance(player)
    pay = lambda order: player.post(  # noqa: E731
        f"/api/apps/{app.app_id}/orders/{order}/pay", json={"amount": 100, "currency": "COIN"}, headers=csrf_of(player)
    )
    refused = pay(open_order["id"])
    assert (refused.status_code, refused.json()["code"]) == (403, "APP_TAKEN_DOWN")
    assert balance(player) == left
    assert (pay(order_id).status_code, balance(player)) == (200, left)
    assert client.get(f"{apps_origin}/v/{version}/index.html").status_code == 403
    # Its backend may read its own data and refund, and nothing else.
    assert client.get(f"/openapi/v1/orders/{order_id}", headers=token).status_code == 200
    put = client.put(
        "/openapi/v1/products/more", json={"type": "consumable", "price": 5, "title": {"en": "M"}}, headers=token
    )
    assert (put.status_code, put.json()["code"]) == (403, "APP_TAKEN_DOWN")
    refund = client.post(
        f"/openapi/v1/orders/{order_id}/refund", json={"reason": "taken down", "idempotency_key": "r1"}, headers=token
    )
    assert refund.status_code == 200, refund.text
    mine = developer.get("/api/moderation/takedowns").json()["items"]
    assert [(m["item"]["id"], m["takedown"]["reason"]) for m in mine] == [(app.app_id, "intellectual_property")]

    assert restore(moderator, "app", app.app_id).status_code == 200
    assert app.app_id in ids(player.get("/api/hub", params={"kind": "game"}))
    assert player.get(f"/api/apps/{app.app_id}/products").status_code == 200
    assert try_launch(player, app.app_id, "hub").status_code == 200
    assert client.get(f"{apps_origin}/v/{version}/index.html").status_code == 200


def test_a_series_or_an_episode_taken_down_is_gone_from_the_hub_the_player_links_and_media(client, drama, moderator):
    viewer = browser(client)
    series_id = drama["series_id"]
    listed = lambda: [s["id"] for s in viewer.get("/api/dramas").json()["items"]]  # noqa: E731

    def playback(number: int):
        return viewer.post(f"/api/dramas/{series_id}/episodes/{number}/playback", headers=csrf_of(viewer))

    media_url = playback(2).json()["urls"]["mp4_480"]
    assert viewer.get(media_url).status_code == 200
    code = share_code(viewer, kind="episode", series_id=series_id, episode=2)

    assert take_down(moderator, "episode", f"{series_id}:2", "violence").status_code == 200
    episodes = viewer.get(f"/api/dramas/{series_id}").json()["episodes"]
    assert [e["number"] for e in episodes] == [1]
    assert playback(2).status_code == 404
    assert viewer.get(media_url).status_code == 404
    assert try_launch(viewer, drama["app_id"], "share", share=code).status_code == 404
    assert restore(moderator, "episode", f"{series_id}:2").status_code == 200
    assert viewer.get(media_url).status_code == 200

    assert (
        take_down(moderator, "series", series_id, "violence", "Graphic violence in every episode.").status_code == 200
    )
    assert series_id not in listed()
    assert viewer.get(f"/api/dramas/{series_id}").status_code == 404
    assert playback(1).status_code == 404
    assert viewer.get(media_url).status_code == 404
    # Its producer cannot publish it back over the takedown.
    again = client.post(f"/openapi/v1/series/{series_id}/publish", headers=drama["headers"])
    assert (again.status_code, again.json()["code"]) == (409, "TAKEN_DOWN")
    assert restore(moderator, "series", series_id).status_code == 200
    assert series_id in listed()


def test_a_suspension_says_why_to_its_owner_or_is_refused(client, creator, game, moderator):
    app_id = game
    """Suspending a creator or an app stops all of it: the moderator's note is what its owner reads.
    The page asked for one; the API suspended an app "as spam" without a word (a probe, ops52).
    A post or an episode is taken down with its reason alone."""
    for kind, item_id in (("creator", "@tester"), ("app", app_id)):
        for note in ("", "   ", "\u200b", "\u2800 \u200d"):  # blank, or what draws nothing (attack52)
            refused = take_down(moderator, kind, item_id, "spam", note)
            assert (refused.status_code, refused.json()["field"]) == (422, "note"), refused.text
    viewer = browser(client)
    assert app_id in {card["app_id"] for card in viewer.get("/api/hub").json()["items"]}  # nothing suspended
    suspended = take_down(moderator, "app", app_id, "spam", "Copies of another studio's game.")
    assert suspended.status_code == 200, suspended.text
