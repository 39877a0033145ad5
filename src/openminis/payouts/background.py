"""The payouts' send job: a payout in transit is asked of its provider, with no database
transaction open while the provider takes its time (jobs.Call), and the answer recorded.

Killed anywhere, the job runs again once its lease lapses and asks again with the same key; the
provider answers with the transfer it made (providers/__init__.py), and ``settle`` records it
once.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from openminis.egress import Outcome
from openminis.jobs import service as jobs
from openminis.payouts import service as payouts
from openminis.payouts.providers import PayoutProvider, PayoutUnavailable

# A provider that cannot be reached is asked again for three days; then finance is shown the
# payout with "gave up", and can send it again from /admin (service.retry).
POLICY = jobs.Policy(first=timedelta(minutes=1), cap=timedelta(hours=2), give_up_after=timedelta(days=3))


class Sender:
    """jobs.Call for SEND_JOB: prepare -> pay (no session open) -> record."""

    def __init__(self, providers: Callable[[], Mapping[str, PayoutProvider]]):
        self._providers = providers

    def prepare(self, session: Session, payload: jobs.Payload) -> payouts.Sending | None:
        return payouts.sending(session, str(payload.get("payout_id", "")))

    def send(self, prepared: payouts.Sending) -> Outcome:
        started = time.monotonic()
        provider = self._providers().get(prepared.provider)
        try:
            if provider is None:
                raise PayoutUnavailable(f"the payout provider {prepared.provider!r} is not configured here")
            prepared.sent = provider.pay(prepared.transfer)
        except PayoutUnavailable as exc:
            return Outcome(None, exc.message, _ms(started))
        return Outcome(200, None, _ms(started))

    def record(
        self,
        session: Session,
        payload: jobs.Payload,
        prepared: payouts.Sending,
        outcome: Outcome,
        *,
        attempt: int,
        next_attempt: datetime | None,
    ) -> None:
        if prepared.sent is not None:
            payouts.settle(session, prepared.payout_id, prepared.sent)
        else:
            payouts.note_trouble(
                session, prepared.payout_id, outcome.error or "no answer", gave_up=next_attempt is None
            )


def _ms(started: float) -> int:
    return int((time.monotonic() - started) * 1000)


def register(registry: jobs.Registry, providers: Callable[[], Mapping[str, PayoutProvider]]) -> None:
    registry.register_call(payouts.SEND_JOB, Sender(providers), POLICY)
