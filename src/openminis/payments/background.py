"""The payments domain's background jobs, registered with the platform's job registry."""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from sqlalchemy.orm import Session

from openminis.egress import Outcome
from openminis.jobs import service as jobs
from openminis.payments import notifications, refunds, topups
from openminis.payments.models import TopUp
from openminis.payments.providers import PaymentProvider, RefundUnavailable

if TYPE_CHECKING:
    from openminis.platform import Platform  # the composition root, above this domain: named, not imported

SANDBOX_CONFIRM = "payments.sandbox_confirm"
SANDBOX_DELAY = timedelta(seconds=5)
# A provider that cannot be reached is asked about a refund again for three days; after that the
# refund stays requested, its last error saying so, in the person's money records in /admin.
REFUND_POLICY = jobs.Policy(first=timedelta(minutes=1), cap=timedelta(hours=2), give_up_after=timedelta(days=3))


class ProviderRefunds:
    """jobs.Call for refunds.PROVIDER_REFUND_JOB: prepare -> refund (no session open) -> record."""

    def __init__(self, providers: Callable[[], Mapping[str, PaymentProvider]]):
        self._providers = providers

    def prepare(self, session: Session, payload: jobs.Payload) -> refunds.AskingProvider | None:
        return refunds.asking_provider(session, str(payload.get("key", "")))

    def send(self, prepared: refunds.AskingProvider) -> Outcome:
        started = time.monotonic()
        provider = self._providers().get(prepared.provider)
        try:
            if provider is None:
                raise RefundUnavailable(f"the payment provider {prepared.provider!r} is not configured here")
            prepared.answer = provider.refund(prepared.request)
        except RefundUnavailable as exc:
            return Outcome(None, exc.message, _ms(started))
        return Outcome(200, None, _ms(started))

    def record(
        self,
        session: Session,
        payload: jobs.Payload,
        prepared: refunds.AskingProvider,
        outcome: Outcome,
        *,
        attempt: int,
        next_attempt: datetime | None,
    ) -> None:
        if prepared.answer is not None:
            refunds.settle(session, prepared.key, prepared.answer)
        else:
            refunds.note_trouble(session, prepared.key, outcome.error or "no answer", gave_up=next_attempt is None)


def _ms(started: float) -> int:
    return int((time.monotonic() - started) * 1000)


def register(registry: jobs.Registry, platform: Platform) -> None:
    registry.register_call(
        notifications.JOB, notifications.Deliverer(lambda: platform.http, platform.egress), notifications.POLICY
    )
    registry.register_call(refunds.PROVIDER_REFUND_JOB, ProviderRefunds(lambda: platform.providers), REFUND_POLICY)

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
