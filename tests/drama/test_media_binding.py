"""A paid episode's media URL plays only in the browser session it was made for, for minutes (or,
made for a drama app's own player, only for minutes and while its person may watch); a free
episode's URL is a public link."""

from __future__ import annotations

import time
from types import SimpleNamespace
from urllib.parse import parse_qs, urlsplit

from openminis.db import utcnow
from openminis.drama import access
from openminis.drama.models import Episode, EpisodeUnlock
from tests.studio import browser, csrf_of


def user_id_of(player) -> str:
    return player.get("/api/me").json()["user"]["id"]


def grant(platform, player, series_id: str, number: int) -> None:
    """The person may watch the episode (as after a coin unlock; unlocking has tests of its own)."""
    user_id = user_id_of(player)
    with platform.db.session() as session:
        episode = session.query(Episode).filter_by(series_id=series_id, number=number).one()
        session.add(
            EpisodeUnlock(
                user_id=user_id, episode_id=episode.id, series_id=series_id, method="coins", created_at=utcnow()
            )
        )
        session.commit()


def urls_of(player, series_id: str, number: int) -> dict:
    response = player.post(f"/api/dramas/{series_id}/episodes/{number}/playback")
    assert response.status_code == 200, response.text
    return response.json()


def local(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.path}?{parts.query}"


def test_a_paid_episode_url_copied_to_another_session_is_refused(client, series, player, platform):
    grant(platform, player, series["id"], 3)
    url = local(urls_of(player, series["id"], 3)["urls"]["mp4_480"])
    assert player.get(url, headers={"Range": "bytes=0-99"}).status_code == 206
    thief = browser(client)
    thief.get("/api/me")  # a session of its own
    copied = thief.get(url, headers={"Range": "bytes=0-99"})
    assert copied.status_code == 403 and copied.json()["code"] == "MEDIA_LINK_NOT_YOURS"
    # Nor with no cookie at all (a download tool, a shared link).
    anonymous = browser(client).get(url)
    assert anonymous.status_code == 403 and anonymous.json()["code"] == "MEDIA_LINK_NOT_YOURS"


def test_a_paid_episode_url_lives_minutes_and_is_refused_once_expired(client, series, player, platform):
    grant(platform, player, series["id"], 3)
    signed = urls_of(player, series["id"], 3)
    assert signed["expires_at"] - time.time() <= access.PAID_URL_LIFETIME.total_seconds() <= 10 * 60
    parts = urlsplit(signed["urls"]["mp4_720"])
    episode_id, media_key = parts.path.split("/")[3:5]
    viewer = access.session_viewer(player.cookies["minis_session"]).key
    past = int(time.time()) - 1
    # Signed for this very session, but expired: refused even to its owner, who asks for a new one.
    expired = player.get(
        f"{parts.path}?exp={past}&sig={access._signature(platform.secret, episode_id, media_key, past, viewer)}"
    )
    assert expired.status_code == 403 and expired.json()["code"] == "MEDIA_LINK_EXPIRED"
    assert (
        player.get(
            local(urls_of(player, series["id"], 3)["urls"]["mp4_720"]), headers={"Range": "bytes=0-9"}
        ).status_code
        == 206
    )


def test_a_paid_episode_url_stops_when_its_session_signs_out(client, series, player, platform):
    grant(platform, player, series["id"], 3)
    url = local(urls_of(player, series["id"], 3)["urls"]["poster"])
    cookie = player.cookies["minis_session"]
    assert player.get(url).status_code == 200
    assert player.post("/api/account/sign-out", headers=csrf_of(player)).status_code == 200
    stale = browser(client)
    stale.cookies.set("minis_session", cookie)  # the old cookie, kept after signing out
    assert stale.get(url).status_code == 403


def test_a_free_episode_url_is_public_for_hours(client, series, player):
    signed = urls_of(player, series["id"], 1)
    assert signed["expires_at"] - time.time() > 60 * 60
    stranger = browser(client)
    video = stranger.get(local(signed["urls"]["mp4_480"]), headers={"Range": "bytes=0-99"})
    assert video.status_code == 206 and len(video.content) == 100


