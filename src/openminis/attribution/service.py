"""Attribution: which launch, source and creator a conversion (a purchase, an episode unlock, a
completed rewarded ad) belongs to, and the creator's commission for it.

The rule, last touch within a window:
- A conversion's *source* is the source of the launch it happened in (feed, hub, search, recents,
  share, post, direct); with no launch named, it has none.
- Its *creator* is the creator of the most recent launch from one of their posts (source "post",
  or a shared post) by the same person into the same app, at most ``window`` (default 7 days)
  before the conversion. Launches from other sources do not take the credit away: the hub earns
  no commission, and a person who found the game through a creator and comes back through the
  hub the next day was still brought by that creator.
- The *first touch* (the earliest creator launch into the app, at any age) is kept beside it.
- No commission when the person is the creator (nobody earns from their own purchases).

The commission is ``creator_commission_bps`` (default 10 %, per app) of the developer's net
revenue of the conversion, moved to the creator's ``creator_earnings`` account in the payment's
own ledger transfer (or, for ad revenue, a transfer of its own); refunds take back their part, as
far as the creator's earnings still hold it, the platform's revenue covering the rest (claw_back).
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Protocol, cast

from sqlalchemy import Table, func, insert, select, update
from sqlalchemy.orm import Session

from openminis.attribution.models import Conversion
from openminis.errors import InvalidArgument
from openminis.pagination import decode_cursor, encode_cursor
from openminis.runtime import service as runtime
from openminis.wallet import service as ledger
from openminis.wallet.service import Leg

CREATOR_EARNINGS = "creator_earnings"
DEFAULT_WINDOW = timedelta(days=7)
DEFAULT_COMMISSION_BPS = 1000


@dataclass(frozen=True)
class Attribution:
    launch_id: str | None = None
    source: str | None = None
    creator_id: str | None = None
    post_id: str | None = None
    first_creator_id: str | None = None
    first_post_id: str | None = None


NONE = Attribution()


_INSERT_CONVERSION = insert(cast(Table, Conversion.__table__))


def attribute(
    session: Session,
    *,
    user_id: str,
    app_id: str,
    launch_id: str | None,
    at: datetime,
    window: timedelta = DEFAULT_WINDOW,
) -> Attribution:
    """Where a conversion by ``user_id`` in ``app_id`` at ``at`` came from (the rule above).
    A named launch must be this person's launch of this app."""
    source = None
    if launch_id is not None:
        launch = runtime.get_launch(session, launch_id)
        if launch is None or launch.user_id != user_id or launch.app_id != app_id:
            raise InvalidArgument("launch_id is not a launch of this app by this person", field="launch_id")
        source = launch.source
    last, first = runtime.creator_touches(session, user_id=user_id, app_id=app_id, at=at, since=at - window)
    creator_id, post_id = (last.creator_id, last.post_id) if last else (None, None)
    first_creator_id, first_post_id = (first.creator_id, first.post_id) if first else (None, None)
    if creator_id == user_id:
        creator_id = post_id = None  # a creator's own purchases earn them nothing
    return Attribution(
        launch_id=launch_id,
        source=source,
        creator_id=creator_id,
        post_id=post_id,
        first_creator_id=first_creator_id,
        first_post_id=first_post_id,
    )


def commission(developer_net: int, bps: int, attribution: Attribution) -> int:
    return developer_net * bps // 10_000 if attribution.creator_id and developer_net > 0 else 0


def creator_leg(session: Session, attribution: Attribution, amount: int, currency: str) -> list[Leg]:
    """The creator's leg of a payment's transfer (none when there is no commission)."""
    if not amount or attribution.creator_id is None:
        return []
    return [Leg(ledger.account_id(session, CREATOR_EARNINGS, attribution.creator_id, currency), amount)]


def record(
    session: Session,
    *,
    kind: str,
    ref: str,
    app_id: str,
    user_id: str,
    attribution: Attribution,
    currency: str,
    revenue: int,
    developer_net: int,
    commission: int,
    at: datetime,
) -> None:
    """Keep the conversion (in the caller's transaction): what creators' earnings and the
    developer's questions ("which exposure led to which payment") are answered from."""
    session.execute(
        _INSERT_CONVERSION,
        dict(
            kind=kind,
            ref=ref,
            app_id=app_id,
            user_id=user_id,
            launch_id=attribution.launch_id,
            source=attribution.source,
            creator_id=attribution.creator_id,
            post_id=attribution.post_id,
            first_creator_id=attribution.first_creator_id,
            first_post_id=attribution.first_post_id,
            currency=currency,
            revenue=revenue,
            developer_net=developer_net,
            commission=commission,
            clawed_back=0,
            owed=0,
            at=at,
        ),
    )


def creator_conversions(
    session: Session, creator_id: str, *, cursor: str | None = None, limit: int = 20
) -> tuple[list[Conversion], str | None]:
    """The conversions attributed to a creator, newest first, a page at a time (their earnings)."""
    statement = select(Conversion).where(Conversion.creator_id == creator_id)
    if cursor:
        at, conversion_id = decode_cursor(cursor, int)
        statement = statement.where((Conversion.at < at) | ((Conversion.at == at) & (Conversion.id < conversion_id)))
    found = list(session.scalars(statement.order_by(Conversion.at.desc(), Conversion.id.desc()).limit(limit + 1)))
    page = found[:limit]
    return page, (encode_cursor(page[-1].at, page[-1].id) if len(found) > limit else None)


