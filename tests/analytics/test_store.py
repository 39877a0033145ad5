"""The event store in both its forms: the DuckDB file (beside SQLite) and the PostgreSQL table
partitioned by month (beside PostgreSQL). The same SQL reads both; an append is all or none."""

from __future__ import annotations

import threading
from datetime import UTC, datetime

import duckdb
import psycopg.errors
import pytest

from openminis.events.store import COLUMNS, PostgresEventStore, _pyformat, open_store

T = datetime(2026, 11, 27, 12, 0, tzinfo=UTC)


def event(type: str = "click", app_id: str = "game", *, ts: datetime = T, user_id: str | None = "u1") -> tuple:
    return (type, app_id, user_id, None, "feed", ts, ts, None, None, None)


def test_events_come_back_as_they_went_in_through_the_shared_sql(platform):
    store = platform.events
    store.append([event("click", ts=T), event("exposure", ts=T), event("click", app_id="other", ts=T, user_id=None)])
    rows = store.query(
        "SELECT app_id, count(*) FILTER (WHERE type = ?), extract(epoch FROM min(ts)) FROM events"
        " WHERE app_id LIKE 'g%' GROUP BY 1",
        ["click"],
    )
    assert [(app, count, float(epoch)) for app, count, epoch in rows] == [("game", 1, T.timestamp())]


def test_an_append_with_a_bad_row_keeps_none_of_its_rows(platform):
    store = platform.events
    with pytest.raises((duckdb.ConstraintException, psycopg.errors.NotNullViolation)):
        store.append([event("click"), (None, "game", "u1", None, "feed", T, T, None, None, None)])  # type is NOT NULL
    assert store.query("SELECT count(*) FROM events") == [(0,)]


