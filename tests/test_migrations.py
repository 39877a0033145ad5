"""The Alembic migrations build exactly the schema the models declare, on SQLite and PostgreSQL."""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import create_engine, text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import sessionmaker

from openminis.migrations import alembic_config, platform_object, upgrade
from openminis.models import Base
from openminis.payouts import policy
from openminis.wallet import service as ledger
from openminis.wallet.service import Leg
from tests.conftest import postgres_database


def test_migrations_match_the_models(platform):
    platform.events.query(
        "SELECT count(*) FROM events"
    )  # the analytics store's tables too, where it shares the database
    with platform.db.engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True, "include_object": platform_object})
        assert compare_metadata(context, Base.metadata) == []


def test_only_the_analytics_stores_own_tables_are_left_out():
    from sqlalchemy import Column, Integer, MetaData, Table

    def reflected(name: str) -> bool:
        return platform_object(Table(name, MetaData(), Column("id", Integer)), name, "table", True, None)

    assert not reflected("events") and not reflected("events_2026_11")
    assert reflected("events_archive") and reflected("orders")  # anything else is the platform's, kept in view


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def own_database(request, tmp_path) -> Iterator[str]:
    """A migrated database of this test's own, to migrate down and up (no other test's)."""
    if request.param == "sqlite":
        path = tmp_path / "minis.db"
        shutil.copy(request.getfixturevalue("sqlite_template"), path)
        yield f"sqlite:///{path}"
    else:
        with postgres_database() as url:
            yield url


def test_0018_folds_nothing_up_and_everything_pending_down(own_database):
    """Ledger data at 0017 keeps its balances through the upgrade to head (nothing pending), and
    the downgrade back to 0017 folds whatever is pending into the cached balances first."""
    database_url = own_database
    config = alembic_config(database_url)
    command.downgrade(config, "0017")
    engine = create_engine(database_url)

    def sums(connection) -> list[tuple[str, int, int]]:
        return [
            tuple(row)
            for row in connection.execute(
                text(
                    "SELECT a.kind, a.balance, COALESCE(SUM(e.amount), 0) FROM accounts a"
                    " LEFT JOIN ledger_entries e ON e.account_id = a.id GROUP BY a.id, a.kind, a.balance ORDER BY a.id"
                )
            )
        ]

    with engine.begin() as connection:  # a sale at 0017: every balance moved at once
        for id_, kind, balance in ((1, "user_wallet", -100), (2, "app_earnings", 70), (3, "platform_revenue", 30)):
            connection.execute(
                text(
                    "INSERT INTO accounts (id, kind, owner_id, currency, balance, allow_negative, created_at)"
                    " VALUES (:id, :kind, 'o', 'COIN', :balance, :neg, CURRENT_TIMESTAMP)"
                ),
                {"id": id_, "kind": kind, "balance": balance, "neg": kind == "user_wallet"},
            )
        connection.execute(
            text(
                "INSERT INTO ledger_transfers (idempotency_key, kind, currency, amount, details, created_at)"
                " VALUES ('old-sale', 'purchase', 'COIN', 100, '{}', CURRENT_TIMESTAMP)"
            )
        )
        sale = connection.scalar(text("SELECT id FROM ledger_transfers WHERE idempotency_key = 'old-sale'"))
        for account, amount in ((1, -100), (2, 70), (3, 30)):
            connection.execute(
                text("INSERT INTO ledger_entries (transfer_id, account_id, amount) VALUES (:t, :a, :n)"),
                {"t": sale, "a": account, "n": amount},
            )
    upgrade(database_url)
    with engine.connect() as connection:
        assert sums(connection) == [("user_wallet", -100, -100), ("app_earnings", 70, 70), ("platform_revenue", 30, 30)]
        assert connection.scalar(text("SELECT count(*) FROM ledger_entries WHERE pending")) == 0

    # At head, a sale's credits are pending; down to 0017 they are in the balances.
    with sessionmaker(engine)() as session:
        ledger.transfer(
            session, key="new-sale", kind="purchase", currency="COIN", legs=[Leg(1, -100), Leg(2, 70), Leg(3, 30)]
        )
        session.commit()
        assert session.scalar(text("SELECT count(*) FROM ledger_entries WHERE pending")) == 2
    command.downgrade(config, "0017")
    with engine.connect() as connection:
        assert sums(connection) == [
            ("user_wallet", -200, -200),
            ("app_earnings", 140, 140),
            ("platform_revenue", 60, 60),
        ]
    engine.dispose()


