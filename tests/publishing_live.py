"""People and apps on a real ``minis serve`` for the attack tests of issue 14's publishing flow
(tests/catalog/test_publishing_attacks.py, tests/identity/test_team_races.py): a live server per
database, accounts that proved their email, a staff reviewer, an app's team, and requests sent
all at once over connections of their own."""

from __future__ import annotations

import asyncio
import secrets
import subprocess
from collections.abc import Iterator
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest

from bench.burst import UNLIMITED
from openminis.liveserver import LiveServer
from tests.catalog.test_staged_release import Studio, browser, csrf, full_account, reviewer
from tests.concurrency import one_connection_each
from tests.conftest import postgres_database, unavailable
from tests.factories import package_files, zip_bytes

SECRET = "publishing-attack-secret"
ADMIN_TOKEN = "publishing-attack-admin-token"

__all__ = ["ADMIN_TOKEN", "SECRET", "Member", "Team", "at_once", "browser", "csrf", "full_account", "live_server"]


def live_server(
    database: str, data: Path, *, events_in_database: bool = False, **overrides: str
) -> Iterator[LiveServer]:
    """A ``minis serve`` on ``database`` ("sqlite" or "postgresql"), checks without a browser, no
    loopback egress (production's default), limits out of the way of the storms; on PostgreSQL
    with the analytics events there too if ``events_in_database``."""
    env = {
        **UNLIMITED,
        "MINIS_BROWSER_CHECKS": "false",
        "MINIS_SECRET_KEY": SECRET,
        "MINIS_ADMIN_TOKEN": ADMIN_TOKEN,
        "MINIS_EGRESS_ALLOW_LOOPBACK": "false",
        **overrides,
    }
    with ExitStack() as stack:
        if database == "postgresql":
            env["MINIS_DATABASE_URL"] = stack.enter_context(postgres_database())
            if events_in_database:
                env["MINIS_ANALYTICS_URL"] = env["MINIS_DATABASE_URL"]
        try:
            live = stack.enter_context(LiveServer(data, env=env))
        except (RuntimeError, OSError, subprocess.CalledProcessError) as exc:
            unavailable(f"minis serve could not start: {exc} {getattr(exc, 'stderr', '') or ''}".strip())
        yield live


DATABASES = ["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)]


def server_per_database(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[LiveServer]:
    """A module's ``server`` fixture (scope module, params DATABASES): one live server per database."""
    data = tmp_path_factory.mktemp(f"{request.module.__name__.rsplit('.', 1)[-1]}-{request.param}") / "data"
    data.mkdir()
    yield from live_server(request.param, data)


@dataclass
class Member:
    client: httpx.Client
    headers: dict[str, str]
    developer_id: str = ""


@dataclass
class Team:
    """An app with a released 1.0.0, its owner (the studio's) and a member per role."""

    studio: Studio
    app_id: str
    members: dict[str, Member] = field(default_factory=dict)

    @property
    def server(self) -> LiveServer:
        return self.studio.server

    def join(self, role: str) -> Member:
        email = f"{role}-{secrets.token_hex(4)}@example.com"
        client, headers = full_account(self.server, email)
        sent = self.studio.owner.post(
            f"/api/developer/apps/{self.app_id}/team/invitations",
            json={"email": email, "role": role},
            headers=self.studio.owner_headers,
        )
        assert sent.status_code == 201, sent.text
        [invitation] = [
            i for i in client.get("/api/developer/invitations").json()["items"] if i["app_id"] == self.app_id
        ]
        accepted = client.post(f"/api/developer/invitations/{invitation['id']}/accept", headers=headers)
        assert accepted.status_code == 200, accepted.text
        me = client.get("/api/developer").json()
        member = Member(client, headers, me["id"])
        self.members[role] = member
        return member

    def upload(self, version: str, *, submit: bool = True) -> None:
        files = package_files(id=self.app_id, version=version, name=f"App {self.app_id}") | {
            "index.html": f"<!doctype html><p id=v>{self.app_id} {version}</p>".encode()
        }
        uploaded = self.studio.owner.post(
            f"/api/developer/apps/{self.app_id}/versions",
            content=zip_bytes(files),
            headers={**self.studio.owner_headers, "Content-Type": "application/zip"},
        )
        assert uploaded.status_code == 201, uploaded.text
        if submit:
            submitted = self.studio.owner.post(
                f"/api/developer/apps/{self.app_id}/versions/{version}/submit", headers=self.studio.owner_headers
            )
            assert submitted.status_code == 200, submitted.text

    def app(self) -> dict[str, Any]:
        answer = self.studio.owner.get(f"/api/developer/apps/{self.app_id}")
        assert answer.status_code == 200, answer.text
        return answer.json()

    def versions(self) -> dict[str, dict[str, Any]]:
        answer = self.studio.owner.get(f"/api/developer/apps/{self.app_id}/versions")
        assert answer.status_code == 200, answer.text
        return {v["version"]: v for v in answer.json()["items"]}

    def history(self, version: str) -> list[dict[str, Any]]:
        return self.studio.history(self.app_id, version)


def new_studio(server: LiveServer) -> Studio:
    owner, owner_headers = full_account(server, f"owner-{secrets.token_hex(4)}@example.com")
    named = owner.post("/api/developer", json={"name": "Attack Studio"}, headers=owner_headers)
    assert named.status_code == 200, named.text
    staff, staff_headers = reviewer(server, f"reviewer-{secrets.token_hex(4)}@example.com")
    return Studio(server, owner, owner_headers, staff, staff_headers)


async def _at_once(server: LiveServer, requests: list[dict[str, Any]]) -> list[httpx.Response]:
    """Each request on a connection of its own, all released together."""
    limits = one_connection_each(len(requests))
    async with httpx.AsyncClient(base_url=server.url, limits=limits, timeout=60) as client:
        start = asyncio.Event()

        async def one(request: dict[str, Any]) -> httpx.Response:
            await start.wait()
            return await client.request(**request)

        tasks = [asyncio.create_task(one(request)) for request in requests]
        await asyncio.sleep(0.2)
        start.set()
        return list(await asyncio.gather(*tasks))


def at_once(server: LiveServer, requests: list[dict[str, Any]]) -> list[httpx.Response]:
    from openminis.liveserver import run_apart

    return run_apart(_at_once(server, requests))


def as_member(member: Member | Studio, server: LiveServer) -> dict[str, Any]:
    """Request keyword arguments that act as this person (their cookies, CSRF token and Origin)."""
    if isinstance(member, Studio):
        return acting_as(server, member.owner, member.owner_headers)
    return acting_as(server, member.client, member.headers)


def acting_as(server: LiveServer, client: httpx.Client, headers: dict[str, str]) -> dict[str, Any]:
    """Request keyword arguments that act as this browser (its cookies, the headers, the host's Origin)."""
    cookie = "; ".join(f"{name}={value}" for name, value in client.cookies.items())
    return {"headers": {**headers, "Origin": server.url, "Cookie": cookie}}
