"""A producer adds WebVTT subtitles to an episode, one file per language: a file a player could not
read is refused with the line at fault, and the ones kept play beside the video, on the host's
origin, as text/vtt, to whoever may watch the episode and to nobody else."""

from __future__ import annotations

from urllib.parse import urlsplit

from openminis.drama import subtitles
from openminis.drama.models import Episode
from openminis.drama.synth import make_subtitles

GOOD = (
    "WEBVTT - Night Shift\n\nNOTE the first line is spoken off screen\n\n"
    "1\n00:00.500 --> 00:01.800 line:80%\nWho's there?\n\n"
    "00:00:02.000 --> 00:00:02.900\nOnly the <i>night</i> shift.\n"
)


def put(client, studio, series_id: str, number: int, language: str, body: bytes, content_type: str = "text/vtt"):
    return client.put(
        f"/openapi/v1/series/{series_id}/episodes/{number}/subtitles/{language}",
        content=body,
        headers={**studio.headers, "Content-Type": content_type},
    )


def local(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.path}?{parts.query}"


def test_subtitles_uploaded_per_language_are_served_with_the_episode_as_text_vtt(
    client, studio, series, player, platform
):
    english = put(client, studio, series["id"], 1, "en", GOOD.encode())
    assert english.status_code == 200, english.text
    # A tag in any case is kept in its usual form; a byte-order mark and CRLF line ends are fine.
    spanish = "\ufeffWEBVTT\r\n\r\n00:00.500 --> 00:01.800\r\n¿Quién anda ahí?\r\n".encode()
    assert put(client, studio, series["id"], 1, "ES-mx", spanish).json()["subtitles"] == ["en", "es-MX"]
    listed = client.get(f"/openapi/v1/series/{series['id']}", headers=studio.headers).json()["episodes"]
    assert listed[0]["subtitles"] == ["en", "es-MX"] and listed[1]["subtitles"] == []

    played = player.post(f"/api/dramas/{series['id']}/episodes/1/playback").json()
    tracks = {track["language"]: track["url"] for track in played["subtitles"]}
    assert list(tracks) == ["en", "es-MX"]
    assert all(url.startswith("http://localhost:8000/media/drama/") for url in tracks.values())
    served = player.get(local(tracks["es-MX"]))
    assert served.status_code == 200 and served.headers["content-type"] == "text/vtt; charset=utf-8"
    assert served.text == "WEBVTT\n\n00:00.500 --> 00:01.800\n¿Quién anda ahí?\n"
    assert player.get(local(tracks["en"])).text == GOOD

    # Replacing a language keeps one file for it, and the old one goes from the store.
    first_key = _key(platform, series["id"], 1, "en")
    assert (
        put(client, studio, series["id"], 1, "en", make_subtitles(seconds=3, lines=["Hello"]).encode()).status_code
        == 200
    )
    assert platform.storage.get(first_key) is None
    replaced = player.post(f"/api/dramas/{series['id']}/episodes/1/playback").json()["subtitles"]
    assert "Hello" in player.get(local(replaced[0]["url"])).text

    # A language the episode has not, or an unsigned link, is nothing.
    base = local(tracks["en"]).split("/subtitles/")[0]
    assert player.get(f"{base}/subtitles/fr.vtt?{urlsplit(tracks['en']).query}").status_code == 404
    assert player.get(urlsplit(tracks["en"]).path).status_code == 403

    removed = client.delete(f"/openapi/v1/series/{series['id']}/episodes/1/subtitles/es-MX", headers=studio.headers)
    assert removed.json()["subtitles"] == ["en"]
    gone = client.delete(f"/openapi/v1/series/{series['id']}/episodes/1/subtitles/es-MX", headers=studio.headers)
    assert gone.status_code == 404


def _key(platform, series_id: str, number: int, language: str) -> str:
    with platform.db.session() as session:
        episode = session.query(Episode).filter_by(series_id=series_id, number=number).one()
        return episode.subtitles[language]


def test_a_locked_episodes_subtitles_are_not_given_out(client, studio, series, player, platform):
    assert put(client, studio, series["id"], 3, "en", GOOD.encode()).status_code == 200
    assert player.post(f"/api/dramas/{series['id']}/episodes/3/playback").status_code == 402
    # Its media path, with a free episode's signature or none, opens nothing.
    with platform.db.session() as session:
        episode = session.query(Episode).filter_by(series_id=series["id"], number=3).one()
        path = f"/media/drama/{episode.id}/{episode.media_key}/subtitles/en.vtt"
    free = player.post(f"/api/dramas/{series['id']}/episodes/1/playback").json()["urls"]["mp4_720"]
    for url in (path, f"{path}?{urlsplit(free).query}"):
        refused = player.get(url)
        assert refused.status_code == 403 and refused.json()["code"].startswith("MEDIA_LINK_"), url


