"""The payments domain's background jobs, registered with the platform's job registry."""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING

from sqlalchemy.orm import Session

from openminis.jobs import service as jobs
from openminis.payments import notifications, refunds, topups
from openminis.payments.models import TopUp
from openminis.payments.providers import RefundAnswer, RefundUnavailable

if TYPE_CHECKING:
    from openminis.platform import Platform  # the composition root, above this domain: named, not imported

SANDBOX_CONFIRM = "payments.sandbox_confirm"
SANDBOX_DELAY = timedelta(seconds=5)
# A provider that cannot be reached is asked about a refund again for three days; after that the
# refund stays requested, its last error saying so, in the person's money records in /admin.
REFUND_POLICY = jobs.Policy(first=timedelta(minutes=1), cap=timedelta(hours=2), give_up_after=timedelta(days=3))


def register(registry: jobs.Registry, platform: Platform) -> None:
    registry.register_call(
        notifications.JOB, notifications.Deliverer(lambda: platform.http, platform.egress), notifications.POLICY
    )

    def ask_refund(asking: refunds.AskingProvider) -> RefundAnswer:
        provider = platform.providers.get(asking.provider)
        if provider is None:
            raise RefundUnavailable(f"the payment provider {asking.provider!r} is not configured here")
        return provider.refund(asking.request)

    def refund_trouble(session: Session, asking: refunds.AskingProvider, error: str, gave_up: bool) -> None:
        refunds.note_trouble(session, asking.key, error, gave_up=gave_up)

    refunding = jobs.ProviderCall(
        prepare=lambda session, payload: refunds.asking_provider(session, str(payload.get("key", ""))),
        ask=ask_refund,
        settle=lambda session, asking, answer: refunds.settle(session, asking.key, answer),
        trouble=refund_trouble,
        unavailable=RefundUnavailable,
    )
    registry.register_call(refunds.PROVIDER_REFUND_JOB, refunding, REFUND_POLICY)

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
