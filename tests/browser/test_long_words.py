"""Anyone's words on the developer's and the operator's screens, at a phone's width and a desktop's.

A probe (screens54) gave a developer's app a name that is one 60-letter word, a moderator's note a
long word, and a payout account a 64-character destination: on a 390 px phone /admin's Review tab
was 766 px wide with Reject off the screen, every console screen 757-833 px (the app picker), the
takedown note 1,889 px, the payouts line 924 px; the feed card's title ran 1,350 px wide, cut on
both sides; and a taken-down app's console showed a broken icon and logged an error on every screen.

Widths are measured against ``documentElement.clientWidth``: the probe found that a context made
``is_mobile`` widens ``innerWidth`` to fit whatever overflows, so that a check against it passes.
"""

from __future__ import annotations

import secrets

import httpx
import pytest
from playwright.sync_api import expect

from tests.browser.ad_studio import ADMIN_TOKEN
from tests.browser.conftest import new_host
from tests.browser.host_page import Developer, HostPage
from tests.browser.staff import signed_in_staff
from tests.browser.test_review import submitted
from tests.factories import package_files, zip_bytes

pytestmark = pytest.mark.browser

PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 800}
SIDEWAYS = (
    "() => Math.max(document.documentElement.scrollWidth, document.body.scrollWidth)"
    " - document.documentElement.clientWidth"
)


def long_word(tag: str) -> str:
    return "W" * (60 - len(tag)) + tag.upper()


def package(app_id: str, version: str, name: str) -> bytes:
    return zip_bytes(package_files(id=app_id, version=version, name=name))


@pytest.fixture(scope="module")
def wordy(browser, live_server):
    """A developer whose app is named with one long word, released and with a newer version in
    review; a second app of theirs taken down with a long word in the moderator's note; a payout
    account whose destination and holder are long words."""
    tag = secrets.token_hex(3)
    context = browser.new_context(viewport=PHONE, device_scale_factor=1)
    errors: list[str] = []
    page = context.new_page()
    page.on("console", lambda message: errors.append(message.text) if message.type == "error" else None)
    developer = Developer(HostPage(page, live_server), f"wordy-{tag}@example.com")
    name = long_word(tag)
    listed, down = f"wordy-{tag}", f"wordy-down-{tag}"
    developer.register_app(listed, name)
    developer.upload(listed, package(listed, "1.0.0", name=name))  # released to everyone
    submitted(developer, listed, package(listed, "1.1.0", name=name))  # waiting for review
    developer.register_app(down, name)
    developer.upload(down, package(down, "1.0.0", name=name))
    note = "Removed: " + "N" * 150
    taken = httpx.post(
        f"{live_server.url}/api/admin/moderation/items/app/{down}/takedown",
        json={"reason": "spam", "note": note},
        headers={"Authorization": f"Bearer {ADMIN_TOKEN}"},
        timeout=30,
    )
    assert taken.status_code == 200, taken.text
    account = developer.host.call_api(
        "PUT",
        "/api/developer/payouts/account",
        {"destination": "bank-" + "d" * 59, "currency": "USD", "holder": "H" * 120},
    )
    assert account["status"] == 200, account
    yield {"developer": developer, "page": page, "errors": errors, "listed": listed, "down": down, "name": name}
    context.close()


@pytest.mark.parametrize("viewport", [PHONE, DESKTOP], ids=["phone", "desktop"])
def test_the_console_wraps_a_long_app_name_a_moderators_note_and_a_payout_account(wordy, viewport):
    page, listed, down = wordy["page"], wordy["listed"], wordy["down"]
    page.set_viewport_size(viewport)
    url = wordy["developer"].host.server.url
    screens = [
        (f"#app={listed}&tab=versions", page.get_by_role("heading", name=wordy["name"])),
        (f"#app={listed}&tab=money", page.get_by_role("tab", name="Money", exact=True)),
        (f"#app={down}&tab=settings", page.locator(".takedown-note")),
        ("#payouts", page.get_by_text("Payouts go to bank-", exact=False)),
    ]
    for where, shown in screens:
        page.goto(f"{url}/console{where}")
        expect(shown).to_be_visible()
        page.wait_for_load_state("networkidle")
        assert page.evaluate(SIDEWAYS) <= 0, (where, page.evaluate(SIDEWAYS))
    # The studio's name is the developer's to change, beside their payouts (there was no way to).
    page.goto(f"{url}/console#payouts")
    studio = page.get_by_role("region", name="Studio", exact=True)
    studio.get_by_label("Studio name").fill(f"Wordy {viewport['width']}")
    studio.get_by_role("button", name="Save").click()
    expect(studio).to_contain_text(f"Saved: your studio is Wordy {viewport['width']}.")
    # Down, the app's origin serves nothing: its initial stands in for its icon, and nothing failed to load.
    page.goto(f"{url}/console#app={down}&tab=versions")
    expect(page.locator(".console-app .app-icon-monogram")).to_be_visible()
    page.wait_for_load_state("networkidle")
    assert wordy["errors"] == []


def test_the_review_tab_on_a_phone_wraps_a_long_app_name_and_keeps_reject_on_the_screen(browser, live_server, wordy):
    page, context, errors = signed_in_staff(
        browser, live_server, f"reviewer-{secrets.token_hex(3)}@example.com", "reviewer", viewport=PHONE
    )
    try:
        page.locator(f'.review-entry[data-app-id="{wordy["listed"]}"]').click()
        reject = page.get_by_role("button", name="Reject")
        expect(reject).to_be_visible()
        page.wait_for_load_state("networkidle")
        assert page.evaluate(SIDEWAYS) <= 0, page.evaluate(SIDEWAYS)
        box = reject.bounding_box()
        assert box is not None and box["x"] + box["width"] <= PHONE["width"], box
        assert errors == []
    finally:
        context.close()


def test_a_feed_cards_title_of_one_long_word_wraps_within_the_card(browser, live_server, wordy):
    host, context = new_host(browser, live_server)
    try:
        host.open("?prewarm=0")
        card = host.feed_card(wordy["listed"])
        title = card.locator(".feed-card-title")
        expect(title).to_be_visible()
        card_box, title_box = card.bounding_box(), title.bounding_box()
        assert card_box is not None and title_box is not None
        assert (
            card_box["x"] <= title_box["x"] and title_box["x"] + title_box["width"] <= card_box["x"] + card_box["width"]
        )
        assert title.evaluate("(title) => title.scrollWidth <= title.clientWidth")
    finally:
        context.close()
