"""`minis ledger verify` on a ledger in use: what it reads is one moment of it. A probe ran it
beside a burst of purchases on PostgreSQL and was told "order ord_… is paid but no transfer paid
for it" three times (its read of the transfers came before a purchase's commit, its read of the
orders after); the same ledger verified once the burst was over."""

from __future__ import annotations

import threading

from sqlalchemy import Engine, event
from typer.testing import CliRunner

from openminis.cli import app
from tests.studio import buy, put_product, top_up

runner = CliRunner()


def test_a_purchase_committed_while_verify_reads_is_not_a_problem(client, studio, player, settings):
    put_product(client, studio, "extra-life", price=100)
    top_up(player)
    assert buy(player, studio.app_id, "extra-life", "before").status_code == 200
    bought: list[int] = []

    def buy_between_the_reads(conn, cursor, statement, parameters, context, executemany) -> None:
        # As the verify reads the orders, after it read the transfers: a purchase commits.
        if statement.lstrip().startswith("SELECT orders.id, orders.status") and not bought:
            done = threading.Thread(
                target=lambda: bought.append(buy(player, studio.app_id, "extra-life", "between").status_code)
            )
            done.start()
            done.join()

    event.listen(Engine, "before_cursor_execute", buy_between_the_reads)
    try:
        env = {"MINIS_DATABASE_URL": settings.database_url, "MINIS_ANALYTICS_URL": settings.analytics_url}
        verified = runner.invoke(app, ["ledger", "verify", "--data-dir", str(settings.data_dir)], env=env)
    finally:
        event.remove(Engine, "before_cursor_execute", buy_between_the_reads)
    assert bought == [200]  # the purchase went through while the verify read
    assert verified.exit_code == 0, verified.output
    assert "ledger verifies" in verified.output
    # And the ledger with it verifies too.
    again = runner.invoke(app, ["ledger", "verify", "--data-dir", str(settings.data_dir)], env=env)
    assert again.exit_code == 0, again.output