def test_appends_from_many_threads_all_land(platform):
    store = platform.events
    months = [datetime(2026, month, 3, tzinfo=UTC) for month in (1, 2, 3, 4)]

    def send(n: int) -> None:
        for _ in range(5):
            store.append([event(ts=months[n % 4], user_id=f"u{n}")] * 10)

    threads = [threading.Thread(target=send, args=(n,)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert store.query("SELECT count(*), count(DISTINCT user_id) FROM events") == [(400, 8)]


@pytest.mark.postgres
def test_a_month_gets_its_own_partition_on_postgresql(postgres_url):
    store = PostgresEventStore(postgres_url)
    store.truncate()
    try:
        store.append([event(ts=datetime(2026, 1, 31, 23, 59, tzinfo=UTC)), event(ts=datetime(2026, 2, 1, tzinfo=UTC))])
        assert dict(store.query("SELECT tableoid::regclass::text, count(*) FROM events GROUP BY 1")) == {
            "events_2026_01": 1,
            "events_2026_02": 1,
        }
        # A report of one month reads that month's partition only.
        plan = "\n".join(
            row[0]
            for row in store.query(
                "EXPLAIN SELECT count(*) FROM events WHERE ts >= ? AND ts < ?",
                [datetime(2026, 2, 1, tzinfo=UTC), datetime(2026, 3, 1, tzinfo=UTC)],
            )
        )
        assert "events_2026_02" in plan and "events_2026_01" not in plan
    finally:
        store.truncate()
        store.close()


@pytest.mark.postgres
def test_reads_and_appends_leave_no_transaction_open_on_postgresql(postgres_url):
    # An append commits its COPY and a read ends its transaction when their connection goes back
    # to the pool: none stays "idle in transaction", holding its snapshot and locks.
    store = PostgresEventStore(postgres_url)
    store.truncate()
    try:
        store.append([event()])
        assert store.query("SELECT count(*) FROM events WHERE type = ?", ["click"]) == [(1,)]
        with store._engine.connect() as connection, connection.connection.cursor() as cursor:
            cursor.execute(
                "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                "AND state LIKE 'idle in transaction%' AND pid <> pg_backend_pid()"
            )
            assert cursor.fetchone() == (0,)
    finally:
        store.truncate()
        store.close()


def test_placeholders_become_psycopgs_and_quoted_text_stays():
    assert (
        _pyformat("SELECT '?', '50%' FROM events WHERE a = ? AND b LIKE 'x%'")
        == "SELECT '?', '50%%' FROM events WHERE a = %s AND b LIKE 'x%%'"
    )
    assert _pyformat("SELECT 'it''s ?' WHERE a = ?") == "SELECT 'it''s ?' WHERE a = %s"


def test_the_analytics_url_must_be_postgresql(tmp_path):
    with pytest.raises(ValueError, match="postgresql://"):
        open_store("mysql://somewhere/events", tmp_path / "events.duckdb")


def test_the_columns_of_both_forms_agree(platform):
    names = [
        row[0]
        for row in platform.events.query(
            "SELECT column_name FROM information_schema.columns WHERE table_name = 'events' ORDER BY ordinal_position"
        )
    ]
    assert names[: len(COLUMNS)] == list(COLUMNS)
    assert {"unit_id", "ad_id", "campaign_id", "post_id", "creator_id", "revenue", "currency"} <= set(names)


def test_pruning_removes_the_events_before_a_day_and_keeps_the_rest(platform):
    store = platform.events
    store.append(
        [event(ts=datetime(2026, month, day, tzinfo=UTC)) for month, day in ((1, 10), (2, 5), (3, 1), (3, 20), (4, 2))]
    )
    assert store.prune(datetime(2026, 3, 15, tzinfo=UTC)) == 3
    assert store.query("SELECT count(*) FROM events") == [(2,)]
    assert store.prune(datetime(2026, 3, 15, tzinfo=UTC)) == 0  # again: nothing left to remove
    store.append([event(ts=datetime(2026, 1, 3, tzinfo=UTC))])  # a pruned month takes events again
    assert store.query("SELECT count(*) FROM events WHERE ts < ?", [datetime(2026, 2, 1, tzinfo=UTC)]) == [(1,)]


@pytest.mark.postgres
def test_pruning_on_postgresql_drops_whole_months_with_their_partitions(postgres_url):
    store = PostgresEventStore(postgres_url)
    store.truncate()
    try:
        store.append(
            [
                event(ts=datetime(2025, 12, 31, tzinfo=UTC)),
                event(ts=datetime(2026, 1, 31, tzinfo=UTC)),
                event(ts=datetime(2026, 2, 10, tzinfo=UTC)),
            ]
        )
        assert store.prune(datetime(2026, 2, 1, tzinfo=UTC)) == 2
        partitions = {
            row[0]
            for row in store.query("SELECT relname FROM pg_class WHERE relname LIKE 'events\\_20%' AND relkind = 'r'")
        }
        assert (
            "events_2025_12" not in partitions and "events_2026_01" not in partitions and "events_2026_02" in partitions
        )
    finally:
        store.truncate()
        store.close()


def test_the_cli_prunes_after_asking(tmp_path):
    from typer.testing import CliRunner

    from openminis.cli import app as cli
    from openminis.platform import Platform
    from openminis.settings import Settings

    data = tmp_path / "data"
    platform = Platform(Settings(data_dir=data))
    platform.events.append([event(ts=datetime(2026, 1, 10, tzinfo=UTC)), event(ts=datetime(2026, 3, 10, tzinfo=UTC))])
    platform.close()
    runner = CliRunner()
    declined = runner.invoke(
        cli, ["analytics", "prune", "--before", "2026-02-01", "--data-dir", str(data)], input="n\n"
    )
    assert declined.exit_code == 1
    done = runner.invoke(cli, ["analytics", "prune", "--before", "2026-02-01", "--data-dir", str(data)], input="y\n")
    assert done.exit_code == 0, done.output
    assert "removed 1 events from before 2026-02-01" in done.output
    platform = Platform(Settings(data_dir=data))
    assert platform.events.query("SELECT count(*) FROM events") == [(1,)]
    platform.close()
