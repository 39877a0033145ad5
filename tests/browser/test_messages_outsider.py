"""A message's link attacked from outside, in real Chromium: ``/play/{app}?message={id}`` (what a
push's tap opens, push-sw.js) opens the app it names, never another app's game that the message
belongs to. A link that names one app and launches another would let a link that looks like a
trusted game's open any other one, with the message's query."""

from __future__ import annotations

import pytest

from tests.browser.test_messages import sent_by_backend

pytestmark = pytest.mark.browser

WITNESS = "witness-app"  # its minis.json declares the template "turn"
NAMED = "merge-2048"  # an example game the message does not belong to


def test_a_message_link_naming_another_app_opens_the_named_app(live_server, host):
    host.open("?prewarm=0")
    said = host.call_api("POST", f"/api/apps/{WITNESS}/message-subscriptions", {"answers": {"turn": "accept"}})
    assert said["status"] == 200, said
    sent = sent_by_backend(host, live_server)

    host.page.goto(f"{live_server.url}/play/{NAMED}?message={sent.json()['id']}")

    host.page.wait_for_function("() => window.__minisHost.launches.length >= 1")
    launched = host.page.evaluate("() => window.__minisHost.launches.map((l) => [l.appId, l.source])")
    assert launched == [[NAMED, "direct"]], launched
    # The message is still the person's to open from Me, unread.
    assert host.call_api("GET", "/api/messages/unread")["body"]["unread"] == 1
