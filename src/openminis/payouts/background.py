"""The payouts' send job: a payout in transit is asked of its provider, with no database
transaction open while the provider takes its time (jobs.ProviderCall), and the answer recorded.

Killed anywhere, the job runs again once its lease lapses and asks again with the same key; the
provider answers with the transfer it made (providers/__init__.py), and ``settle`` records it
once.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import timedelta

from sqlalchemy.orm import Session

from openminis.jobs import service as jobs
from openminis.payouts import service as payouts
from openminis.payouts.providers import PayoutProvider, PayoutUnavailable, Sent

# A provider that cannot be reached is asked again for three days; then finance is shown the
# payout with "gave up", and can send it again from /admin (service.retry).
POLICY = jobs.Policy(first=timedelta(minutes=1), cap=timedelta(hours=2), give_up_after=timedelta(days=3))


def register(registry: jobs.Registry, providers: Callable[[], Mapping[str, PayoutProvider]]) -> None:
    def ask(sending: payouts.Sending) -> Sent:
        provider = providers().get(sending.provider)
        if provider is None:
            raise PayoutUnavailable(f"the payout provider {sending.provider!r} is not configured here")
        return provider.pay(sending.transfer)

    def trouble(session: Session, sending: payouts.Sending, error: str, gave_up: bool) -> None:
        payouts.note_trouble(session, sending.payout_id, error, gave_up=gave_up)

    call = jobs.ProviderCall(
        prepare=lambda session, payload: payouts.sending(session, str(payload.get("payout_id", ""))),
        ask=ask,
        settle=lambda session, sending, sent: payouts.settle(session, sending.payout_id, sent),
        trouble=trouble,
        unavailable=PayoutUnavailable,
    )
    registry.register_call(payouts.SEND_JOB, call, POLICY)
