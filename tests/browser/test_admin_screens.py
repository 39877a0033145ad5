"""The back office on a phone and on a desktop: nothing runs off the screen sideways.

A probe (operator48): on a 390 px phone the tab bar made the page 598 px wide and two of its tabs
could not be reached; on a 1280 px desktop the audit log was 2,618 px wide, its entries' before and
after unbroken. CI: the moderation queue was 1,043 px wide at 390 px, the title of a reported creator
whose name is one unbroken run of 60 letters (another test's, on the same server). An owner (every
tab) opens each tab at both sizes, with such a creator reported.
"""

from __future__ import annotations

import secrets

import httpx
import pytest
from playwright.sync_api import expect

from tests.browser.ad_studio import ADMIN_TOKEN
from tests.browser.staff import signed_in_staff
from tests.browser.test_creators import creator_with_a_wide_name

pytestmark = pytest.mark.browser

WIDER_THAN_THE_SCREEN = "() => document.scrollingElement.scrollWidth - innerWidth"


@pytest.mark.parametrize(
    "viewport", [{"width": 390, "height": 844}, {"width": 1280, "height": 800}], ids=["phone", "desktop"]
)
def test_every_tab_of_the_back_office_fits_the_screen_and_takes_a_tap(browser, live_server, viewport):
    email = f"owner-{secrets.token_hex(3)}@example.com"
    # An entry with a long before/after in the audit log: a pack (off sale) priced in 26 markets.
    markets = {
        f"{a}{b}": {"currency": "USD", "amount": 99}
        for a, b in zip("ABCDEFGHIJKLMNOPQRSTUVWXYZ", "ZYXWVUTSRQPONMLKJIHGFEDCBA", strict=True)
    }
    wide = httpx.put(
        f"{live_server.url}/api/admin/money/packs/wide-{secrets.token_hex(2)}",
        json={"coins": 100, "prices": markets, "active": False, "sort": 99, "reason": "a test of the log's width"},
        headers={"Authorization": f"Bearer {ADMIN_TOKEN}"},
        timeout=30,
    )
    assert wide.status_code == 200, wide.text
    # A reported creator whose name is one unbroken run of letters: the moderation queue's title.
    creator_id, wide_name = creator_with_a_wide_name(live_server)
    with httpx.Client(base_url=live_server.url, timeout=30) as reporter:
        headers = {"X-CSRF-Token": reporter.get("/api/me").json()["csrf_token"]}
        report = {"kind": "creator", "id": creator_id, "reason": "spam"}
        reported = reporter.post("/api/reports", json=report, headers=headers)
        assert reported.status_code == 201, reported.text
    page, context, errors = signed_in_staff(browser, live_server, email, "owner", viewport=viewport)
    try:
        tabs = page.get_by_role("tab")
        expect(page.get_by_role("tab", name="Audit log")).to_be_visible()
        names = [tab.inner_text().strip() for tab in tabs.all()]
        assert "Audit log" in names, names
        for name in names:
            tab = page.get_by_role("tab", name=name, exact=True)
            tab.click()  # a tap that lands on the tab itself: it is on the screen and clear of others
            expect(tab).to_have_attribute("aria-selected", "true")
            page.wait_for_load_state("networkidle")
            if name == "Moderation":  # its queue comes after the tab: the wide creator is measured too
                expect(page.get_by_role("article", name=f"creator {wide_name}")).to_be_visible()
            assert page.evaluate(WIDER_THAN_THE_SCREEN) <= 0, (name, page.evaluate(WIDER_THAN_THE_SCREEN))
        assert errors == []
    finally:
        context.close()
