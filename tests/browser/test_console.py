"""The developer console in Chromium: a person registers as a developer, registers an app, and
sees that app's people and funnel drawn from the events the host sent."""

from __future__ import annotations

import secrets
import time

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.browser


def test_a_developer_registers_and_sees_their_apps_people_and_funnel(host):
    host.open("?prewarm=0")
    email = f"console-{secrets.token_hex(3)}@example.com"
    registered = host.call_api("POST", "/api/account/register", {"email": email, "password": "a long password"})
    assert registered["status"] == 200, registered
    verified = host.call_api(
        "POST", "/api/account/verify", {"code": host.server.mailed(email, r"verification code is (\d{6})")}
    )
    assert verified["status"] == 200, verified
    page = host.page
    page.goto(f"{host.server.url}/console")
    expect(page.get_by_role("heading", name="Become a developer")).to_be_visible()
    page.get_by_label("Studio name").fill("Console Studio")
    page.get_by_role("button", name="Register").click()
    expect(page.get_by_text("No apps yet", exact=False)).to_be_visible()

    app_id = f"console-{secrets.token_hex(3)}"
    created = host.call_api("POST", "/api/developer/apps", {"app_id": app_id, "name": "Console Game", "kind": "game"})
    assert created["status"] == 201, created
    now = int(time.time() * 1000)
    launch = secrets.token_hex(16)
    # The launch as the host records it on opening the app: its launch event counts only then.
    opened = host.call_api("POST", "/api/launches", {"launch_id": launch, "app_id": app_id, "source": "feed"})
    assert opened["status"] == 200, opened
    sent = host.call_api(
        "POST",
        "/api/events",
        {
            "events": [
                {"type": "exposure", "app_id": app_id, "ts": now, "source": "feed"},
                {"type": "click", "app_id": app_id, "ts": now, "source": "feed"},
                {"type": "launch", "app_id": app_id, "ts": now, "source": "feed", "launch_id": launch},
            ]
        },
    )
    assert sent["body"]["accepted"] == 3, sent

    page.reload()
    expect(page.get_by_role("button", name="Console Game")).to_have_attribute("aria-pressed", "true")
    page.get_by_role("tab", name="Reports").click()
    summary = page.get_by_role("group", name="Summary")
    expect(summary.get_by_text("active today")).to_be_visible()
    expect(summary.locator(".stat").first).to_contain_text("1")
    chart = page.get_by_role("img", name="Daily active people", exact=False)
    expect(chart).to_have_attribute(
        "aria-label", "Daily active people: active from 0 to 1, peak 1; new from 0 to 1, peak 1"
    )
    expect(chart.locator('[data-series="active"] circle')).to_have_count(30)  # one point a day
    funnel = page.locator(".funnel-bars")
    expect(funnel.locator('[data-stage="launch"]')).to_contain_text("1 · 100%")
    retention = page.get_by_role("table", name="Retention")
    expect(retention.get_by_role("row")).to_have_count(2)  # the heading and today's cohort
    expect(retention.get_by_role("row").nth(1)).to_contain_text("1")


def test_a_signed_in_person_finds_the_console_on_me(host):
    host.open("?prewarm=0")
    email = f"me-{secrets.token_hex(3)}@example.com"
    host.call_api("POST", "/api/account/register", {"email": email, "password": "a long password"})
    assert (
        host.call_api(
            "POST", "/api/account/verify", {"code": host.server.mailed(email, r"verification code is (\d{6})")}
        )["status"]
        == 200
    )
    host.page.reload()
    host.go_to_me()
    expect(host.page.get_by_role("link", name="Open the developer console")).to_have_attribute("href", "/console")
