"""Coin packs and top-ups: buying coins from a payment provider, credited exactly once."""

from __future__ import annotations

import logging
import re
import secrets
from datetime import UTC, datetime, timedelta
from typing import Any, cast

from sqlalchemy import CursorResult, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from openminis.db import insert_ignoring_conflicts, take_turns, utcnow
from openminis.errors import Conflict, Forbidden, InvalidArgument, NotFound, PaymentRequired
from openminis.identity import service as identity
from openminis.jobs import service as jobs
from openminis.payments import prices, refunds, reversals
from openminis.payments.models import CoinPack, ProviderEventSeen, TopUp
from openminis.payments.providers import CheckoutRequest, PaymentProvider, ProviderEvent, WebhookRejected
from openminis.payments.providers.sandbox import SandboxProvider
from openminis.unit_of_work import follow_up
from openminis.wallet import service as ledger
from openminis.wallet.service import COIN, Leg

log = logging.getLogger("openminis.payments")
OPEN = ("created", "requires_action", "pending")
CLOSED_UNPAID = ("failed", "expired")  # ended without a payment, as far as the platform knew
# Closed because its person deleted the account (close_open): a payment it still brings in is refunded.
CANCELLED = "cancelled"
# A refund's key no staff key can take (theirs hold no "@"), so it is made once per top-up.
AFTER_DELETION_KEY = "@account-deleted"
AFTER_PAYMENT = ("payment_refunded", "payment_disputed", "dispute_reinstated", "refund_failed")
CLAIM_REF = re.compile(r"[A-Za-z0-9_]{1,64}")  # a dispute's or a refund's id (the former in a refund's key)

# Prices per market in minor units; JPY has none. Operators change packs in the database.
DEFAULT_PACKS = [
    ("coins-100", 100, 0, {"US": ("USD", 99), "EU": ("EUR", 99), "GB": ("GBP", 89), "JP": ("JPY", 160)}),
    ("coins-550", 500, 50, {"US": ("USD", 499), "EU": ("EUR", 499), "GB": ("GBP", 449), "JP": ("JPY", 800)}),
    ("coins-1200", 1000, 200, {"US": ("USD", 999), "EU": ("EUR", 999), "GB": ("GBP", 899), "JP": ("JPY", 1600)}),
    ("coins-6500", 5000, 1500, {"US": ("USD", 4999), "EU": ("EUR", 4999), "GB": ("GBP", 4499), "JP": ("JPY", 8000)}),
]


class PaymentDeclined(PaymentRequired):
    """Raised once the declined top-up is marked failed: the route answers it without rolling that back."""

    code = "PAYMENT_DECLINED"


def _default_packs() -> list[CoinPack]:
    return [
        CoinPack(
            id=pack_id,
            coins=coins,
            bonus_coins=bonus,
            sort=sort,
            active=True,
            prices={m: {"currency": c, "amount": a} for m, (c, a) in pack_prices.items()},
        )
        for sort, (pack_id, coins, bonus, pack_prices) in enumerate(DEFAULT_PACKS)
    ]


def _no_packs(session: Session) -> bool:
    return session.scalar(select(CoinPack.id).limit(1)) is None


def ensure_default_packs(session: Session) -> None:
    """Make the default packs on first use (operators change them in the database afterwards)."""
    if not _no_packs(session):
        return
    try:
        with session.begin_nested():
            session.add_all(_default_packs())
    except IntegrityError:
        pass  # a concurrent first use made them


def packs(session: Session) -> list[CoinPack]:
    if _no_packs(session):
        # A GET's read session on SQLite cannot write after it has read (db.py): the first look
        # shows the defaults as they will be saved, by a unit of its own once this one ends.
        follow_up(session, ensure_default_packs)
        return _default_packs()
    return list(session.scalars(select(CoinPack).where(CoinPack.active).order_by(CoinPack.sort)))