def find(session: Session, ref: str) -> Conversion | None:
    return session.scalar(select(Conversion).where(Conversion.ref == ref))


PLATFORM_REVENUE = "platform_revenue"


@dataclass(frozen=True)
class ClawedBack:
    """A refund's part of a conversion's commission, as it is taken back: ``given`` from the
    creator's earnings (``creator``, the account), ``covered`` by the platform's revenue
    (``platform``): what the earnings no longer held."""

    given: int
    covered: int
    creator: int
    platform: int


def claw_back(
    session: Session, conversion: Conversion, part: int, *, payer: int, accounts: Collection[int], platform_gives: int
) -> ClawedBack:
    """Take back ``part`` of a conversion's commission for a refund (the refund works the part out
    with the other parties' parts: payments/refund_shares.py): from the creator's earnings as far
    as they hold it, their whole balance, pending included; the rest, paid out to the creator
    already, the platform covers from its revenue, in the refund's own transfer. The creator is no
    party to a refund: their payout must not keep a person from being refunded. The conversion
    counts as clawed back only what the creator gave.

    ``payer``: the wallet the refund credits; ``accounts``: the transfer's other accounts;
    ``platform_gives``: what the transfer takes from the platform's revenue besides (its fee's part).
    Refused (InsufficientFunds) if the platform's revenue cannot give that and the cover too."""
    assert conversion.creator_id is not None  # only a creator's commission is taken back
    creator = ledger.account_id(session, CREATOR_EARNINGS, conversion.creator_id, conversion.currency)
    platform = ledger.account_id(session, PLATFORM_REVENUE, "", conversion.currency)
    # Held before they are read, so that refunds at once do not both count the same coins (nor a
    # payout take them meanwhile), and in the ledger's one lock order (wallet/service.py: people's
    # accounts, then shared ones by id), which the transfer then keeps: the creator's account taken
    # before a shared one of a lower id would wait in a cycle with the posting job, which takes
    # them by id.
    ledger.lock(session, [payer])
    ledger.lock(session, {*accounts, creator, platform} - {payer})
    held = max(ledger.balance(session, creator), 0)
    given = min(part, held)
    covered = part - given
    if covered and ledger.balance(session, platform) < platform_gives + covered:
        raise ledger.InsufficientFunds(
            f"the creator earnings no longer hold {covered} of the commission this refund takes back"
            f" (paid out), and the platform revenue cannot cover it: it cannot give {platform_gives + covered}"
        )
    if given or covered:
        session.execute(
            update(Conversion)
            .where(Conversion.id == conversion.id)
            .values(clawed_back=Conversion.clawed_back + given, owed=Conversion.owed + covered)
            .execution_options(synchronize_session=False)
        )
    return ClawedBack(given=given, covered=covered, creator=creator, platform=platform)


def owed_by(session: Session, creator_id: str, currency: str) -> int:
    """The commission the platform covered for this creator on refunds and has not had back (see
    ``claw_back``). The caller holds the creator's earnings account: a refund covering more waits."""
    owed = session.scalar(
        select(func.coalesce(func.sum(Conversion.owed), 0)).where(
            Conversion.creator_id == creator_id, Conversion.currency == currency, Conversion.owed > 0
        )
    )
    return int(owed or 0)


def repaid(session: Session, creator_id: str, currency: str, amount: int) -> None:
    """``amount`` of what the creator owes (``owed_by``) is given back to the platform: the oldest
    conversions' debts first. The caller holds the creator's earnings account."""
    debts = session.execute(
        select(Conversion.id, Conversion.owed)
        .where(Conversion.creator_id == creator_id, Conversion.currency == currency, Conversion.owed > 0)
        .order_by(Conversion.id)
    ).all()
    for conversion_id, owed in debts:
        if amount <= 0:
            break
        part = min(int(owed), amount)
        session.execute(
            update(Conversion)
            .where(Conversion.id == conversion_id)
            .values(owed=Conversion.owed - part)
            .execution_options(synchronize_session=False)
        )
        amount -= part
    assert amount <= 0, "repaid more than the creator owed"


def of(conversion: Conversion | None) -> Attribution:
    """The attribution a kept conversion was given (for its refund's analytics event)."""
    if conversion is None:
        return NONE
    return Attribution(
        launch_id=conversion.launch_id,
        source=conversion.source,
        creator_id=conversion.creator_id,
        post_id=conversion.post_id,
        first_creator_id=conversion.first_creator_id,
        first_post_id=conversion.first_post_id,
    )


class ConversionRecorder(Protocol):
    """Where conversion events go: the platform's ``conversions`` (analytics' ConversionEvents)."""

    def record(
        self,
        type: str,
        *,
        app_id: str,
        user_id: str,
        launch_id: str | None,
        source: str | None,
        post_id: str | None,
        creator_id: str | None,
        revenue: int,
        currency: str,
    ) -> None: ...


def report(
    events: ConversionRecorder, type: str, *, app_id: str, user_id: str, touch: Attribution, revenue: int, currency: str
) -> None:
    """The conversion's analytics event (``platform.conversions``), after its transaction committed."""
    events.record(
        type,
        app_id=app_id,
        user_id=user_id,
        launch_id=touch.launch_id,
        source=touch.source,
        post_id=touch.post_id,
        creator_id=touch.creator_id,
        revenue=revenue,
        currency=currency,
    )
