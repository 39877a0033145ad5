"""An unlock's effects follow its unit of work: the coins, the row and the conversion event are
there once it commits, and none of them after a rollback; the transcoding job's files go only
once its outcome is committed."""

from __future__ import annotations

import pytest

from openminis.drama import access
from openminis.unit_of_work import unit_of_work
from tests.drama.conftest import upload
from tests.studio import balance, top_up


class Recorder:
    """Stands in for platform.conversions: the events it was asked to record."""

    def __init__(self):
        self.events: list[tuple[str, dict]] = []

    def record(self, type: str, **fields) -> None:
        self.events.append((type, fields))


class Abandoned(Exception):
    """The request failed after the service returned."""


def test_an_unlock_rolled_back_after_the_service_ran_charges_nothing_and_records_no_event(
    client, series, player, platform
):
    top_up(player)
    user_id = player.get("/api/me").json()["user"]["id"]
    events = Recorder()

    def unlock(session, number: int) -> str:
        return access.unlock_with_coins(
            session, user_id=user_id, series_id=series["id"], number=number, amount=20, currency="COIN", events=events
        )

    with pytest.raises(Abandoned), unit_of_work(platform.db) as session:
        assert unlock(session, 3) == "coins"
        raise Abandoned
    assert events.events == [] and balance(player) == 1200
    with unit_of_work(platform.db) as session:
        assert unlock(session, 3) == "coins"
        assert events.events == []  # not before the commit either
    assert [(type, fields["revenue"]) for type, fields in events.events] == [("unlock", 20)]
    assert balance(player) == 1200 - 20


def test_a_series_bought_and_rolled_back_is_not_bought(client, series, player, platform):
    top_up(player)
    user_id = player.get("/api/me").json()["user"]["id"]
    events = Recorder()
    with pytest.raises(Abandoned), unit_of_work(platform.db) as session:
        access.buy_series(session, user_id=user_id, series_id=series["id"], amount=60, currency="COIN", events=events)
        raise Abandoned
    assert events.events == [] and balance(player) == 1200
    assert player.get(f"/api/dramas/{series['id']}").json()["episodes"][4]["access"] is None


def test_a_transcode_whose_unit_rolls_back_keeps_its_upload_and_the_previous_media_for_the_retry(
    client, studio, clips, platform
):
    series = client.post("/openapi/v1/series", json={"title": "Retry"}, headers=studio.headers).json()
    upload(client, studio, series["id"], 1, clips["episode"])
    platform.worker().drain()
    media = platform.settings.data_dir / "media" / "drama"
    first = {path.name for path in media.glob("ep_*")}
    assert len(first) == 1
    upload(client, studio, series["id"], 1, clips["episode"])  # a new cut of the same episode
    [pending] = list((media / "uploads").iterdir())
    transcode = platform.jobs.kinds["drama.transcode"].handler
    payload = {"episode_id": next(iter(first)).split("-")[0], "upload": pending.name}
    with pytest.raises(Abandoned), unit_of_work(platform.db) as session:
        transcode(session, payload)
        raise Abandoned
    assert pending.exists()  # the job runs again from it
    assert first <= {path.name for path in media.glob("ep_*")}  # the episode still plays the old media
    with unit_of_work(platform.db) as session:
        transcode(session, payload)
        assert pending.exists() and first <= {path.name for path in media.glob("ep_*")}  # not before the commit
    assert not pending.exists() and not first & {path.name for path in media.glob("ep_*")}