def start_topup(
    session: Session,
    provider: PaymentProvider,
    *,
    user_id: str,
    pack_id: str,
    market: str,
    amount: int | None,
    currency: str | None,
    coins: int | None = None,
    return_url: str,
) -> tuple[TopUp, str | None]:
    """Create a top-up and its checkout at the provider, at the price (and for the coins) the person
    confirmed, else PRICE_CHANGED; returns it and where to pay (None: the host draws it)."""
    ensure_default_packs(session)
    now = price_now(session, pack_id, market)
    prices.confirm(now, amount=amount, currency=currency, coins=coins, what=f"{now.coins} coins")
    topup = TopUp(
        id="top_" + secrets.token_hex(10),
        user_id=user_id,
        pack_id=pack_id,
        coins=now.coins,
        amount=now.amount,
        currency=now.currency,
        market=market,
        provider=provider.name,
    )
    session.add(topup)
    session.flush()
    checkout = provider.start_checkout(
        CheckoutRequest(
            topup_id=topup.id,
            user_id=user_id,
            pack_id=pack_id,
            title=f"{topup.coins} coins",
            amount=topup.amount,
            currency=topup.currency,
            success_url=f"{return_url}?topup={topup.id}",
            cancel_url=f"{return_url}?topup={topup.id}&cancelled=1",
        )
    )
    topup.provider_ref = checkout.provider_ref
    return topup, checkout.redirect_url


def price_now(session: Session, pack_id: str, market: str) -> prices.Price:
    """The pack's price in the market and the coins it buys, as the operator has it now; a pack
    taken off sale, or not sold in the market, has none."""
    pack = session.get(CoinPack, pack_id)
    if pack is None or not pack.active:
        raise NotFound(f"no coin pack {pack_id!r}", field="pack_id")
    price = pack.prices.get(market)
    if price is None:
        raise InvalidArgument(f"pack {pack_id} is not sold in market {market!r}", field="market")
    return prices.Price(price["amount"], price["currency"], coins=pack.coins + pack.bonus_coins)


def _still_priced(session: Session, topup: TopUp) -> None:
    """A sandbox checkout is paid at its pack as the operator has it now: one opened before the
    pack changed (its price in the market, or its coins) is refused PRICE_CHANGED, nothing
    charged, with the price now; so an old price cannot be kept in an open checkout and paid later."""
    now = price_now(session, topup.pack_id, topup.market)
    prices.confirm(now, amount=topup.amount, currency=topup.currency, coins=topup.coins, what=f"{now.coins} coins")


def get_topup(session: Session, topup_id: str, user_id: str, *, lock: bool = False) -> TopUp:
    """The person's top-up; with ``lock``, its row held until the unit of work ends."""
    topup = session.get(TopUp, topup_id, with_for_update=lock, populate_existing=lock)
    if topup is None or topup.user_id != user_id:
        raise NotFound(f"no top-up {topup_id!r}")
    return topup


