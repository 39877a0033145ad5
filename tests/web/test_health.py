"""GET /healthz: a load balancer's check, answered without making a guest or a session."""

from __future__ import annotations

from sqlalchemy import func, select

from openminis import __version__
from openminis.identity.models import User


def test_healthz_answers_ok_with_the_version_and_makes_no_guest(client, platform):
    answer = client.get("/healthz")
    assert answer.status_code == 200
    assert answer.json() == {"status": "ok", "version": __version__}
    assert "set-cookie" not in answer.headers
    with platform.db.session() as session:
        assert session.scalar(select(func.count()).select_from(User)) == 0
