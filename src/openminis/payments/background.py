"""The payments domain's background jobs, registered with the platform's job registry."""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING

from sqlalchemy.orm import Session

from openminis.jobs import service as jobs
from openminis.payments import notifications, refunds, topups
from openminis.payments.models import TopUp
from openminis.payments.providers import RefundUnavailable

if TYPE_CHECKING:
    from openminis.platform import Platform  # the composition root, above this domain: named, not imported

SANDBOX_CONFIRM = "payments.sandbox_confirm"
SANDBOX_DELAY = timedelta(seconds=5)


def register(registry: jobs.Registry, platform: Platform) -> None:
    registry.register_call(
        notifications.JOB, notifications.Deliverer(lambda: platform.http, platform.egress), notifications.POLICY
    )

    def refund_trouble(session: Session, asking: refunds.AskingProvider, error: str, gave_up: bool) -> None:
        refunds.note_trouble(session, asking.key, error, gave_up=gave_up)

    # After three days a refund stays requested, "gave up" in the person's money records in /admin.
    refunding = jobs.ProviderCall(
        providers=lambda: platform.providers,
        prepare=lambda session, payload: refunds.asking_provider(session, str(payload.get("key", ""))),
        ask=lambda provider, asking: provider.refund(asking.request),
        settle=lambda session, asking, answer: refunds.settle(session, asking.key, answer),
        trouble=refund_trouble,
        unavailable=RefundUnavailable,
    )
    registry.register_call(refunds.PROVIDER_REFUND_JOB, refunding, jobs.PROVIDER_POLICY)

    def sandbox_confirm(session: Session, payload: jobs.Payload) -> None:
        # Signed when sent, not when queued, like a provider's webhook: a late job is not stale.
        topup = session.get_one(TopUp, payload["topup_id"])
        body, headers = platform.sandbox.event(
            kind="payment_succeeded",
            provider_ref=topup.provider_ref,
            topup_id=topup.id,
            amount=topup.amount,
            currency=topup.currency,
        )
        topups.handle_event(session, platform.sandbox.name, platform.sandbox.parse_webhook(body, headers))

    registry.register(SANDBOX_CONFIRM, sandbox_confirm)
