"""The wallet history says what each drama unlock bought: an episode, by its number, or the whole
series. Both are one kind of ledger transfer; the history named the series "Episode unlock", 200
coins beside episodes of 30 (a probe, player52)."""

from __future__ import annotations

from tests.studio import csrf_of, top_up


def test_an_episode_unlock_and_the_series_bought_are_told_apart(client, series, player):
    top_up(player)
    unlocked = player.post(
        f"/api/dramas/{series['id']}/episodes/3/unlock",
        json={"method": "coins", "amount": 20, "currency": "COIN"},
        headers=csrf_of(player),
    )
    assert unlocked.status_code == 200, unlocked.text
    bought = player.post(
        f"/api/dramas/{series['id']}/purchase", json={"amount": 60, "currency": "COIN"}, headers=csrf_of(player)
    )
    assert bought.status_code == 200, bought.text
    items = player.get("/api/wallet/history").json()["items"]
    assert [(i["kind"], i["what"], i["amount"]) for i in items if i["kind"] != "topup"] == [
        ("drama_unlock", "series", -60),
        ("drama_unlock", "episode 3", -20),
    ]
