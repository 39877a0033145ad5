"""Every staff action lands in the append-only audit log, readable by the roles that audit."""

from __future__ import annotations

from typer.testing import CliRunner

from openminis.cli import app as cli
from openminis.identity import accounts
from openminis.staff import audit
from openminis.staff import service as staff
from openminis.unit_of_work import unit_of_work
from tests.factories import package_files, zip_bytes
from tests.studio import ADMIN_TOKEN, browser, sign_up

OPERATOR = {"Authorization": f"Bearer {ADMIN_TOKEN}"}


def staff_member(client, email: str, role: str):
    person = browser(client)
    headers = sign_up(person, email)
    with unit_of_work(client.app.platform.db) as session:
        staff.add(session, accounts.user_by_email(session, email).id, role, by="test")
    return person, headers


def test_a_review_is_in_the_audit_log_with_who_why_and_the_state_before_and_after(client, studio):
    upload = studio.developer.post(
        f"/api/developer/apps/{studio.app_id}/versions",
        content=zip_bytes(package_files(id=studio.app_id, version="2.0.0")),
        headers={**studio.headers, "Content-Type": "application/zip"},
    )
    assert upload.status_code == 201
    assert studio.developer.post(f"/api/developer/apps/{studio.app_id}/versions/2.0.0/submit", headers=studio.headers)
    reviewer, headers = staff_member(client, "rev@example.com", "reviewer")
    rejected = reviewer.post(
        f"/api/admin/review/{studio.app_id}/2.0.0/reject", json={"note": "the title screen is blank"}, headers=headers
    )
    assert rejected.status_code == 200, rejected.text
    auditor, _ = staff_member(client, "money@example.com", "finance")
    log = auditor.get("/api/admin/audit", params={"target_id": f"{studio.app_id}@2.0.0"}).json()["items"]
    assert [(e["actor"], e["action"], e["reason"], e["before"], e["after"]) for e in log] == [
        (
            "staff:rev@example.com (reviewer)",
            "reject",
            "the title screen is blank",
            {"state": "in_review"},
            {"state": "rejected"},
        )
    ]
    assert reviewer.get("/api/admin/audit").status_code == 403  # reviewing is not auditing
    assert browser(client).get("/api/admin/audit").status_code == 401
    # The operator approved the studio's first version with the token (tests/studio.py): logged too.
    first = client.get("/api/admin/audit", params={"target_id": f"{studio.app_id}@1.0.0"}, headers=OPERATOR).json()
    assert [e["action"] for e in first["items"]] == ["release", "approve"]


def test_the_log_since_a_time_reads_a_time_without_an_offset_as_utc(client, studio):
    """A probe: ``since=2026-01-01`` (no offset) was a 500, a naive time given to a UTC column."""
    everything = client.get("/api/admin/audit", headers=OPERATOR).json()["items"]
    assert everything
    for since in ("2000-01-01", "2000-01-01T00:00:00", "0001-01-01", "2000-01-01T08:00:00+08:00"):
        answer = client.get("/api/admin/audit", params={"since": since}, headers=OPERATOR)
        assert answer.status_code == 200, (since, answer.text)
        assert answer.json()["items"] == everything
    assert client.get("/api/admin/audit", params={"since": "9999-12-31"}, headers=OPERATOR).json()["items"] == []
    out_of_range = client.get("/api/admin/audit", params={"since": "9999-12-31T23:00:00-05:00"}, headers=OPERATOR)
    assert out_of_range.status_code == 422, out_of_range.text


def test_minis_audit_prints_the_log(client, studio, settings):
    result = CliRunner().invoke(
        cli, ["audit", "--target", f"{studio.app_id}@1.0.0", "--data-dir", str(settings.data_dir)]
    )
    if settings.database_url:  # the command reads MINIS_DATABASE_URL; this test's server is SQLite's only
        return
    assert result.exit_code == 0, result.output
    assert "approve" in result.output and "operator (admin token)" in result.output


def test_the_log_filters_by_action_and_finds_an_item_by_its_id_without_its_kind(client, studio):
    """A probe (operator48): ``?action=approve`` was silently ignored (every entry came back), and
    an order was found only as ``order:ord_...``, the way the log names it, not by the id the
    operator has in hand. An unknown action finds nothing."""
    everything = client.get("/api/admin/audit", headers=OPERATOR).json()["items"]
    assert {e["action"] for e in everything} >= {"approve", "release"}
    approvals = client.get("/api/admin/audit", params={"action": "approve"}, headers=OPERATOR).json()["items"]
    assert approvals and {e["action"] for e in approvals} == {"approve"}
    assert client.get("/api/admin/audit", params={"action": "no_such_act"}, headers=OPERATOR).json()["items"] == []
    version = f"{studio.app_id}@1.0.0"
    with unit_of_work(client.app.platform.db) as session:
        audit.record(session, actor="test", action="refund", target_kind="order", target_id="order:ord_abc123")
    by_id = client.get("/api/admin/audit", params={"target_id": "ord_abc123"}, headers=OPERATOR).json()["items"]
    assert [e["target_id"] for e in by_id] == ["order:ord_abc123"]
    exact = client.get("/api/admin/audit", params={"target_id": version}, headers=OPERATOR).json()["items"]
    assert {e["target_id"] for e in exact} == {version}


def test_an_apps_id_finds_its_versions_decisions_and_its_own(client, studio):
    """A probe (ops52): by the app's id the log found its suspension but none of its versions'
    approvals, releases and rollbacks, which it names ``app@version``. Another app whose id begins
    the same is not found."""
    with unit_of_work(client.app.platform.db) as session:
        audit.record(session, actor="test", action="suspend", target_kind="app", target_id=studio.app_id)
        audit.record(session, actor="test", action="approve", target_kind="version", target_id="other@1.0.0")
        audit.record(
            session, actor="test", action="approve", target_kind="version", target_id=f"{studio.app_id}x@1.0.0"
        )
    found = client.get("/api/admin/audit", params={"target_id": studio.app_id}, headers=OPERATOR).json()["items"]
    assert {e["target_id"] for e in found} == {studio.app_id, f"{studio.app_id}@1.0.0"}
    assert {"suspend", "approve", "release"} <= {e["action"] for e in found}


def test_the_admin_token_is_taken_under_any_case_of_its_scheme_and_nowhere_else(client):
    """A scheme's name is case-insensitive (RFC 9110), as the Open API's Bearer is: "bearer TOKEN"
    was 401 (access55). Another scheme, or the token alone, is not the token."""
    for scheme in ("Bearer", "bearer", "BEARER"):
        answer = client.get("/api/admin/audit", headers={"Authorization": f"{scheme} {ADMIN_TOKEN}"})
        assert answer.status_code == 200, (scheme, answer.text)
    for wrong in (f"Basic {ADMIN_TOKEN}", ADMIN_TOKEN, f"Bearer{ADMIN_TOKEN}", f"Bearer {ADMIN_TOKEN}x", "Bearer"):
        assert client.get("/api/admin/audit", headers={"Authorization": wrong}).status_code == 401, wrong
