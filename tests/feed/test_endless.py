"""The feed never dead-ends: what the person has not been shown comes first, then a "You're all
caught up" card, then everything again (what they had seen before first), round after round,
with no repeat within the new part nor within a round."""

from __future__ import annotations

from datetime import timedelta

from tests.factories import publish
from tests.feed.test_ranking import Feed
from tests.studio import browser


def scroll(client, pages: int, limit: int) -> list[str]:
    ids, cursor = [], None
    for _ in range(pages):
        page = client.get("/api/feed", params={"limit": limit, **({"cursor": cursor} if cursor else {})})
        assert page.status_code == 200, page.text
        ids += [item["id"] for item in page.json()["items"]]
        cursor = page.json()["next_cursor"]
        assert cursor, "the feed never ends"
    return ids


def test_after_everything_new_comes_the_caught_up_card_then_older_items_without_repeats(client, platform):
    feed = Feed(platform)
    posts = [f"post:{feed.post(age=timedelta(hours=n))}" for n in range(6)]
    publish(platform, id="tiles", name="Tiles", category="puzzle")
    publish(platform, id="racer", name="Racer", category="racing")
    everything = set(posts) | {"app:tiles", "app:racer"}

    ids = scroll(client, 7, 3)  # 21 slots: 8 new, the card, a round of 8, then the next round begins
    assert ids[8] == "caught_up" and ids.count("caught_up") == 1
    assert set(ids[:8]) == everything and len(set(ids[:8])) == 8
    assert set(ids[9:17]) == everything and len(set(ids[9:17])) == 8
    assert ids[17:] == ids[9:13]


def test_what_the_person_was_shown_before_waits_until_after_the_card(client, platform):
    feed = Feed(platform)
    posts = [feed.post(age=timedelta(hours=n)) for n in range(6)]
    me = client.get("/api/me").json()["user"]["id"]
    seen = posts[:2]  # the two freshest, which would otherwise lead the feed
    for post_id in seen:
        feed.events("exposure", post_id, 1, user_id=me)

    ids = scroll(client, 3, 4)
    assert ids[4] == "caught_up"
    assert set(ids[:4]) == {f"post:{post_id}" for post_id in posts[2:]}
    # After the card, what they had seen first (best first), then the rest again.
    assert ids[5:7] == [f"post:{post_id}" for post_id in seen]
    # Another person, who saw nothing, gets all six before the card.
    theirs = scroll(browser(client), 2, 4)
    assert theirs[6] == "caught_up" and set(theirs[:6]) == {f"post:{post_id}" for post_id in posts}


def test_an_empty_feed_is_empty_not_a_card(client):
    page = client.get("/api/feed").json()
    assert page["items"] == [] and page["next_cursor"] is None
