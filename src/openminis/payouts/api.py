"""The payees' payout routes, on the person's session: a developer's in the console
(``/api/developer/payouts``: the earnings of the apps they own), a creator's on the host
(``/api/creator/payouts``: their commissions). One set of routes, made for each payee."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fastapi import Depends, Path
from sqlalchemy.orm import Session

from openminis.creators import service as creators
from openminis.errors import NotFound
from openminis.payouts import policy, service
from openminis.payouts.models import Payout, PayoutAccount, PayoutEvent
from openminis.payouts.schemas import (
    AccountIn,
    AccountOut,
    EarningsOut,
    PayoutEventOut,
    PayoutIn,
    PayoutOut,
    PayoutsOut,
    PolicyOut,
    QuoteIn,
    QuoteOut,
)
from openminis.platform import Platform
from openminis.web.dependencies import (
    ChangingDeveloper,
    ChangingPerson,
    CurrentDeveloper,
    CurrentPerson,
    PlatformDep,
    SessionDep,
)
from openminis.web.routing import Router

PayoutId = Path(max_length=32)


def payouts_out(session: Session, payouts: list[Payout]) -> list[PayoutOut]:
    """Payouts as answered, each with the destination it goes to (their accounts in one query)."""
    accounts = service.accounts_by_id(session, {payout.account_id for payout in payouts})
    names = service.payee_names(session, [payout.payee for payout in payouts])
    return [_payout_out(payout, accounts.get(payout.account_id), [], names) for payout in payouts]


def payout_out(session: Session, payout: Payout, *, events: list[PayoutEvent] | None = None) -> PayoutOut:
    account = service.accounts_by_id(session, {payout.account_id}).get(payout.account_id)
    return _payout_out(payout, account, events or [], service.payee_names(session, [payout.payee]))


def _payout_out(
    payout: Payout, account: PayoutAccount | None, events: list[PayoutEvent], names: dict[str, str]
) -> PayoutOut:
    return PayoutOut.model_validate(
        {
            **{column.key: getattr(payout, column.key) for column in Payout.__mapper__.column_attrs},
            "payee_name": names.get(payout.payee),
            "destination": account.destination if account else None,
            "history": [PayoutEventOut.model_validate(e, from_attributes=True) for e in events],
        }
    )


def policy_out(terms: policy.Policy) -> PolicyOut:
    return PolicyOut(
        hold_days=terms.hold_days,
        rates=terms.rates,
        minimums=terms.minimums,
        auto_approve_below=terms.auto_approve_below,
    )


def _account_out(account: PayoutAccount | None) -> AccountOut | None:
    return AccountOut.model_validate(account, from_attributes=True) if account else None


def _offered(platform: Platform) -> str | None:
    try:
        return platform.payout_provider().name
    except NotFound:
        return None


def payee_router(prefix: str, reading: Callable[..., str], changing: Callable[..., str], tag: str) -> Router:
    """The routes of one kind of payee, who is ``reading(...)`` on a GET, ``changing(...)`` on
    anything else (which also checks the CSRF token and the origin)."""
    router = Router(prefix=prefix, tags=[tag])
    # Defaults, not Annotated aliases: the aliases would be local names, which FastAPI cannot
    # resolve from this module's postponed annotations.
    reader, changer = Depends(reading), Depends(changing)

    @router.get("", response_model=PayoutsOut)
    def overview(*, payee: str = reader, session: SessionDep, platform: PlatformDep) -> PayoutsOut:
        """Earnings (pending, withdrawable, in payout, paid), the payout account, the published
        terms and the payouts, newest first."""
        return PayoutsOut(
            earnings=[EarningsOut.model_validate(e, from_attributes=True) for e in service.earnings(session, payee)],
            account=_account_out(service.account_of(session, payee)),
            provider=_offered(platform),
            policy=policy_out(policy.current(session)),
            items=payouts_out(session, service.payouts_of(session, payee)),
        )

    @router.put("/account", response_model=AccountOut)
    def set_account(*, body: AccountIn, payee: str = changer, session: SessionDep, platform: PlatformDep) -> AccountOut:
        """Where payouts go from now on."""
        account = service.add_account(
            session,
            payee,
            platform.payout_provider(),
            destination=body.destination,
            currency=body.currency,
            holder=body.holder,
            by=payee.partition(":")[2],
        )
        return AccountOut.model_validate(account, from_attributes=True)

    @router.post("/quote", response_model=QuoteOut)
    def quote(*, body: QuoteIn, payee: str = changer, session: SessionDep) -> QuoteOut:
        """What a payout would pay, to confirm before asking (nothing is written)."""
        return QuoteOut.model_validate(
            service.quote(session, payee, source=body.source, amount=body.amount), from_attributes=True
        )

    @router.post("", response_model=PayoutOut, status_code=201)
    def request_payout(
        *, body: PayoutIn, payee: str = changer, visitor: ChangingPerson, session: SessionDep
    ) -> PayoutOut:
        """Ask for a payout confirmed at ``expect``; a retry with the idempotency key answers the same payout."""
        payout = service.request(
            session,
            payee,
            source=body.source,
            amount=body.amount,
            expect=body.expect,
            idempotency_key=body.idempotency_key,
            by=payee.partition(":")[2],
            person=visitor.user.id,
        )
        return payout_out(session, payout)

    @router.get("/{payout_id}", response_model=PayoutOut)
    def one(*, payee: str = reader, session: SessionDep, payout_id: str = PayoutId) -> PayoutOut:
        payout = session.get(Payout, payout_id)
        if payout is None or payout.payee != payee:
            raise NotFound(f"no payout {payout_id}", field="payout_id")
        return payout_out(session, payout, events=service.history(session, payout_id))

    @router.post("/{payout_id}/cancel", response_model=PayoutOut)
    def cancel(*, payee: str = changer, session: SessionDep, payout_id: str = PayoutId) -> PayoutOut:
        """Withdraw a payout not approved yet: its earnings return to the balance."""
        payout = service.cancel(session, payee, payout_id, by=payee.partition(":")[2])
        return payout_out(session, payout)

    return router


def _developer(developer: CurrentDeveloper) -> str:
    return service.developer_payee(developer.id)


def _changing_developer(developer: ChangingDeveloper) -> str:
    return service.developer_payee(developer.id)


def _creator(user_id: str, session: Session) -> str:
    if creators.find_creator(session, user_id) is None:
        raise NotFound("you are not a creator", code="NOT_A_CREATOR")
    return service.creator_payee(user_id)


def _reading_creator(visitor: CurrentPerson, session: SessionDep) -> str:
    return _creator(visitor.user.id, session)


def _changing_creator(visitor: ChangingPerson, session: SessionDep) -> str:
    return _creator(visitor.user.id, session)


developer_router = payee_router("/api/developer/payouts", _developer, _changing_developer, "developers")
creator_router = payee_router("/api/creator/payouts", _reading_creator, _changing_creator, "creators")
__all__: list[Any] = ["creator_router", "developer_router", "payout_out", "policy_out"]
