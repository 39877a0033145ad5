"""The reviewers' page (/admin) in Chromium, and who then gets which version (issue 14, items 5 and 7).

A developer uploads two versions of an app whose 1.0.0 everyone has; the platform checks them in
Chromium (the server's check job) and the developer submits both. A staff reviewer, signed in with
an emailed link, finds them in the queue with their check report, screenshots and changes, opens
one in the preview, approves it for 10 % of people and rejects the other, saying why. A person in
the 10 % then opens the app from the hub and gets 2.0.0; a person outside it gets 1.0.0. The
developer reads the reason in the console's history; a person the preview was not shared with
gets a notice and no app. A message template the app's backend made waits in the reviewers'
Message templates tab and is approved there.
"""

from __future__ import annotations

import secrets

import httpx
import pytest
from playwright.sync_api import expect

from openminis.catalog.releases import bucket
from tests.browser.host_page import Developer, HostPage
from tests.browser.staff import signed_in_staff
from tests.factories import package_files, zip_bytes

pytestmark = pytest.mark.browser

DESKTOP = {"width": 1280, "height": 800}
PHONE = {"width": 390, "height": 844}
PRODUCT = {"id": "star-pack", "type": "consumable", "price": 5, "title": {"en": "Star pack"}}


def package(app_id: str, version: str, **manifest) -> bytes:
    """A game that says which version it is, on its own page (scripts from files: the app's CSP)."""
    files = package_files(id=app_id, version=version, name="Review Rocket", **manifest)
    files["index.html"] = (
        b'<!doctype html><script src="/minis-sdk.js"></script>'
        + f'<h1 id="version" style="color:#fff">Review Rocket {version}</h1>'.encode()
        + b'<script src="game.js"></script>'
    )
    return zip_bytes(files)


def submitted(developer: Developer, app_id: str, package: bytes) -> dict:
    """Uploaded, checked at once (the shared server runs the package's checks without a browser)
    and submitted for review; returns the version as the console shows it."""
    csrf = developer.host.call_api("GET", "/api/me")["body"]["csrf_token"]
    uploaded = developer.host.page.request.post(
        f"{developer.host.server.url}/api/developer/apps/{app_id}/versions",
        data=package,
        headers={"Content-Type": "application/zip", "X-CSRF-Token": csrf},
    )
    assert uploaded.status == 201, uploaded.text()
    version = uploaded.json()
    assert version["state"] == "checked" and version["check_report"]["passed"], version
    sent = developer.host.call_api("POST", f"/api/developer/apps/{app_id}/versions/{version['version']}/submit")
    assert sent["status"] == 200, sent
    return sent["body"]


def new_developer(browser, live_server) -> tuple[Developer, object]:
    context = browser.new_context(viewport=PHONE, device_scale_factor=1)
    email = f"dev-{secrets.token_hex(3)}@example.com"
    return Developer(HostPage(context.new_page(), live_server), email), context


def signed_in_reviewer(browser, live_server, email: str):
    return signed_in_staff(browser, live_server, email, "reviewer", viewport=DESKTOP)


def guest_in(browser, live_server, app_id: str, *, staged: bool, percent: int):
    """A new person, in or outside the staged share (their bucket, from their id), in Chromium."""
    with httpx.Client(base_url=live_server.url, timeout=30) as client:
        for _ in range(400):
            client.cookies.clear()
            me = client.get("/api/me")
            if (bucket(app_id, me.json()["user"]["id"]) < percent) == staged:
                session = me.cookies["minis_session"]
                break
        else:
            raise AssertionError("no person found in the wanted share")
    context = browser.new_context(viewport=PHONE, device_scale_factor=1)
    context.add_cookies([{"name": "minis_session", "value": session, "url": live_server.url}])
    return HostPage(context.new_page(), live_server), context


