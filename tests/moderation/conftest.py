"""Moderators, reporters, and things to report: a game, a creator's post with its media, a series."""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from starlette.testclient import TestClient

from openminis.identity import accounts
from openminis.staff import service as staff
from openminis.unit_of_work import unit_of_work
from tests.creators.conftest import clips, creator, drama, game, make_creator, ready_post  # noqa: F401 (fixtures)
from tests.studio import browser, sign_up


@dataclass
class Staff:
    browser: TestClient
    headers: dict[str, str]
    email: str

    def post(self, path: str, body: dict | None = None):
        return self.browser.post(path, json=body or {}, headers=self.headers)


def staff_member(client: TestClient, email: str, role: str) -> Staff:
    person = browser(client)
    headers = sign_up(person, email)
    with unit_of_work(client.app.platform.db) as session:
        staff.add(session, accounts.user_by_email(session, email).id, role, by="test")
    return Staff(person, headers, email)


@pytest.fixture
def moderator(client) -> Staff:
    return staff_member(client, "mod@example.com", "moderator")


@pytest.fixture
def post_id(platform, creator, game) -> str:  # noqa: F811 (the imported fixtures)
    """A published post linking to the game, with a poster file the media route serves."""
    made = ready_post(platform, creator.user_id, game)
    folder = platform.settings.data_dir / "media" / "posts" / f"{made}-media"
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "poster.jpg").write_bytes(b"\xff\xd8\xff poster")
    return made


def report(person: TestClient, kind: str, item_id: str, reason: str = "spam", text: str = ""):
    from tests.studio import csrf_of

    return person.post(
        "/api/reports", json={"kind": kind, "id": item_id, "reason": reason, "text": text}, headers=csrf_of(person)
    )


def take_down(moderator: Staff, kind: str, item_id: str, reason: str = "spam", note: str = ""):
    return moderator.post(f"/api/admin/moderation/items/{kind}/{item_id}/takedown", {"reason": reason, "note": note})


def restore(moderator: Staff, kind: str, item_id: str, note: str = ""):
    return moderator.post(f"/api/admin/moderation/items/{kind}/{item_id}/restore", {"note": note})


__all__ = ["Staff", "make_creator", "report", "restore", "staff_member", "take_down"]
