"""``minis publish`` and ``minis apps`` from the command line, as a developer runs them."""

from __future__ import annotations

import getpass

from typer.testing import CliRunner

from openminis.catalog import releases
from openminis.cli import app
from openminis.developers import service as developers
from openminis.developers import team
from openminis.identity import accounts
from openminis.platform import Platform
from openminis.settings import Settings
from openminis.staff import audit
from openminis.staff import service as staff
from openminis.unit_of_work import unit_of_work
from tests.factories import package_files, write_folder

runner = CliRunner()


def test_publish_a_folder_for_its_developer_then_list_it(tmp_path):
    folder = write_folder(tmp_path / "pkg", package_files())
    data = str(tmp_path / "data")
    result = runner.invoke(app, ["publish", str(folder), "--developer", "Studio@Example.com", "--data-dir", data])
    assert result.exit_code == 0, result.output
    assert "published test-game 1.0.0" in result.output
    listing = runner.invoke(app, ["apps", "--data-dir", data])
    assert "test-game" in listing.output and "1.0.0" in listing.output
    platform = Platform(Settings(data_dir=tmp_path / "data"))
    with unit_of_work(platform.db, reads=True) as session:
        owner = developers.developer_for(session, accounts.user_by_email(session, "studio@example.com"))
        assert [(a.id, role) for a, role in team.apps_of(session, owner)] == [("test-game", "owner")]
        assert [e.actor for e in releases.history(session, "test-game")] == [
            "operator"
        ] * 3  # uploaded, approved, released
    platform.close()


def test_a_new_app_needs_its_developer_named(tmp_path):
    folder = write_folder(tmp_path / "pkg", package_files())
    result = runner.invoke(app, ["publish", str(folder), "--data-dir", str(tmp_path / "data")])
    assert result.exit_code == 1
    assert "--developer" in result.output
    # The field the refusal names is printed as it is (Rich read "[developer]" as markup: a probe).
    assert "INVALID_ARGUMENT [developer]:" in result.output, result.output


def test_several_serving_processes_need_the_analytics_events_in_postgresql(tmp_path, monkeypatch):
    # The embedded DuckDB file opens in one process only: refused before any process starts.
    monkeypatch.delenv("MINIS_ANALYTICS_URL", raising=False)
    result = runner.invoke(app, ["serve", "--workers", "2", "--data-dir", str(tmp_path)])
    assert result.exit_code == 1
    assert "MINIS_ANALYTICS_URL" in result.output


def test_staff_add_makes_a_reviewer(tmp_path):
    data = str(tmp_path / "data")
    result = runner.invoke(app, ["staff", "add", "rev@example.com", "--role", "reviewer", "--data-dir", data])
    assert result.exit_code == 0, result.output
    # A probe: it said "they sign in at http://localhost:8000", the default, for a platform elsewhere.
    assert "work at the platform's /admin" in result.output and "8000" not in result.output
    served = runner.invoke(
        app,
        ["staff", "add", "fin@example.com", "--role", "finance", "--data-dir", data],
        env={"MINIS_PUBLIC_URL": "https://minis.example.org"},
    )
    assert "work at https://minis.example.org/admin" in served.output
    refused = runner.invoke(app, ["staff", "add", "rev@example.com", "--role", "janitor", "--data-dir", data])
    assert refused.exit_code == 1 and "role" in refused.output
    platform = Platform(Settings(data_dir=tmp_path / "data"))
    with unit_of_work(platform.db, reads=True) as session:
        user = accounts.user_by_email(session, "rev@example.com")
        assert staff.may(session, user.id, "review")
    platform.close()


def test_staff_roles_given_and_changed_at_the_terminal_are_in_the_audit_log(tmp_path):
    """A probe (operator48): eight `minis staff add` grants, and none in the audit log: nobody
    could tell who made a member finance. Each grant and change is an entry naming the terminal's
    user, the person and the role before and after; the same role again records nothing."""
    data = str(tmp_path / "data")
    for role in ("reviewer", "finance", "finance"):
        result = runner.invoke(app, ["staff", "add", "rev@example.com", "--role", role, "--data-dir", data])
        assert result.exit_code == 0, result.output
    platform = Platform(Settings(data_dir=tmp_path / "data"))
    with unit_of_work(platform.db, reads=True) as session:
        user = accounts.user_by_email(session, "rev@example.com")
        entries, _ = audit.entries(session, target_id=user.id, limit=10)
        recorded = [(e.actor, e.action, e.target_kind, e.before, e.after) for e in reversed(entries)]
    platform.close()
    terminal = f"terminal:{getpass.getuser()}"
    assert recorded == [
        (terminal, "set_staff_role", "person", None, {"role": "reviewer", "email": "rev@example.com"}),
        (terminal, "set_staff_role", "person", {"role": "reviewer"}, {"role": "finance", "email": "rev@example.com"}),
    ]


def test_a_rejected_package_exits_non_zero_and_says_why(tmp_path):
    folder = write_folder(tmp_path / "pkg", package_files(version="one"))
    result = runner.invoke(app, ["publish", str(folder), "--data-dir", str(tmp_path / "data")])
    assert result.exit_code == 1
    assert "INVALID_MANIFEST" in result.output and "version" in result.output
    assert not (tmp_path / "data" / "packages").exists() or not any((tmp_path / "data" / "packages").iterdir())


def test_ledger_verify_passes_on_a_sound_ledger_and_fails_on_a_broken_one(tmp_path):
    from sqlalchemy import text

    from openminis.wallet import service as ledger

    data = tmp_path / "data"
    assert runner.invoke(app, ["db", "upgrade", "--data-dir", str(data)]).exit_code == 0
    platform = Platform(Settings(data_dir=data))
    with platform.db.session() as session:
        issuance, wallet = ledger.account(session, "coin_issuance"), ledger.account(session, "user_wallet", "someone")
        ledger.transfer(
            session,
            key="grant",
            kind="grant",
            currency="COIN",
            legs=[ledger.Leg(issuance.id, -5), ledger.Leg(wallet.id, 5)],
        )
        session.commit()
    sound = runner.invoke(app, ["ledger", "verify", "--data-dir", str(data)])
    assert sound.exit_code == 0 and "ledger verifies: 2 accounts, 1 transfers" in sound.output
    with platform.db.session() as session:
        session.execute(text("UPDATE accounts SET balance = 6 WHERE kind = 'user_wallet'"))
        session.commit()
    platform.close()
    broken = runner.invoke(app, ["ledger", "verify", "--data-dir", str(data)])
    assert broken.exit_code == 1 and "caches 6 but its entries sum to 5" in broken.output


def test_python_dash_m_openminis_is_the_minis_command():
    """``python -m openminis`` answered "No module named openminis.__main__" (a probe, dev52)."""
    import subprocess
    import sys

    ran = subprocess.run([sys.executable, "-m", "openminis", "--help"], capture_output=True, text=True, timeout=60)
    assert ran.returncode == 0, ran.stderr
    assert "Usage: minis" in ran.stdout


def test_ledger_verify_says_it_could_not_read_a_database_that_does_not_answer(tmp_path):
    """Its driver's trace read like a problem of the ledger's when PostgreSQL was out of
    connections (drama55): it says nothing was checked, and exits 2, not 1."""
    nowhere = {"MINIS_DATABASE_URL": "postgresql+psycopg://postgres@127.0.0.1:1/nothing"}
    unread = runner.invoke(app, ["ledger", "verify", "--data-dir", str(tmp_path / "data")], env=nowhere)
    assert unread.exit_code == 2, unread.output
    assert "could not read the ledger: the database answered" in unread.output and "try again" in unread.output