def test_a_reviewer_reviews_previews_approves_at_10_percent_and_rejects_with_a_reason(browser, live_server):
    developer, developer_context = new_developer(browser, live_server)
    app_id = f"review-{secrets.token_hex(3)}"
    secret = developer.register_app(app_id, "Review Rocket")
    developer.upload(app_id, package(app_id, "1.0.0"))  # through review (the operator's token), to everyone
    submitted(developer, app_id, package(app_id, "2.0.0", description="Now with stars.", products=[PRODUCT]))
    submitted(developer, app_id, package(app_id, "2.1.0"))

    # A signed-in person who is not staff is told so, and sees no queue.
    developer.host.page.goto(f"{live_server.url}/admin")
    expect(developer.host.page.get_by_role("heading", name="Not staff")).to_be_visible()
    expect(developer.host.page.locator(".review-entry")).to_have_count(0)

    page, context, errors = signed_in_reviewer(browser, live_server, f"reviewer-{secrets.token_hex(3)}@example.com")
    entry = page.locator(f'.review-entry[data-app-id="{app_id}"][data-version="2.0.0"]')
    expect(entry).to_contain_text("checks passed")
    expect(page.locator(f'.review-entry[data-app-id="{app_id}"][data-version="2.1.0"]')).to_be_visible()
    entry.click()
    item = page.locator(f'.review-item[data-app-id="{app_id}"][data-version="2.0.0"]')
    expect(item.get_by_role("heading", name="Review Rocket 2.0.0")).to_be_visible()
    # The shared server checks without a browser: the report says so (screenshots come from the
    # browser checks: tests/catalog/test_review_screenshots.py serves them to reviewers).
    expect(item.locator(".review-verdict")).to_contain_text("Passed")
    expect(item.locator(".review-verdict")).to_contain_text("browser disabled")
    expect(item.locator(".review-findings.is-warning")).to_contain_text("not checked in a browser")
    # The documented 30 MB budget, as the console writes it (a probe: the reviewer read "28.61 MB").
    expect(item.locator(".review-checks .review-facts")).to_contain_text("of 30.0 MB")
    expect(item.locator(".review-shots")).to_contain_text("No screenshots")
    manifest = item.get_by_role("table", name="Manifest changes from 1.0.0")
    expect(manifest.locator('tr[data-field="description"] .review-before')).to_have_text("A game for tests.")
    expect(manifest.locator('tr[data-field="description"] .review-after')).to_have_text("Now with stars.")
    products = item.get_by_role("table", name="Product changes from 1.0.0")
    expect(products.locator('tr[data-field="star-pack"] .review-before')).to_have_text("\u2013")  # absent
    expect(products.locator('tr[data-field="star-pack"] .review-after')).to_contain_text('"price": 5')

    # One click opens the version in the host's launcher, marked as a preview.
    with context.expect_page() as opened:
        item.get_by_role("link", name="Open preview").click()
    preview = opened.value
    expect(preview.locator("#app-layer[data-preview]")).to_have_attribute("data-preview", "Preview · 2.0.0")
    frame = preview.frame_locator(f'iframe.app-frame[data-app-id="{app_id}"]')
    expect(frame.locator("#version")).to_have_text("Review Rocket 2.0.0")
    preview.close()

    item.get_by_label("Release on approval").select_option("10")
    item.get_by_role("button", name="Approve").click()
    expect(page.locator("#admin-status")).to_have_text(
        "Approved Review Rocket 2.0.0, released to 10 % of people.", use_inner_text=True
    )
    expect(entry).to_have_count(0)
    release = page.get_by_role("region", name="Releases")
    expect(release.locator(".release-state")).to_have_attribute("data-share", "10")

    # The other version: rejected, with the reason the developer reads.
    page.locator(f'.review-entry[data-app-id="{app_id}"][data-version="2.1.0"]').click()
    other = page.locator(f'.review-item[data-app-id="{app_id}"][data-version="2.1.0"]')
    other.get_by_role("button", name="Reject").click()
    expect(other.get_by_role("alert")).to_contain_text("Say why")
    other.get_by_label("Note to the developer", exact=False).fill("The score resets when the phone turns.")
    other.get_by_role("button", name="Reject").click()
    expect(page.locator("#admin-status")).to_have_text("Rejected Review Rocket 2.1.0.")
    history = developer.host.call_api("GET", f"/api/developer/apps/{app_id}/versions/2.1.0")["body"]["history"]
    assert (history[-1]["action"], history[-1]["note"]) == ("rejected", "The score resets when the phone turns.")
    assert history[-1]["actor"].startswith("staff:reviewer-")

    # Who gets which version: by each person's stable bucket.
    for staged, version in ((True, "2.0.0"), (False, "1.0.0")):
        person, person_context = guest_in(browser, live_server, app_id, staged=staged, percent=10)
        person.page.goto(f"{live_server.url}/?prewarm=0")
        person.go_to_minis()
        person.launch_from_hub(app_id)
        assert f"/v/{version}/" in person.frame_element(app_id).get_attribute("src")
        expect(person.app_frame(app_id).locator("#version")).to_have_text(f"Review Rocket {version}")
        assert person.errors == []
        person_context.close()

    # Any app's release, from the same page: a wider share, then everyone back on 1.0.0.
    release.get_by_role("group", name="Release share").get_by_role("button", name="50 %").click()
    expect(release.locator(".release-state")).to_have_attribute("data-share", "50")
    release.get_by_label("Version").fill("1.0.0")
    release.get_by_role("button", name="Look up").click()
    expect(release.locator(".release-state")).to_have_attribute("data-share", "50")
    release.get_by_label("Why roll back", exact=False).fill("Stars fall through the floor.")
    release.get_by_role("button", name="Roll everyone back to 1.0.0").click()
    expect(release.locator(".release-state")).to_have_attribute("data-share", "100")
    expect(page.locator("#admin-status")).to_have_text("Everyone gets Review Rocket 1.0.0 from their next launch.")
    app = developer.host.call_api("GET", f"/api/developer/apps/{app_id}")["body"]
    assert (app["latest_version"], app["staged_version"]) == ("1.0.0", None)
    # Only what the platform allows is offered (a probe, attack51: a version only ever staged was
    # offered Roll back, refused with NEVER_EVERYONES; the released one the shares, refused too).
    expect(release.get_by_role("group", name="Release share")).to_have_count(0)  # 1.0.0: everyone has it
    expect(release.get_by_role("button", name="Roll everyone back to 1.0.0")).to_have_count(0)
    release.get_by_label("Version").fill("2.0.0")
    release.get_by_role("button", name="Look up").click()
    expect(release.locator(".release-state")).to_have_attribute("data-state", "superseded")
    expect(release.get_by_role("group", name="Release share")).to_be_visible()  # staged again, say
    expect(release.get_by_role("button", name="Roll everyone back to 2.0.0")).to_have_count(0)

    # A message template the app's backend made through the Open API waits in its own tab, its
    # title shown as the characters it is; approved, people may be asked for it.
    token = httpx.post(
        f"{live_server.url}/openapi/v1/auth/token",
        json={"grant_type": "client_credentials", "client_id": app_id, "client_secret": secret},
        timeout=30,
    ).json()["access_token"]
    backend = {"Authorization": f"Bearer {token}"}
    body = {"id": "stars", "title": "<b>Stars</b> fell", "fields": ["count"]}
    made = httpx.post(f"{live_server.url}/openapi/v1/message-templates", json=body, headers=backend, timeout=30)
    assert made.json()["state"] == "in_review", made.text
    page.get_by_role("tab", name="Message templates").click()
    waiting = page.locator(f'.template-item[data-app-id="{app_id}"][data-template-id="stars"]')
    expect(waiting.locator('[data-label="Proposed"] .template-title')).to_have_text("<b>Stars</b> fell")
    expect(waiting.locator('[data-label="In effect"]')).to_contain_text("never approved")
    waiting.get_by_role("button", name="Approve").click()
    expect(page.locator("#admin-status")).to_have_text("Approved the message template Review Rocket · stars.")
    expect(waiting).to_have_count(0)
    listed = httpx.get(f"{live_server.url}/openapi/v1/message-templates", headers=backend, timeout=30).json()
    assert [(t["id"], t["state"], t["in_effect"]) for t in listed["items"]] == [("stars", "approved", True)]
    developer.host.page.goto(f"{live_server.url}/console#app={app_id}&tab=settings")
    shown = developer.host.page.locator('.console-template[data-template-id="stars"]')
    expect(shown.locator(".template-state")).to_have_text("Approved")
    expect(shown.locator(".template-title")).to_have_text("<b>Stars</b> fell")

    # The page at a phone's width: one column, nothing wider than the screen.
    page.set_viewport_size(PHONE)
    widest = page.evaluate("() => Math.max(document.body.scrollWidth, document.documentElement.scrollWidth)")
    assert widest <= PHONE["width"]
    assert errors == []
    context.close()
    developer_context.close()


def test_a_preview_link_opened_by_someone_it_is_not_shared_with_shows_a_notice_and_no_app(browser, host, live_server):
    developer, developer_context = new_developer(browser, live_server)
    app_id = f"review-{secrets.token_hex(3)}"
    developer.register_app(app_id, "Review Rocket")
    preview_url = submitted(developer, app_id, package(app_id, "1.0.0"))["preview_url"]
    developer_context.close()

    host.page.goto(preview_url)
    expect(host.page.get_by_text("This preview is not shared with you", exact=False)).to_be_visible()
    expect(host.page.locator("#app-layer.is-open")).to_have_count(0)
    expect(host.page.locator(f'iframe.app-frame[data-app-id="{app_id}"]')).to_have_count(0)
    assert host.host_state()["shared"] == "missing"
