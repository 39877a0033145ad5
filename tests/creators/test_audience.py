"""Likes and follows: signed-in acts, set with PUT and cleared with DELETE, counted once per
person; a creator's page; the Following tab; and likes as a ranking signal."""

from __future__ import annotations

import pytest

from openminis.feed.ranking import W_LIKE
from tests.creators.conftest import make_creator, ready_post
from tests.studio import browser, csrf_of, sign_up


@pytest.fixture
def fan(client):
    person = browser(client)
    headers = sign_up(person, "fan@example.com")
    person.headers.update(headers)
    return person


def test_a_like_is_a_toggle_counted_once_per_person_and_shown_on_the_post(client, platform, creator, game, fan):
    post_id = ready_post(platform, creator.user_id, game)
    for _ in range(3):  # liking again is no second like
        liked = fan.put(f"/api/posts/{post_id}/like")
        assert liked.status_code == 200, liked.text
        assert liked.json() == {"post_id": post_id, "liked": True, "likes": 1}
    other = make_creator(client, "other_one")
    assert other.browser.put(f"/api/posts/{post_id}/like", headers=other.headers).json()["likes"] == 2
    shown = fan.get(f"/api/posts/{post_id}").json()
    assert shown["likes"] == 2 and shown["liked"] is True
    assert fan.delete(f"/api/posts/{post_id}/like").json() == {"post_id": post_id, "liked": False, "likes": 1}
    assert fan.delete(f"/api/posts/{post_id}/like").json()["likes"] == 1
    shown = fan.get(f"/api/posts/{post_id}").json()
    assert shown["likes"] == 1 and shown["liked"] is False


def test_a_guest_is_asked_to_sign_in_and_bad_targets_are_clear_errors(client, platform, creator, game, fan):
    post_id = ready_post(platform, creator.user_id, game)
    guest = browser(client)
    refused = guest.put(f"/api/posts/{post_id}/like", headers=csrf_of(guest))
    assert refused.status_code == 403 and refused.json()["code"] == "SIGN_IN_REQUIRED"
    refused = guest.put("/api/creators/tester/follow", headers=csrf_of(guest))
    assert refused.status_code == 403 and refused.json()["code"] == "SIGN_IN_REQUIRED"
    assert fan.put("/api/posts/pst_nosuchpost/like").status_code == 404
    assert fan.put(f"/api/posts/{'x' * 40}/like").status_code == 422
    assert fan.put("/api/creators/nobody_here/follow").status_code == 404
    assert fan.get("/api/creators/nobody_here").status_code == 404
    assert fan.get(f"/api/creators/{'x' * 65}").status_code == 422
    yourself = creator.browser.put("/api/creators/tester/follow", headers=creator.headers)
    assert yourself.status_code == 422 and yourself.json()["field"] == "creator"
    # Without the CSRF token a like is refused (another site cannot like in the person's name).
    assert browser(client).put(f"/api/posts/{post_id}/like").status_code == 403
    assert guest.get("/api/following", params={"cursor": "bm90IGpzb24"}).status_code == 422


def test_following_a_creator_counts_them_and_fills_the_following_tab_newest_first(client, platform, creator, game, fan):
    other = make_creator(client, "other_one")
    older = ready_post(platform, creator.user_id, game)
    newer = ready_post(platform, creator.user_id, game)
    ready_post(platform, other.user_id, game)  # not followed: not in the tab
    assert fan.get("/api/following").json() == {"items": [], "next_cursor": None}

    followed = fan.put("/api/creators/@tester/follow")
    assert followed.status_code == 200, followed.text
    assert followed.json()["following"] is True and followed.json()["followers"] == 1
    assert fan.put(f"/api/creators/{creator.user_id}/follow").json()["followers"] == 1  # by id: the same follow

    first = fan.get("/api/following", params={"limit": 1}).json()
    assert [post["id"] for post in first["items"]] == [newer]
    assert first["items"][0]["following"] is True
    second = fan.get("/api/following", params={"limit": 1, "cursor": first["next_cursor"]}).json()
    assert [post["id"] for post in second["items"]] == [older]
    assert fan.get("/api/following", params={"limit": 1, "cursor": second["next_cursor"]}).json()["items"] == []

    page = fan.get("/api/creators/tester").json()
    assert page["creator"]["handle"] == "tester" and page["followers"] == 1 and page["following"] is True
    assert [post["id"] for post in page["posts"]] == [newer, older]
    assert [card["app_id"] for card in page["apps"]] == [game]
    assert client.get("/c/tester").status_code == 200  # the page a post's creator name links to
    assert client.get("/c/nobody_here").status_code == 404  # still the host page, which tells the person

    unfollowed = fan.delete("/api/creators/tester/follow").json()
    assert unfollowed["following"] is False and unfollowed["followers"] == 0
    assert fan.get("/api/following").json()["items"] == []