def handle_event(session: Session, provider_name: str, event: ProviderEvent) -> TopUp | None:
    """Act on a verified provider event, once per event id. A duplicate changes nothing; a rejected
    event raises, and its unit of work rolls back (so it is not remembered as seen)."""
    if event.kind == "ignored":
        return None
    if not insert_ignoring_conflicts(
        session, ProviderEventSeen, {"provider": provider_name, "event_id": event.event_id, "received_at": utcnow()}
    ):
        log.info("provider event %s/%s seen before; ignored", provider_name, event.event_id)
        return None  # nothing written
    if event.kind in AFTER_PAYMENT:
        _after_payment(session, provider_name, event)
        return None
    topup = session.get(TopUp, event.topup_id) if event.topup_id else None
    if topup is None and event.provider_ref:
        topup = session.scalar(select(TopUp).where(TopUp.provider_ref == event.provider_ref))
    if topup is None or topup.provider != provider_name:
        raise WebhookRejected(f"event {event.event_id} names no top-up of {provider_name}")
    if event.provider_ref and topup.provider_ref and event.provider_ref != topup.provider_ref:
        raise WebhookRejected(f"event {event.event_id} is about {event.provider_ref}, not top-up {topup.id}'s checkout")
    if event.kind == "payment_succeeded" and (event.amount is None or event.provider_ref != topup.provider_ref):
        # Coins are credited only for a payment the provider names: its amount, which the top-up
        # asked for (below), and the checkout the top-up opened.
        raise WebhookRejected(f"event {event.event_id} says a payment succeeded but not its amount or checkout")
    if event.amount is not None and (event.amount != topup.amount or (event.currency or "").upper() != topup.currency):
        raise WebhookRejected(
            f"event {event.event_id} amount {event.amount} {event.currency} does not match top-up {topup.id}"
        )
    if event.kind == "payment_succeeded":
        credit(session, topup, payment_ref=event.payment_ref)
    elif event.kind == "payment_pending":
        _move(session, topup, "pending", allowed=("created", "requires_action"))
    elif event.kind == "payment_failed":
        _move(session, topup, "failed", allowed=OPEN)
    elif event.kind == "checkout_expired":
        _move(session, topup, "expired", allowed=OPEN)
    session.refresh(topup)
    return topup


def _move(session: Session, topup: TopUp, status: str, *, allowed: tuple[str, ...], **also: str) -> bool:
    """A conditional status change: of two concurrent movers, one wins and the other changes nothing."""
    # An UPDATE's result is a CursorResult (its rowcount); Session.execute is typed as returning Result.
    changed = cast(
        CursorResult[Any],
        session.execute(
            update(TopUp)
            .where(TopUp.id == topup.id, TopUp.status.in_(allowed))
            .values(status=status, updated_at=utcnow(), **also)
            .execution_options(synchronize_session=False)
        ),
    ).rowcount
    return changed == 1


def _after_payment(session: Session, provider_name: str, event: ProviderEvent) -> None:
    """Money the provider gave back of a credited top-up's payment without the platform asking.
    Refused (and so sent again by the provider) until the top-up is credited: a refund can be
    heard before the payment it refunds."""
    topup = (
        session.scalar(select(TopUp).where(TopUp.payment_ref == event.payment_ref, TopUp.provider == provider_name))
        if event.payment_ref
        else None
    )
    if topup is None or topup.status != "succeeded":
        raise WebhookRejected(f"event {event.event_id} names no paid top-up of {provider_name} (yet)")
    if event.amount is None or not 0 <= event.amount <= topup.amount or event.currency != topup.currency:
        raise WebhookRejected(
            f"event {event.event_id} gives back {event.amount} {event.currency} of top-up {topup.id}"
            f" ({topup.amount} {topup.currency})"
        )
    if event.kind == "payment_refunded":
        reversals.refunded_at_provider(session, topup, total=event.amount, as_of=_when(event.created))
        return
    if event.claim_ref is None or not CLAIM_REF.fullmatch(event.claim_ref):
        raise WebhookRejected(f"event {event.event_id} names no dispute or refund")
    if event.kind == "refund_failed":
        why = event.extra.get("reason")
        reversals.refund_failed(session, topup, refund_id=event.claim_ref, why=why, at=_when(event.created))
    elif event.kind == "payment_disputed":
        reversals.disputed(session, topup, dispute_id=event.claim_ref, amount=event.amount)
    else:
        reversals.reinstated(session, topup, dispute_id=event.claim_ref)


def _when(created: int | None) -> datetime | None:
    """An event's time (unix seconds), when it has a plausible one."""
    return datetime.fromtimestamp(created, UTC) if created is not None and 0 < created < 2**33 else None


