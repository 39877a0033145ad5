"""A link to something that is not there (docs/routes.md): /watch/{series}/{n}, /c/{creator},
/p/{post} and /play/{app} naming what was never there or is gone still get the host page, which
tells the person and shows the feed, as /p and /play always did."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.browser


def expect_told_and_the_feed(host, path: str, message: str) -> None:
    page = host.page
    response = page.goto(f"{host.server.url}{path}?prewarm=0")
    assert response is not None and response.status == 404
    expect(page.locator("#toast")).to_have_text(message)
    expect(host.feed_items.first).to_be_visible()
    page.wait_for_function("() => window.__minisHost.shared === 'missing'")
    expect(page.locator("#drama-layer")).to_be_hidden()
    expect(page.locator("#sheet-layer")).to_be_hidden()


def test_a_link_to_a_series_that_is_not_there_says_so_over_the_feed_with_no_player(host):
    """A probe followed /watch/ser_nope/1: a black player said "no series 'ser_nope'", with a Try
    again that could never work and its rail's buttons live."""
    expect_told_and_the_feed(host, "/watch/ser_nope/1", "That series is no longer available.")
    # The page's URL is the feed's now: a reload does not come back to the missing series.
    assert host.page.evaluate("() => location.pathname") == "/"


def test_a_link_to_a_creator_who_is_not_there_says_so_over_the_feed_with_no_sheet(host):
    """A probe followed /c/nobody: a sheet said "no creator 'nobody'"."""
    expect_told_and_the_feed(host, "/c/nobody", "That creator is no longer available.")
    assert host.page.evaluate("() => location.pathname") == "/"


@pytest.mark.parametrize(
    ("path", "message"),
    [("/p/pst_nope", "That post is no longer available."), ("/play/nope", "That mini-program is no longer available.")],
)
def test_links_to_a_post_or_a_game_that_is_not_there_say_so_over_the_feed(host, path, message):
    expect_told_and_the_feed(host, path, message)