def served_the_feed(person) -> set[str]:
    """The post ids of a feed session the person pages through (the server records what it served)."""
    seen, cursor = set(), None
    for _ in range(20):
        page = person.get("/api/feed", params={"limit": 20, **({"cursor": cursor} if cursor else {})}).json()
        seen |= {item["post"]["id"] for item in page["items"] if item.get("post")}
        if not (cursor := page.get("next_cursor")):
            break
    return seen


def likes_in_the_ranking(platform) -> dict[str, float]:
    platform.ranking.served.flush()
    with platform.db.session() as session:
        snapshot = platform.ranking.rebuild(session)
    return dict(zip(snapshot.posts.ids, snapshot.posts.like, strict=True))


def test_likes_lift_a_post_in_the_ranking(client, platform, creator, game, fan):
    liked, plain = ready_post(platform, creator.user_id, game), ready_post(platform, creator.user_id, game)
    assert {liked, plain} <= served_the_feed(fan)
    assert fan.put(f"/api/posts/{liked}/like").status_code == 200
    like = likes_in_the_ranking(platform)
    assert like[liked] > like[plain] and like[liked] <= W_LIKE


def test_only_likes_of_people_the_feed_showed_the_post_count_and_never_its_creators(
    client, platform, creator, game, fan
):
    """Likes from accounts that had never opened the feed, and the creator's own, took a post to
    the top of everyone's (social56). A like counts in the ranking only where the feed had served
    the post to that person, as clicks and exposures do; it still shows on the post."""
    forged, plain = ready_post(platform, creator.user_id, game), ready_post(platform, creator.user_id, game)
    assert creator.browser.put(f"/api/posts/{forged}/like", headers=creator.headers).json()["likes"] == 1
    for n in range(3):
        stranger = browser(client)
        stranger.headers.update(sign_up(stranger, f"stranger{n}@example.com"))
        assert stranger.put(f"/api/posts/{forged}/like").json()["likes"] == n + 2
    assert forged in served_the_feed(stranger)  # served after the like: it does not count (attack56b)
    like = likes_in_the_ranking(platform)
    assert like[forged] == like[plain]

    assert forged in served_the_feed(fan)
    assert fan.put(f"/api/posts/{forged}/like").status_code == 200
    assert fan.delete(f"/api/posts/{forged}/like").status_code == 200  # taken back: counts no more
    assert likes_in_the_ranking(platform)[forged] == like[plain]
    assert fan.put(f"/api/posts/{forged}/like").status_code == 200
    assert likes_in_the_ranking(platform)[forged] > like[plain]


def test_a_deleted_account_takes_its_likes_and_follows_with_it(client, platform, creator, game, fan):
    post_id = ready_post(platform, creator.user_id, game)
    fan.put(f"/api/posts/{post_id}/like")
    fan.put("/api/creators/tester/follow")
    exported = fan.get("/api/me/data")
    assert exported.status_code == 200, exported.text
    assert [like["post_id"] for like in exported.json()["likes"]] == [post_id]
    assert [follow["creator_id"] for follow in exported.json()["follows"]] == [creator.user_id]

    assert fan.post("/api/me/delete", json={"confirm": "DELETE"}).status_code == 200
    assert client.get(f"/api/posts/{post_id}").json()["likes"] == 0
    assert client.get("/api/creators/tester").json()["followers"] == 0