# Each file a player could not read, the code it is refused with, and what the message says.
NOT_WEBVTT = [
    (b"", "NOT_WEBVTT", "starts with the line 'WEBVTT'"),
    (b"1\n00:00.000 --> 00:01.000\nHi\n", "NOT_WEBVTT", "WEBVTT"),
    (b"WEBVTTX\n\n00:00.000 --> 00:01.000\nHi\n", "NOT_WEBVTT", "WEBVTT"),
    (b"WEBVTT\n\nNOTE only a note\n", "NO_CUES", "no cues"),
    (b"WEBVTT\n\n00:00.000 -> 00:01.000\nHi\n", "SUBTITLES_REJECTED", "line 3: a cue needs a timing line"),
    (b"WEBVTT\n\n00:00.000 --> 00:01\nHi\n", "SUBTITLES_REJECTED", "line 3: '00:00.000 --> 00:01' is not"),
    (b"WEBVTT\n\n00:61.000 --> 01:02.000\nHi\n", "SUBTITLES_REJECTED", "is not a cue timing"),
    (b"WEBVTT\n\n00:02.000 --> 00:01.000\nHi\n", "SUBTITLES_REJECTED", "line 3: the cue ends before it starts"),
    # A probe: a 5,000-digit hour was a 500 (too long a number for Python to read).
    (
        b"WEBVTT\n\n" + b"9" * 5000 + b":00:00.000 --> 1" + b"9" * 5000 + b":00:00.000\nHi\n",
        "SUBTITLES_REJECTED",
        "is not",
    ),
    (
        b"WEBVTT\n\n00:02.000 --> 00:03.000\nB\n\n00:01.000 --> 00:04.000\nA\n",
        "SUBTITLES_REJECTED",
        "line 6: cues are in order of their start time",
    ),
    (
        b"WEBVTT\n\n00:01.000 --> 00:02.000\nA\n00:02.000 --> 00:03.000\nB\n",
        "SUBTITLES_REJECTED",
        "needs a blank line before the next one",
    ),
    (b"WEBVTT\n\n00:01.000 --> 00:02.000\n\xff\xfe\n", "SUBTITLES_REJECTED", "UTF-8"),
    (
        b"WEBVTT\n\n00:01.000 --> 00:02.000\nA\n\nSTYLE\n::cue { color: red }\n",
        "SUBTITLES_REJECTED",
        "STYLE blocks come before the first cue",
    ),
]


def test_a_file_that_is_not_webvtt_is_refused_naming_the_problem(client, studio, series):
    for body, code, says in NOT_WEBVTT:
        refused = put(client, studio, series["id"], 1, "en", body)
        assert refused.status_code == 422, (body, refused.text)
        assert refused.json()["code"] == code and says in refused.json()["message"], (body, refused.json())
    # None of them was kept.
    assert (
        client.get(f"/openapi/v1/series/{series['id']}", headers=studio.headers).json()["episodes"][0]["subtitles"]
        == []
    )


def test_uploads_are_refused_for_a_bad_language_type_size_or_episode(client, studio, series):
    bad_tag = put(client, studio, series["id"], 1, "english!", GOOD.encode())
    assert bad_tag.status_code == 422 and bad_tag.json()["field"] == "language"
    assert put(client, studio, series["id"], 1, "e", GOOD.encode()).status_code == 422  # the path's own bounds
    wrong_type = put(client, studio, series["id"], 1, "en", GOOD.encode(), content_type="text/plain")
    assert wrong_type.status_code == 422 and wrong_type.json()["field"] == "content-type"
    huge = ("WEBVTT\n\n" + "00:00.000 --> 00:01.000\n" + "x" * (subtitles.MAX_BYTES + 10) + "\n").encode()
    too_large = put(client, studio, series["id"], 1, "en", huge)
    assert too_large.status_code == 413 and too_large.json()["code"] == "SUBTITLES_TOO_LARGE"
    assert put(client, studio, series["id"], 99, "en", GOOD.encode()).status_code == 404
    others = client.put(
        "/openapi/v1/series/ser_nope/episodes/1/subtitles/en",
        content=GOOD.encode(),
        headers={**studio.headers, "Content-Type": "text/vtt"},
    )
    assert others.status_code == 404
    unsigned = client.put(
        f"/openapi/v1/series/{series['id']}/episodes/1/subtitles/en",
        content=GOOD.encode(),
        headers={"Content-Type": "text/vtt"},
    )
    assert unsigned.status_code == 401


def test_the_demo_series_subtitles_are_webvtt_the_check_accepts():
    vtt = make_subtitles(seconds=20, lines=["Mia starts her first night.", "Who's there?", "Only the night shift."])
    assert subtitles.check(vtt.encode()).text == vtt
    assert "3\n00:00:13.333 --> 00:00:19.900\nOnly the night shift.\n" in vtt


def test_subtitles_whose_last_cue_starts_after_the_episode_ends_are_refused(client, studio, series):
    """Their words would never show: subtitles for another cut, or for another episode (dev54)."""
    late = GOOD + "\n00:10:00.000 --> 00:10:02.000\nToo late.\n"
    refused = put(client, studio, series["id"], 1, "en", late.encode())
    assert (refused.status_code, refused.json()["code"]) == (422, "SUBTITLES_REJECTED"), refused.text
    assert "line 12: the cue starts at 10:00.000, after the episode ends at 00:03.000" in refused.json()["message"]
    ten_hours = GOOD + "\n10:00:00.000 --> 10:00:02.000\nMuch too late.\n"
    refused = put(client, studio, series["id"], 1, "en", ten_hours.encode())
    assert "the cue starts at 10:00:00.000," in refused.json()["message"], refused.text  # not 600:00.000
    assert put(client, studio, series["id"], 1, "en", GOOD.encode()).status_code == 200
