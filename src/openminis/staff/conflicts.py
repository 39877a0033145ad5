"""What a member of staff may not do for themselves: a money act whose gain would be their own is
another member's to do, as a payout to them is (payouts/service.py, OWN_PAYOUT) and a loosening of
the payout terms they proposed (payouts/policy.py, OWN_POLICY_CHANGE).

A probe, as one person who was a developer and a member of finance: their own app's fee set to 0,
a platform-funded coupon taking 999,999 coins off their app's 1,000,000-coin product granted to
themselves, and their own purchase refunded after the developer had delivered it; each applied at
once with nobody else. So a member of staff sets no terms and makes no coupon for an app on whose
team they are (or invited to), grants no coupon to themselves and refunds nothing they paid for
(nor what a guest paid for that signed in to their account since).

The operator's admin token is no person (``person`` None): it has no purchase and no team, and is
refused none of these. What stays with one member: the platform's default terms and coupons for
every app, and the coin packs, which are the same for everyone (docs/payments.md).
"""

from __future__ import annotations

from sqlalchemy.orm import Session

from openminis.developers import service as developers
from openminis.developers import team
from openminis.errors import Forbidden
from openminis.identity import service as identity
from openminis.wallet import service as wallet


class OwnApp(Forbidden):
    code = "OWN_APP"


class OwnGrant(Forbidden):
    code = "OWN_GRANT"


class OwnRefund(Forbidden):
    code = "OWN_REFUND"


def not_on_its_team(session: Session, person: str | None, app_id: str | None, *, act: str) -> None:
    """Refuses ``act`` for an app the person is on the team of (any role), or invited to: the attack
    on this rule set the fee while invited, then accepted."""
    if person is None or app_id is None:
        return
    developer_id = developers.developer_id_for(session, person)
    member = developer_id is not None and team.role_of(session, developer_id, app_id) is not None
    user = identity.get_user(session, person)
    invited = (
        user is not None
        and user.email is not None
        and any(invitation.app_id == app_id for invitation in team.invitations_for(session, user.email))
    )
    if member or invited:
        raise OwnApp(f"you are on the team of {app_id!r}, or invited to it: another member of staff {act}")


def not_to_themselves(person: str | None, user_id: str) -> None:
    """Refuses a grant to the person granting it."""
    if person is not None and person == user_id:
        raise OwnGrant("a coupon for yourself: another member of finance grants it")


def not_their_coupon(session: Session, maker_id: str | None, user_id: str) -> None:
    """Refuses the maker of a coupon holding or using it: as themselves, or as a guest that signed
    in to their account since (its wallet forwards to theirs, as in ``not_their_own``; the attack
    on this rule claimed the maker's coupon as a guest, then signed the guest in)."""
    if maker_id is None:
        return
    if user_id == maker_id or wallet.wallet_forwarded_to(session, user_id) == maker_id:
        raise OwnGrant("a coupon you made: it is for others")


def not_their_own(session: Session, person: str | None, buyer: str | None, item: str) -> None:
    """Refuses a refund of what the person paid for: as themselves, or as a guest that signed in to
    their account since (its wallet forwards to theirs, where a refund's coins land; the attack on
    this rule bought as a guest in another browser, signed it in, and refunded 140 coins to itself)."""
    if person is None or buyer is None:
        return
    if person == buyer or wallet.wallet_forwarded_to(session, buyer) == person:
        raise OwnRefund(f"you paid for {item!r}: another member of staff refunds it")
