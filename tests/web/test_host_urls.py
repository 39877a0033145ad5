"""What the host has open has a URL: /play/{app}, /watch/{series}/{n}, /p/{post}. Each serves the
host page told what to open (navigation.js opens it, tests/browser/test_navigation.py)."""

from __future__ import annotations

import json
import re

from tests.factories import publish


def host_config(html: str) -> dict:
    found = re.search(r'<script type="application/json" id="minis-config">(.*?)</script>', html, re.S)
    assert found, "no host config in the page"
    return json.loads(found.group(1))


def test_a_game_url_serves_the_host_page_with_the_games_card(client, platform):
    publish(platform)
    page = client.get("/play/test-game")
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    opened = host_config(page.text)["open"]
    assert (opened["kind"], opened["app_id"]) == ("play", "test-game")
    assert opened["card"]["entry_url"] == "http://test-game.apps.localhost:8000/v/1.0.0/index.html"


def test_a_game_that_does_not_exist_still_gets_the_host_page_which_says_so(client, platform):
    opened = host_config(client.get("/play/no-such-game").text)["open"]
    assert opened == {"kind": "play", "app_id": "no-such-game", "card": None}


def test_episode_and_post_urls_serve_the_host_page_told_what_to_open(client):
    assert host_config(client.get("/watch/s123/4").text)["open"] == {"kind": "watch", "series_id": "s123", "episode": 4}
    assert host_config(client.get("/p/p42").text)["open"] == {"kind": "post", "post_id": "p42"}
    assert host_config(client.get("/").text)["open"] is None


def test_an_episode_number_that_is_no_number_is_a_client_error(client):
    assert client.get("/watch/s123/first").status_code == 422
    assert client.get("/watch/s123/0").status_code == 422
    assert client.get("/play/" + "x" * 41).status_code == 422


def test_the_old_app_link_leads_to_the_game(client):
    moved = client.get("/app/test-game", follow_redirects=False)
    assert (moved.status_code, moved.headers["location"]) == (301, "/play/test-game")
