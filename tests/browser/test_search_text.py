"""What a person types into the Minis search stays their text inside the host's own sentences: a
right-to-left override in it turns nothing of the host's words around."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.browser

RIGHT_TO_LEFT_OVERRIDE = "\u202e"

# Where, on the screen, the first and the last character of "Try one of these." are drawn.
TAIL_DRAWN = """(status) => {
    const walker = document.createTreeWalker(status, NodeFilter.SHOW_TEXT);
    let node;
    while ((node = walker.nextNode()) && !node.textContent.includes("Try one of these.")) {}
    const start = node.textContent.indexOf("Try one of these.");
    const left = (at) => {
        const range = document.createRange();
        range.setStart(node, at);
        range.setEnd(node, at + 1);
        return range.getBoundingClientRect().left;
    };
    return { first: left(start), last: left(start + "Try one of these.".length - 1) };
}"""


def test_a_right_to_left_override_in_a_query_stays_inside_the_query_in_the_status_and_recent_searches(host):
    """A probe typed U+202E before "tower": the override ran on past the query and drew the host's
    own "”. Try one of these." backwards."""
    host.open("?prewarm=0")
    host.go_to_minis()
    page = host.page
    query = RIGHT_TO_LEFT_OVERRIDE + "tower nowhere"
    field = page.get_by_role("searchbox", name="Search minis")
    field.fill(query)
    field.press("Enter")  # a search run is remembered

    status = page.locator("#search-status")
    expect(status).to_have_text(f"Nothing matches “{query}”. Try one of these.")
    expect(status.locator("bdi")).to_have_text(query)
    drawn = status.evaluate(TAIL_DRAWN)
    assert drawn["first"] < drawn["last"], f"the host's sentence is drawn right to left: {drawn}"

    chip = page.locator("[data-group=recent] .search-chip").first
    expect(chip).to_have_accessible_name(query)
    expect(chip.locator("bdi")).to_have_text(query)
