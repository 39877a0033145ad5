"""``minis ledger verify`` checks orders and top-ups against their transfers, not only the
transfers themselves (issue 12, item 5: an order marked refunded 100 whose refunds gave back 10
passed verification)."""

from __future__ import annotations

from sqlalchemy import update
from typer.testing import CliRunner

from openminis.cli import app as cli
from openminis.db import utcnow
from openminis.payments.models import Order, OrderEvent, TopUp
from tests.studio import buy, put_product, top_up

runner = CliRunner()


def ledger_verify(settings, database_url: str) -> tuple[int, str]:
    """The command's exit code and what it printed, unwrapped (the console wraps long lines)."""
    result = runner.invoke(
        cli, ["ledger", "verify", "--data-dir", str(settings.data_dir)], env={"MINIS_DATABASE_URL": database_url}
    )
    return result.exit_code, " ".join(result.output.split())


def test_ledger_verify_passes_sound_orders_and_top_ups_and_fails_on_an_order_refunded_beyond_its_transfers(
    client, studio, player, platform, settings, database_url
):
    put_product(client, studio, "chest", price=100)
    top_up(player)
    order = buy(player, studio.app_id, "chest", "k1").json()
    refund = studio.backend(client).refund(order["id"], idempotency_key="r1", amount=10)
    assert refund["refunded"] == 10
    code, said = ledger_verify(settings, database_url)
    assert code == 0, said
    assert "orders, top-ups, unlocks, passes and payouts match their transfers" in said

    # What the refund race left behind: marked refunded 100, with ten events, for one transfer of 10.
    with platform.db.session() as session:
        session.execute(update(Order).where(Order.id == order["id"]).values(refunded=100, status="refunded"))
        session.add_all(
            OrderEvent(order_id=order["id"], status="refunded", details={"amount": 10}, at=utcnow()) for _ in range(9)
        )
        session.commit()
    code, said = ledger_verify(settings, database_url)
    assert code == 1
    assert f"order {order['id']} is marked refunded 100 but its 1 refund transfers gave back 10" in said
    assert f"order {order['id']} has 10 refund events for 1 refund transfers" in said


def test_ledger_verify_fails_on_a_paid_order_without_its_payment_and_a_top_up_credited_without_coins(
    client, studio, player, platform, settings, database_url
):
    put_product(client, studio, "chest", price=100)
    top_up(player)
    with platform.db.session() as session:
        session.add(
            Order(
                id="ord_unpaid",
                app_id=studio.app_id,
                user_id=session.get(TopUp, top_up(player, "coins-100")["id"]).user_id,
                product_id="chest",
                product_type="consumable",
                quantity=1,
                amount=100,
                fee=30,
                payload="",
                idempotency_key="forged",
                created_by="sdk",
                status="paid",
                refunded=0,
                created_at=utcnow(),
                paid_at=utcnow(),
            )
        )
        session.add(
            TopUp(
                id="top_free",
                user_id=session.get(Order, "ord_unpaid").user_id,
                pack_id="coins-100",
                coins=100,
                amount=99,
                currency="USD",
                market="US",
                provider="sandbox",
                status="succeeded",
            )
        )
        session.commit()
    code, said = ledger_verify(settings, database_url)
    assert code == 1
    assert "order ord_unpaid is paid but no transfer paid for it" in said
    assert "top-up top_free succeeded for 100 coins but its coin transfer moved nothing" in said