def test_a_paid_episode_hls_segments_play_in_its_session_beyond_the_links_minutes_and_nowhere_else(
    client, series, player, platform
):
    grant(platform, player, series["id"], 4)
    hls = urlsplit(urls_of(player, series["id"], 4)["urls"]["hls"])
    folder = hls.path.rsplit("/", 1)[0]
    master = player.get(f"{hls.path}?{hls.query}")
    assert master.status_code == 200
    variant_line = next(line for line in master.text.splitlines() if line and not line.startswith("#"))
    variant = player.get(f"{folder}/{variant_line}")
    assert variant.status_code == 200
    variant_folder = f"{folder}/{variant_line.split('?')[0]}".rsplit("/", 1)[0]
    segment = next(line for line in variant.text.splitlines() if line.startswith("seg-"))
    # A segment is fetched as the episode plays: its signature lasts the episode's length beyond the link's.
    link_expiry = int(parse_qs(hls.query)["exp"][0])
    with platform.db.session() as session:
        duration = session.get(Episode, urlsplit(variant_folder).path.split("/")[3]).duration_ms / 1000
    assert int(parse_qs(segment.split("?", 1)[1])["exp"][0]) >= link_expiry + int(duration) - 1
    assert player.get(f"{variant_folder}/{segment}").headers["content-type"] == "video/mp2t"
    # The same segment URL, copied, plays nowhere else.
    thief = browser(client)
    thief.get("/api/me")
    assert thief.get(f"{variant_folder}/{segment}").status_code == 403
    assert thief.get(f"{hls.path}?{hls.query}").status_code == 403


def test_a_paid_episode_url_for_an_apps_own_player_carries_a_per_viewer_token_for_minutes_while_the_person_may_watch(
    client, series, player, platform
):
    grant(platform, player, series["id"], 3)
    response = player.post(f"/api/dramas/{series['id']}/episodes/3/playback", params={"bound": "person"})
    assert response.status_code == 200, response.text
    signed = response.json()
    assert signed["expires_at"] - time.time() <= access.PAID_URL_LIFETIME.total_seconds()
    url = local(signed["urls"]["mp4_480"])
    # The app's origin sends no host cookie: the token in the URL is what opens it.
    assert browser(client).get(url, headers={"Range": "bytes=0-9"}).status_code == 206
    # Naming another person, or another episode's signature, opens nothing.
    other = user_id_of(browser(client))
    forged = url.replace(f"u={user_id_of(player)}", f"u={other}")
    assert browser(client).get(forged).json()["code"] == "MEDIA_LINK_NOT_YOURS"
    parts = urlsplit(signed["urls"]["mp4_480"])
    episode_id, media_key = parts.path.split("/")[3:5]
    past = int(time.time()) - 1
    key = access.person_viewer(user_id_of(player)).key
    expired = browser(client).get(
        f"{parts.path}?exp={past}&sig={access._signature(platform.secret, episode_id, media_key, past, key)}"
        f"&u={user_id_of(player)}"
    )
    assert expired.status_code == 403 and expired.json()["code"] == "MEDIA_LINK_EXPIRED"
    # Checked against the person's access on every request: once it is gone, so is the media.
    with platform.db.session() as session:
        session.query(EpisodeUnlock).filter_by(episode_id=episode_id).delete()
        session.commit()
    assert browser(client).get(url).status_code == 403


def person_bound_hls(player, series_id: str, number: int):
    response = player.post(f"/api/dramas/{series_id}/episodes/{number}/playback", params={"bound": "person"})
    assert response.status_code == 200, response.text
    return urlsplit(response.json()["urls"]["hls"])


def first_line(playlist) -> str:
    assert playlist.status_code == 200, playlist.text
    return next(line for line in playlist.text.splitlines() if line and not line.startswith("#"))


def later(monkeypatch, seconds: float) -> None:
    """The media links' clock (only theirs) moves ``seconds`` ahead of the real one."""
    real = time.time
    monkeypatch.setattr(access, "time", SimpleNamespace(time=lambda: real() + seconds))


def test_a_paid_episode_playlist_line_opens_only_segments_and_variant_playlists_never_the_master_or_a_whole_file(
    client, series, player, platform
):
    grant(platform, player, series["id"], 4)
    hls = person_bound_hls(player, series["id"], 4)
    folder = hls.path.rsplit("/", 1)[0]
    stranger = browser(client)  # the link alone, as anyone holding it has it
    variant_line = first_line(stranger.get(f"{hls.path}?{hls.query}"))
    renewed = variant_line.split("?", 1)[1]
    assert first_line(stranger.get(f"{folder}/{variant_line}")).startswith("seg-")
    variant_folder = variant_line.split("?", 1)[0].rsplit("/", 1)[0]
    assert stranger.get(f"{folder}/{variant_folder}/seg-000.ts?{renewed}").status_code == 200
    for path in ("master.m3u8", "720p.mp4", "480p.mp4", "poster.jpg", f"{variant_folder}/../master.m3u8"):
        refused = stranger.get(f"{folder}/{path}?{renewed}", headers={"Range": "bytes=0-9"})
        assert refused.status_code == 403, (path, refused.status_code)
    # Nor does dropping the line's "o" turn it into an entry link: the signatures differ.
    entry_like = "&".join(part for part in renewed.split("&") if not part.startswith("o="))
    assert stranger.get(f"{folder}/master.m3u8?{entry_like}").status_code == 403