def test_0031_makes_rows_of_the_payout_terms_proposals_their_audit_entries_told(own_database):
    """Before 0031 a proposed change of the payout terms was its audit entries: the upgrade makes
    each a row, decided as its entries say, and the one still waiting is the one that waits."""
    database_url = own_database
    command.downgrade(alembic_config(database_url), "0030")
    engine = create_engine(database_url)
    terms = {"hold_days": 7, "rates": {"USD": {"COIN": 1000000}}, "minimums": {"USD": 100}, "auto_approve_below": {}}
    made = {"changes": terms, "terms": terms, "loosens": ["hold: 14 → 7 days"], "proposer": "usr_a"}
    steps = [
        ("propose_payout_policy", "ppc_refused", made, "faster payouts"),
        ("refuse_payout_policy", "ppc_refused", {"status": "refused"}, "not now"),
        ("propose_payout_policy", "ppc_approved", made, "faster payouts, again"),
        ("approve_payout_policy", "ppc_approved", terms, "fine"),
        ("propose_payout_policy", "ppc_waiting", made, "faster still"),
    ]
    with engine.begin() as connection:
        for action, target, after, reason in steps:
            connection.execute(
                text(
                    "INSERT INTO audit_log (at, actor, action, target_kind, target_id, reason, after)"
                    " VALUES (CURRENT_TIMESTAMP, 'staff:a@example.com (finance)', :action, 'payout_policy', :target,"
                    " :reason, :after)"
                ),
                {"action": action, "target": target, "reason": reason, "after": json.dumps(after)},
            )
    upgrade(database_url)
    with sessionmaker(engine)() as session:
        assert policy.get(session, "ppc_refused").status == "refused"
        approved = policy.get(session, "ppc_approved")
        assert (approved.status, approved.decision_reason, approved.terms.hold_days) == ("approved", "fine", 7)
        waiting = policy.waiting_proposal(session)
        assert waiting is not None and (waiting.id, waiting.proposer, waiting.reason) == (
            "ppc_waiting",
            "usr_a",
            "faster still",
        )
    engine.dispose()


def test_0035_puts_each_coupon_code_in_its_issuers_namespace_and_back(own_database):
    """Codes were one namespace: a developer took WELCOME before finance did (attack54). After the
    upgrade a platform code and a developer's are each their issuer's, and one app's code is still
    unique in the app; down again, the codes are one namespace as before."""
    database_url = own_database
    command.downgrade(alembic_config(database_url), "0034")
    engine = create_engine(database_url)
    row = (
        "INSERT INTO coupons (id, app_id, code, title, issuer, funder, amount_off, starts_at, ends_at,"
        " per_person_limit, used, status, created_by, created_at) VALUES (:id, :app, :code, 'T', :issuer, :issuer,"
        " 1, CURRENT_TIMESTAMP, CURRENT_TIMESTAMP, 1, 0, 'active', 'test', CURRENT_TIMESTAMP)"
    )
    with engine.begin() as connection:
        connection.execute(
            text(
                "INSERT INTO apps (id, name, kind, category, description, created_at, updated_at)"
                " VALUES ('app-a', 'A', 'game', 'arcade', '', CURRENT_TIMESTAMP, CURRENT_TIMESTAMP)"
            )
        )
        connection.execute(text(row), {"id": "cpn_dev", "app": "app-a", "code": "SUMMER", "issuer": "developer"})
        connection.execute(text(row), {"id": "cpn_all", "app": None, "code": "WELCOME", "issuer": "platform"})
        connection.execute(text(row), {"id": "cpn_none", "app": "app-a", "code": None, "issuer": "developer"})
    upgrade(database_url)
    with engine.begin() as connection:
        scopes = {id_: scope for id_, scope in connection.execute(text("SELECT id, code_scope FROM coupons"))}
        assert scopes == {"cpn_dev": "app-a", "cpn_all": "*platform", "cpn_none": None}
        connection.execute(text(row), {"id": "cpn_fin", "app": None, "code": "SUMMER", "issuer": "platform"})
        connection.execute(text("UPDATE coupons SET code_scope = '*platform' WHERE id = 'cpn_fin'"))
    with pytest.raises(IntegrityError), engine.begin() as connection:
        connection.execute(text(row), {"id": "cpn_twice", "app": "app-a", "code": "SUMMER", "issuer": "developer"})
        connection.execute(text("UPDATE coupons SET code_scope = 'app-a' WHERE id = 'cpn_twice'"))
    with engine.begin() as connection:
        connection.execute(text("DELETE FROM coupons WHERE id = 'cpn_fin'"))
    command.downgrade(alembic_config(database_url), "0034")
    with pytest.raises(IntegrityError), engine.begin() as connection:
        connection.execute(text(row), {"id": "cpn_again", "app": None, "code": "SUMMER", "issuer": "platform"})
    engine.dispose()