def credit(session: Session, topup: TopUp, *, payment_ref: str | None = None) -> None:
    """Mark the top-up paid and credit its coins, in the caller's transaction: both or neither.

    From any state but paid or refunded: a payment the provider says succeeded was taken from the
    person, so a top-up marked failed or expired before it (events out of order, a declined card
    racing a delayed one that was accepted) is credited all the same; only once, by the move.

    A payment for a person whose account was deleted (the top-up was closed by the deletion, or
    its checkout had closed unpaid before) buys no coins for a wallet nobody can spend: it is
    refunded in full, through the provider, in the same transaction (``refund_after_deletion``)."""
    # The person's row first, held shared as their own requests hold it, then the top-up's: a
    # deletion (which takes the person's row, then closes the top-ups) waits for this payment,
    # or committed first, is seen here. In the deletion's order, so neither waits for the other.
    erased = identity.live_user(session, topup.user_id, hold=True) is None
    found = session.get(TopUp, topup.id, with_for_update=True, populate_existing=True)
    assert found is not None  # a top-up is never deleted
    refund = erased or found.status == CANCELLED
    # With the payment's id, which refunds and disputes made at the provider name (reversals.py).
    paid = {"payment_ref": payment_ref} if payment_ref else {}
    if not _move(session, topup, "succeeded", allowed=(*OPEN, *CLOSED_UNPAID, CANCELLED), **paid):
        return
    issuance, wallet = ledger.account(session, "coin_issuance"), ledger.wallet(session, topup.user_id)
    ledger.transfer(
        session,
        key=f"topup:{topup.id}:coins",
        kind="topup",
        currency=COIN,
        legs=[Leg(issuance.id, -topup.coins), Leg(wallet.id, topup.coins)],
        details={"topup_id": topup.id},
    )
    clearing = ledger.account(session, "provider_clearing", topup.provider, topup.currency)
    sales = ledger.account(session, "coin_sales", "", topup.currency)
    ledger.transfer(
        session,
        key=f"topup:{topup.id}:money",
        kind="topup",
        currency=topup.currency,
        legs=[Leg(clearing.id, -topup.amount), Leg(sales.id, topup.amount)],
        details={"topup_id": topup.id},
    )
    if refund:
        refund_after_deletion(session, topup)


def refund_after_deletion(session: Session, topup: TopUp) -> None:
    """Give back in full a payment that arrived after its person deleted the account: its coins
    leave the wallet in the transaction that credited them (so no committed balance ever held them),
    and the provider is asked to refund the money, once, as for staff's refunds (refunds.py)."""
    tally, done = refunds.topup_turn(session, topup, AFTER_DELETION_KEY)
    if done is not None:
        return
    amount, before = refunds.claim(session, tally, None)
    coins = refunds.coins_due(session, topup, before + amount)
    details = {
        "item": f"topup:{topup.id}",
        "user_id": topup.user_id,
        "amount": amount,
        "coins": coins,
        "reason": "paid after the account was deleted",
        "by": "platform",
    }
    key = refunds.record_topup_refund(session, topup, AFTER_DELETION_KEY, amount=amount, coins=coins, details=details)
    jobs.enqueue(session, refunds.PROVIDER_REFUND_JOB, {"key": key}, unique_key=key)
    log.info("top-up %s was paid after its account was deleted: refunding %s %s", topup.id, amount, topup.currency)


def hand_over(session: Session, guest_id: str, account_id: str) -> None:
    """A guest signed in to an account (identity.accounts.on_guest_signed_in): its top-ups become
    the account's, which the browser now is; the guest's coins moved there and its wallet forwards
    there. Open ones, so that a payment that completes later (the sandbox's delayed card, a bank
    transfer, a provider's page left open) credits the account; closed ones too, so that what
    happens to them later follows the account's rules: a late payment of one marked failed is
    refunded if the account was deleted meanwhile (a probe: it was forwarded to the erased
    account's wallet), and a refund of a paid one is the account's. A payment being recorded for
    one of them at this moment holds its row: the update waits for it, its coins moving with the rest."""
    session.execute(
        update(TopUp)
        .where(TopUp.user_id == guest_id)
        .values(user_id=account_id, updated_at=utcnow())
        .execution_options(synchronize_session=False)
    )