def test_a_paid_episode_playlist_never_renews_its_lines_beyond_the_first_links_expiry_plus_the_episodes_length(
    client, series, player, platform, monkeypatch
):
    grant(platform, player, series["id"], 4)
    hls = person_bound_hls(player, series["id"], 4)
    folder = hls.path.rsplit("/", 1)[0]
    first_expiry = int(parse_qs(hls.query)["exp"][0])
    with platform.db.session() as session:
        last = int(first_expiry + session.get(Episode, hls.path.split("/")[3]).duration_ms / 1000)
    stranger = browser(client)
    variant_line = first_line(stranger.get(f"{hls.path}?{hls.query}"))
    variant, renewed = variant_line.split("?", 1)
    variant_folder = variant.rsplit("/", 1)[0]
    assert int(parse_qs(renewed)["exp"][0]) == last
    # The first link has expired: the master playlist (which signs its lines) is closed with it.
    later(monkeypatch, first_expiry + 1 - time.time())
    assert stranger.get(f"{hls.path}?{hls.query}").json()["code"] == "MEDIA_LINK_EXPIRED"
    assert stranger.get(f"{hls.path}?{renewed}").status_code == 403
    # The variant playlist, fetched again and again just before its lines run out, signs them no further.
    later(monkeypatch, last - 5 - time.time())
    segment_line = first_line(stranger.get(f"{folder}/{variant_line}"))
    assert int(parse_qs(segment_line.split("?", 1)[1])["exp"][0]) == last
    assert (
        int(
            parse_qs(
                first_line(stranger.get(f"{folder}/{variant_folder}/index.m3u8?{segment_line.split('?', 1)[1]}")).split(
                    "?", 1
                )[1]
            )["exp"][0]
        )
        == last
    )
    assert stranger.get(f"{folder}/{variant_folder}/{segment_line}").status_code == 200
    later(monkeypatch, last + 1 - time.time())
    assert stranger.get(f"{folder}/{variant_folder}/{segment_line}").json()["code"] == "MEDIA_LINK_EXPIRED"
    assert stranger.get(f"{folder}/{variant_line}").json()["code"] == "MEDIA_LINK_EXPIRED"


def test_a_paid_episode_links_live_the_configured_minutes(client, series, player, platform, monkeypatch):
    grant(platform, player, series["id"], 4)
    monkeypatch.setattr(platform.settings, "paid_media_url_seconds", 30)
    hls = person_bound_hls(player, series["id"], 4)
    first_expiry = int(parse_qs(hls.query)["exp"][0])
    assert first_expiry <= time.time() + 30
    with platform.db.session() as session:
        length = session.get(Episode, hls.path.split("/")[3]).duration_ms / 1000
    line = first_line(browser(client).get(f"{hls.path}?{hls.query}"))
    assert int(parse_qs(line.split("?", 1)[1])["exp"][0]) == int(first_expiry + length) < time.time() + 30 + length + 1


def test_a_session_bound_paid_episode_url_is_refused_once_its_person_may_no_longer_watch(
    client, series, player, platform
):
    grant(platform, player, series["id"], 4)
    hls = urlsplit(urls_of(player, series["id"], 4)["urls"]["hls"])
    folder = hls.path.rsplit("/", 1)[0]
    variant_line = first_line(player.get(f"{hls.path}?{hls.query}"))
    with platform.db.session() as session:  # access is gone (a refund, a revoked unlock)
        session.query(EpisodeUnlock).filter_by(user_id=user_id_of(player)).delete()
        session.commit()
    assert player.post(f"/api/dramas/{series['id']}/episodes/4/playback").status_code == 402
    for url in (f"{hls.path}?{hls.query}", f"{folder}/{variant_line}", f"{folder}/720p.mp4?{hls.query}"):
        refused = player.get(url, headers={"Range": "bytes=0-9"})
        assert refused.status_code == 403 and refused.json()["code"] == "MEDIA_LINK_NOT_YOURS", url
