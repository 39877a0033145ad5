"""The payouts' send job: a payout in transit is asked of its provider, with no database
transaction open while the provider takes its time (jobs.ProviderCall), and the answer recorded.

Killed anywhere, the job runs again once its lease lapses and asks again with the same key; the
provider answers with the transfer it made (providers/__init__.py), and ``settle`` records it
once.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

from sqlalchemy.orm import Session

from openminis.jobs import service as jobs
from openminis.payouts import service as payouts
from openminis.payouts.providers import PayoutProvider, PayoutUnavailable


def register(registry: jobs.Registry, providers: Callable[[], Mapping[str, PayoutProvider]]) -> None:
    def trouble(session: Session, sending: payouts.Sending, error: str, gave_up: bool) -> None:
        # After three days finance is shown the payout with "gave up", and may send it again (service.retry).
        payouts.note_trouble(session, sending.payout_id, error, gave_up=gave_up)

    call = jobs.ProviderCall(
        providers=providers,
        prepare=lambda session, payload: payouts.sending(session, str(payload.get("payout_id", ""))),
        ask=lambda provider, sending: provider.pay(sending.transfer),
        settle=lambda session, sending, sent: payouts.settle(session, sending.payout_id, sent),
        trouble=trouble,
        unavailable=PayoutUnavailable,
    )
    registry.register_call(payouts.SEND_JOB, call, jobs.PROVIDER_POLICY)