def close_open(session: Session, user_id: str) -> None:
    """The person's top-ups still open, closed as their account is deleted: none takes a card or an
    approval any more, and a payment one still brings in (a bank transfer under way, a provider's
    checkout page left open) is refunded when it arrives (``credit``)."""
    session.execute(
        update(TopUp)
        .where(TopUp.user_id == user_id, TopUp.status.in_(OPEN))
        .values(status=CANCELLED, updated_at=utcnow())
        .execution_options(synchronize_session=False)
    )


def sandbox_pay(session: Session, sandbox: SandboxProvider, *, topup_id: str, user_id: str, card_number: str) -> TopUp:
    """The host's sandbox checkout submitted a card: decide as the test card says. Cards sent for
    one top-up at once (two tabs) take turns on its row, on PostgreSQL as on SQLite: the first
    decides, the others find it decided and answer its state."""
    topup = get_topup(session, topup_id, user_id, lock=True)
    if topup.provider != sandbox.name:
        raise Conflict("this top-up is not a sandbox payment", code="WRONG_PROVIDER")
    if topup.status not in ("created",):
        return topup
    _still_priced(session, topup)
    outcome = sandbox.outcome(card_number)
    if outcome == "succeeds":
        return _deliver(session, sandbox, topup, "payment_succeeded")
    if outcome == "declined":
        _deliver(session, sandbox, topup, "payment_failed")
        raise PaymentDeclined("the card was declined (test card 4000 0000 0000 0002)")
    if outcome == "challenge":
        _move(session, topup, "requires_action", allowed=("created",))
        session.refresh(topup)
        return topup
    _deliver(session, sandbox, topup, "payment_pending")
    # "Delayed" cards confirm a few seconds later, from a job, as a bank transfer would.
    jobs.enqueue(
        session,
        "payments.sandbox_confirm",
        {"topup_id": topup.id},
        unique_key=f"sandbox-confirm:{topup.id}",
        run_at=utcnow() + timedelta(seconds=5),
    )
    session.refresh(topup)
    return topup


def sandbox_challenge(
    session: Session, sandbox: SandboxProvider, *, topup_id: str, user_id: str, approve: bool
) -> TopUp:
    topup = get_topup(session, topup_id, user_id, lock=True)  # an approval and a denial at once: the first decides
    if topup.status != "requires_action":
        return topup
    if approve:  # the approval is the payment: at the pack as it is now
        _still_priced(session, topup)
    return _deliver(session, sandbox, topup, "payment_succeeded" if approve else "payment_failed")


def _deliver(session: Session, sandbox: SandboxProvider, topup: TopUp, kind: str) -> TopUp:
    """Send the sandbox's signed event through the same verification as a real provider's webhook."""
    body, headers = sandbox.event(
        kind=kind, provider_ref=topup.provider_ref, topup_id=topup.id, amount=topup.amount, currency=topup.currency
    )
    return handle_event(session, sandbox.name, sandbox.parse_webhook(body, headers)) or topup


MARKET = re.compile(r"^[A-Z]{2,8}\Z")
CURRENCY = re.compile(r"^[A-Z]{3}\Z")
PACK_ID = re.compile(r"^[a-z0-9-]{1,32}\Z")


def all_packs(session: Session) -> list[CoinPack]:
    """Every pack, on sale or not, for the operator."""
    ensure_default_packs(session)
    return list(session.scalars(select(CoinPack).order_by(CoinPack.sort, CoinPack.id)))


