"""One unit of work per request, job and command: it commits once when the work returned, rolls
back when it raised, and what was registered to follow the commit happens only after a commit."""

from __future__ import annotations

import re
from typing import Annotated

import pytest
from fastapi import Depends
from sqlalchemy import event, select
from sqlalchemy.orm import Session
from starlette.testclient import TestClient

from openminis.app import create_host_app
from openminis.errors import Conflict
from openminis.identity import service as identity
from openminis.identity.models import User
from openminis.jobs import service as jobs
from openminis.unit_of_work import after_commit, follow_up, unit_of_work
from openminis.web.dependencies import get_session
from tests.platform_source import SOURCE, lines_matching

UNIT_OF_WORK_MODULES = {SOURCE / "unit_of_work.py"}


def test_only_the_unit_of_work_commits_or_rolls_back():
    assert lines_matching(re.compile(r"\b(commit|rollback)\("), besides=UNIT_OF_WORK_MODULES) == []


class Seen:
    """What the effects saw: each looks, in a session of its own, whether the work is committed."""

    def __init__(self, platform):
        self.platform = platform
        self.names: list[tuple[str, bool]] = []

    def effect(self, name: str):
        def look() -> None:
            with self.platform.db.session() as session:
                committed = session.scalar(select(User).where(User.display_name == name)) is not None
            self.names.append((name, committed))

        return look


def make_user(session: Session, name: str, seen: Seen) -> User:
    """A service as services are: it writes, flushes and registers what must follow the commit."""
    user = identity.new_user(session)
    user.display_name = name
    session.flush()
    after_commit(session, seen.effect(name))
    return user


@pytest.fixture
def seen(platform) -> Seen:
    return Seen(platform)


@pytest.fixture
def served(platform, seen):
    """The platform's app with two test routes that write through the request's unit of work."""
    app = create_host_app(platform)

    def kept(name: str, session: Annotated[Session, Depends(get_session)]) -> dict:
        make_user(session, name, seen)
        return {"ok": True}

    def refused(name: str, session: Annotated[Session, Depends(get_session)]) -> dict:
        make_user(session, name, seen)
        raise Conflict("refused after writing", code="REFUSED")

    app.add_api_route("/test/kept", kept, methods=["POST"])
    app.add_api_route("/test/refused", refused, methods=["POST"])
    commits: list[object] = []

    def counted(connection: object) -> None:
        commits.append(connection)

    event.listen(platform.db.engine, "commit", counted)
    with TestClient(app, base_url="http://localhost:8000") as client:
        yield client, commits
    event.remove(platform.db.engine, "commit", counted)


def users_named(platform, name: str) -> int:
    with platform.db.session() as session:
        return len(session.scalars(select(User).where(User.display_name == name)).all())


def test_a_request_commits_once_after_its_route_and_then_runs_its_effects(platform, served, seen):
    client, commits = served
    response = client.post("/test/kept", params={"name": "Kept Otter 1"})
    assert response.status_code == 200
    assert users_named(platform, "Kept Otter 1") == 1
    assert len(commits) == 1
    assert seen.names == [("Kept Otter 1", True)]  # the effect ran, and saw the work committed


def test_a_request_whose_route_raises_leaves_nothing_and_runs_no_effect(platform, served, seen):
    client, commits = served
    response = client.post("/test/refused", params={"name": "Refused Fox 2"})
    assert response.status_code == 409 and response.json()["code"] == "REFUSED"
    assert users_named(platform, "Refused Fox 2") == 0
    assert commits == []
    assert seen.names == []


def test_a_command_unit_commits_at_its_end_and_rolls_back_on_error(platform, seen):
    with unit_of_work(platform.db) as session:
        make_user(session, "Command Lynx 3", seen)
        assert seen.names == []  # not before the commit
    assert seen.names == [("Command Lynx 3", True)]
    with pytest.raises(RuntimeError), unit_of_work(platform.db) as session:
        make_user(session, "Command Lynx 4", seen)
        raise RuntimeError("the command failed")
    assert users_named(platform, "Command Lynx 4") == 0
    assert seen.names == [("Command Lynx 3", True)]


def test_a_follow_up_runs_in_a_unit_of_its_own_after_the_commit(platform, seen):
    def rename(session: Session) -> None:
        user = session.scalar(select(User).where(User.display_name == "Before Heron 5"))
        user.display_name = "After Heron 5"

    with unit_of_work(platform.db) as session:
        make_user(session, "Before Heron 5", seen)
        follow_up(session, rename)
    assert users_named(platform, "After Heron 5") == 1


def test_a_job_that_fails_leaves_nothing_and_runs_no_effect_and_is_retried(platform, seen):
    registry = jobs.Registry()

    def flaky(session: Session, payload: dict) -> None:
        make_user(session, payload["name"], seen)
        if payload["fail"]:
            raise RuntimeError("the handler failed after writing")

    registry.register("make-user", flaky)
    with unit_of_work(platform.db) as session:
        jobs.enqueue(session, "make-user", {"name": "Job Panda 6", "fail": True})
        jobs.enqueue(session, "make-user", {"name": "Job Panda 7", "fail": False})
    worker = jobs.Worker(platform.db, registry)
    assert worker.drain() == 2
    assert users_named(platform, "Job Panda 6") == 0
    assert users_named(platform, "Job Panda 7") == 1
    assert seen.names == [("Job Panda 7", True)]
