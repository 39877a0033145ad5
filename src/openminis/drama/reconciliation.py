"""Drama's records against the ledger: every coin unlock, series purchase and paid pass period is
exactly one transfer, and no such transfer lacks its record (run by ``minis ledger verify``)."""

from __future__ import annotations

from collections import defaultdict

from sqlalchemy import select
from sqlalchemy.orm import Session

from openminis.drama.models import EpisodeUnlock, SeriesUnlock, Subscription
from openminis.wallet import service as ledger
from openminis.wallet.service import COIN


def verify(session: Session) -> list[str]:
    """Every disagreement between drama's records and the ledger, in words; empty when none."""
    return _unlocks(session) + _series(session) + _passes(session)


def _charged(session: Session, prefix: str) -> dict[str, ledger.Recorded]:
    return {transfer.key: transfer for transfer in ledger.transfers_keyed(session, prefix)}


def _unlocks(session: Session) -> list[str]:
    problems: list[str] = []
    charged = _charged(session, "unlock:")
    rows = session.execute(
        select(EpisodeUnlock.user_id, EpisodeUnlock.episode_id, EpisodeUnlock.method).execution_options(yield_per=2000)
    )
    for user_id, episode_id, method in rows:
        transfer = charged.pop(f"unlock:{user_id}:{episode_id}", None)
        if method == "coins" and (transfer is None or transfer.currency != COIN or transfer.amount <= 0):
            problems.append(
                f"episode {episode_id} was unlocked with coins by {user_id} but no coins were charged for it"
            )
        elif method != "coins" and transfer is not None:
            problems.append(
                f"episode {episode_id} was unlocked by {method} for {user_id}"
                f" but {transfer.amount} coins were charged for it"
            )
    problems += [f"transfer {key} charged for an episode unlock that does not exist" for key in charged]
    return problems


def _series(session: Session) -> list[str]:
    problems: list[str] = []
    charged = _charged(session, "series:")
    for user_id, series_id in session.execute(
        select(SeriesUnlock.user_id, SeriesUnlock.series_id).execution_options(yield_per=2000)
    ):
        transfer = charged.pop(f"series:{user_id}:{series_id}", None)
        if transfer is None or transfer.currency != COIN or transfer.amount <= 0:
            problems.append(f"series {series_id} was bought by {user_id} but no coins were charged for it")
    problems += [f"transfer {key} charged for a series purchase that does not exist" for key in charged]
    return problems


def _passes(session: Session) -> list[str]:
    """A subscription in its period N paid periods 1..N, one transfer each (a renewal that failed
    left its period unpaid and the subscription lapsed, so N did not move on)."""
    problems: list[str] = []
    periods: dict[str, set[int]] = defaultdict(set)
    for transfer in ledger.transfers_keyed(session, "pass:"):
        _, subscription_id, period = transfer.key.split(":", 2)
        if transfer.currency == COIN and transfer.amount > 0 and period.isdigit():
            periods[subscription_id].add(int(period))
    for subscription_id, current in session.execute(
        select(Subscription.id, Subscription.period).execution_options(yield_per=2000)
    ):
        paid = periods.pop(subscription_id, set())
        if paid != set(range(1, current + 1)):
            problems.append(
                f"subscription {subscription_id} is in period {current} but paid periods {sorted(paid) or 'none'}"
            )
    problems += [
        f"pass transfers for subscription {subscription_id}, which does not exist" for subscription_id in periods
    ]
    return problems