def put_pack(
    session: Session,
    pack_id: str,
    *,
    coins: int,
    bonus_coins: int,
    prices: dict[str, tuple[str, int]],
    active: bool,
    sort: int,
    may_loosen: bool,
) -> tuple[dict[str, Any] | None, CoinPack]:
    """Make or change a pack: its coins and its price per market (minor units). A change reaches
    top-ups started after it, and a sandbox checkout opened before it is refused PRICE_CHANGED
    when paid (``_still_priced``). A change that sells more coins for the money in a market
    (``_loosened_markets``) only with ``may_loosen`` (the owner, or the admin token): one member
    of finance made a 99-cent pack give 5,000,000 coins, bought it and changed it back (a probe).
    Returns the pack as it was (None: new) and as it is."""
    if not PACK_ID.match(pack_id):
        raise InvalidArgument("a pack id is 1-32 lowercase letters, digits or '-'", field="pack_id")
    if not 1 <= coins <= 10_000_000 or not 0 <= bonus_coins <= 10_000_000:
        raise InvalidArgument("coins are 1 to 10,000,000 and bonus coins 0 to 10,000,000", field="coins")
    for market, (currency, amount) in prices.items():
        if not MARKET.match(market) or not CURRENCY.match(currency) or not 1 <= amount <= 100_000_000:
            raise InvalidArgument(
                f"market {market!r}: a market code, an ISO 4217 currency and 1 to 100,000,000 minor units",
                field="prices",
            )
    ensure_default_packs(session)
    # Puts of one pack take turns: each made it when it found none, and on PostgreSQL all but the
    # first of puts at once failed on the key, a 500 (attack57b); each also reads the pack as the
    # one before left it, for the loosening check.
    take_turns(session, "coin-pack", pack_id)
    if not may_loosen:
        loosened = _loosened_markets(session, pack_id, coins=coins + bonus_coins, prices=prices, active=active)
        if loosened:
            raise Forbidden(
                f"this sells more coins for the money in {', '.join(loosened)} than is sold there now:"
                " the platform's owner makes such a change",
                code="PACK_NEEDS_OWNER",
            )
    pack = session.get(CoinPack, pack_id)
    before = pack_record(pack) if pack is not None else None
    if pack is None:
        pack = CoinPack(id=pack_id)
        session.add(pack)
    pack.coins, pack.bonus_coins, pack.active, pack.sort = coins, bonus_coins, active, sort
    pack.prices = {market: {"currency": currency, "amount": amount} for market, (currency, amount) in prices.items()}
    session.flush()
    return before, pack


def _loosened_markets(
    session: Session, pack_id: str, *, coins: int, prices: dict[str, tuple[str, int]], active: bool
) -> list[str]:
    """The markets in which this change of a pack (``coins``, bonus included) would sell more coins
    for the money than is sold there now: than the pack itself, on sale, at the same currency; else
    than the best pack on sale in that market at that currency; a market nothing is sold in at that
    currency counts too (any price there is new). None for a pack off sale: it sells nothing."""
    if not active:
        return []
    on_sale = list(session.scalars(select(CoinPack).where(CoinPack.active.is_(True))))
    own = next((p for p in on_sale if p.id == pack_id), None)
    others = [p for p in on_sale if p.id != pack_id]
    loosened = []
    for market, (currency, amount) in sorted(prices.items()):
        baseline = _sold_in(own, market, currency) if own is not None else None
        if baseline is None:
            rates = [rate for rate in (_sold_in(p, market, currency) for p in others) if rate is not None]
            baseline = max(rates, key=lambda rate: rate[0] / rate[1], default=None)
        # More coins per minor unit than the baseline: coins / amount > base_coins / base_amount.
        if baseline is None or coins * baseline[1] > baseline[0] * amount:
            loosened.append(market)
    return loosened


def _sold_in(pack: CoinPack, market: str, currency: str) -> tuple[int, int] | None:
    """What the pack sells in the market at that currency: its coins (bonus included) and price."""
    price = (pack.prices or {}).get(market)
    if not price or price.get("currency") != currency:
        return None
    return pack.coins + pack.bonus_coins, int(price["amount"])


def pack_record(pack: CoinPack) -> dict[str, Any]:
    """The pack as the audit log keeps it."""
    return {
        "coins": pack.coins,
        "bonus_coins": pack.bonus_coins,
        "prices": dict(pack.prices),
        "active": pack.active,
        "sort": pack.sort,
    }
