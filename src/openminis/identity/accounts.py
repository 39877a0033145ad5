"""Full accounts: a guest adds an email (and a password, or signs in by one-time link) and keeps everything.

Two rules keep one person out of another's account:

- An email is an account's only once its owner proved it: by the code mailed to it
  (registration) or by confirming a sign-in link mailed to it. Until then anyone may ask for any
  address; whoever proves it first gets it, and the others' unproved claims go.
- A sign-in link signs in only when a person confirms it on the host's page (a POST with the
  session's CSRF token), never on opening it: an <img> or a redirect to the link changes nothing.
  It upgrades the guest who asked for it only when that guest's own browser confirms it.

And one keeps money where someone can spend it: a guest that signs in to an existing account (by
password or by link) brings its coins, which no cookie would reach again, and so do the coins that
reach the guest after it (a refund of what it bought, a late payment of its top-up): its wallet
forwards to the account's (``bring_guest_coins``).
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta

from email_validator import EmailNotValidError, validate_email
from sqlalchemy import bindparam, delete, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from openminis.db import take_turns, utcnow
from openminis.errors import Conflict, Gone, InvalidArgument, Unauthenticated
from openminis.identity.mail import Mailbox
from openminis.identity.models import AuthSession, EmailVerification, LoginCode, SignInLink, User, UserToken
from openminis.identity.passwords import Passwords
from openminis.identity.service import changed_rows, live_user, new_session, new_user, token_hash
from openminis.wallet import service as wallet

LINK_TTL = timedelta(minutes=15)
CODE_TTL = timedelta(minutes=15)
# Then the code is void: 5 guesses in a million, and a new code costs a new email, of which an
# address gets few (identity/api.py, MAIL_PER_ADDRESS: at most 45 an hour, whoever asks).
CODE_ATTEMPTS = 5
MIN_PASSWORD = 8


class SignInFailed(Unauthenticated):
    code = "SIGN_IN_FAILED"


class GuestHasCoins(Conflict):
    code = "LINK_FROM_ANOTHER_BROWSER"


class LinkInvalid(Gone):
    code = "LINK_INVALID"


class CodeInvalid(InvalidArgument):
    code = "CODE_INVALID"


def normalize_email(email: str) -> str:
    try:
        return validate_email(email, check_deliverability=False).normalized.lower()
    except EmailNotValidError:
        # The library's reasons speak of "the part after the @-sign": the person gets the shape to follow.
        hint = "with an @" if "@" not in email else "in full"
        raise InvalidArgument(f"Enter your email address {hint}, like name@example.com.", field="email") from None


def _check_password(password: str) -> None:
    if not MIN_PASSWORD <= len(password) <= 256:
        raise InvalidArgument(f"password must be {MIN_PASSWORD} to 256 characters", field="password")


def _email_taken() -> Conflict:
    return Conflict("an account with this email exists; sign in instead", code="EMAIL_TAKEN", field="email")


def _verified_owner(session: Session, email: str) -> User | None:
    return session.scalar(select(User).where(User.email == email, User.email_verified_at.is_not(None)))


def _take_email(session: Session, user: User, email: str, *, password_hash: str | None = None) -> User:
    """The email is proved to be this person's: it becomes ``user``'s, verified. Every other claim
    on it goes: registrations waiting for a code, and an account that registered it before
    verification existed (it keeps its coins as a guest of the browsers signed in to it, but
    neither the email nor its password sign anyone in to it any more). In a savepoint: when it
    is refused, none of it happened, whatever the caller's unit of work then does."""
    _not_signed_in_elsewhere(session, user)
    try:
        with session.begin_nested():
            session.execute(delete(EmailVerification).where(EmailVerification.email == email))
            for squatter in session.scalars(
                select(User).where(User.email == email, User.id != user.id, User.email_verified_at.is_(None))
            ):
                squatter.email, squatter.password_hash, squatter.kind = None, None, "guest"
            session.flush()
            user.email, user.kind, user.email_verified_at = email, "full", utcnow()
            if password_hash is not None:
                user.password_hash = password_hash
            session.flush()
    except IntegrityError:  # a verified owner got there first, in a concurrent request
        raise _email_taken() from None
    return user


def _not_signed_in_elsewhere(session: Session, guest: User, account: User | None = None) -> None:
    """A guest that signed in to an account is that account: its old cookie, kept somewhere, may
    not make it another (an attack registered one whose wallet still forwarded to the first, and
    had a guest sign in to it, its coins going on). Signing out makes a new guest, which may."""
    if guest.kind != "guest":
        return
    if not _still_a_guest(session, guest):
        raise Conflict(
            "this browser's guest became an account meanwhile: sign out, then sign in or register",
            code="GUEST_SIGNED_IN",
        )
    _not_forwarded_elsewhere(session, guest, account)


def _not_forwarded_elsewhere(session: Session, guest: User, account: User | None) -> None:
    """``_not_signed_in_elsewhere`` once the guest is known to be one still (its turn taken)."""
    own = wallet.account_id(session, wallet.WALLET, guest.id)
    forwarded = wallet.forwards_to(session, own)
    if forwarded is not None and (
        account is None or forwarded != wallet.account_id(session, wallet.WALLET, account.id)
    ):
        raise Conflict(
            "this browser's guest signed in to an account already: sign out, then sign in or register",
            code="GUEST_SIGNED_IN",
        )


def _still_a_guest(session: Session, guest: User) -> bool:
    """Whether the guest is one still, read after the requests before this one that make it an
    account, or take its coins to one, are done: each takes turns on it here. A sign-in to one
    account and a sign-in link confirmed as the guest itself ("Keep these"), at once, both went on
    (on PostgreSQL, which had read the guest before either wrote), and left a verified account whose
    wallet forwarded to the other's: its own top-ups were credited there (access55)."""
    take_turns(session, "guest-coins", guest.id)
    return session.scalar(select(User.kind).where(User.id == guest.id)) == "guest"


def register(session: Session, passwords: Passwords, user: User, *, email: str, password: str) -> User:
    """A full account for an email the platform itself vouches for (the demo's creators); people
    register with ``start_registration`` and prove their email with the code."""
    if user.kind != "guest":
        raise Conflict("this browser is already signed in to an account; sign out first", code="ALREADY_REGISTERED")
    email = normalize_email(email)
    _check_password(password)
    if _verified_owner(session, email) is not None:
        raise _email_taken()
    _take_email(session, user, email, password_hash=passwords.hash(password))
    return user


def _code_hash(user_id: str, email: str, code: str) -> str:
    return hashlib.sha256(f"{user_id}:{email}:{code}".encode()).hexdigest()


def _mail_code(
    session: Session, mailbox: Mailbox, user: User, email: str, password_hash: str | None
) -> EmailVerification:
    """A new code for ``email``, replacing any the person was sent before, mailed now."""
    code = f"{secrets.randbelow(10**6):06d}"
    # One code at a time per person: of several asked at once (a double tap, two tabs), each
    # replaces the one before; together, each deleted none and all but one failed to add theirs.
    take_turns(session, "email-code", user.id)
    session.execute(delete(EmailVerification).where(EmailVerification.user_id == user.id))
    pending = EmailVerification(
        user_id=user.id,
        email=email,
        password_hash=password_hash,
        code_hash=_code_hash(user.id, email, code),
        expires_at=utcnow() + CODE_TTL,
    )
    session.add(pending)
    session.flush()
    minutes = int(CODE_TTL.total_seconds() // 60)
    mailbox.send(
        to=email,
        subject="Your openminis verification code",
        text=(
            f"Hello,\n\nYour openminis verification code is {code}\n\n"
            f"Enter it where you signed up, within {minutes} minutes. If you did not sign up, ignore this email: "
            "no account gets this address without the code.\n"
        ),
    )
    return pending


def start_registration(
    session: Session, mailbox: Mailbox, passwords: Passwords, user: User, *, email: str, password: str
) -> EmailVerification:
    """The guest asks for an account: nothing is theirs yet, a code goes to the email. The guest
    becomes a full account, keeping everything, when the code comes back (``confirm_email``)."""
    email = check_registration(session, user, email=email, password=password)
    return _mail_code(session, mailbox, user, email, passwords.hash(password))


def check_registration(session: Session, user: User, *, email: str, password: str) -> str:
    """The address a registration would mail (normalised), or the error it would be refused with:
    asked before the mail limits count it, so that a refusal spends none of the address's mails."""
    if user.kind != "guest":
        raise Conflict("this browser is already signed in to an account; sign out first", code="ALREADY_REGISTERED")
    _not_signed_in_elsewhere(session, user)
    email = normalize_email(email)
    _check_password(password)
    if _verified_owner(session, email) is not None:
        raise _email_taken()
    return email


def resend_code(session: Session, mailbox: Mailbox, user: User) -> EmailVerification:
    """Another code: for the registration waiting for one, or for an account made before
    verification existed, which proves the email it has."""
    pending = session.get(EmailVerification, user.id)
    if pending is not None:
        return _mail_code(session, mailbox, user, pending.email, pending.password_hash)
    if user.kind == "full" and user.email and user.email_verified_at is None:
        return _mail_code(session, mailbox, user, user.email, None)
    raise Conflict("there is no email waiting for a code; sign up first", code="NOTHING_TO_VERIFY")


def pending_email(session: Session, user: User) -> str | None:
    """The email this person asked to register and has not proved yet."""
    email: str | None = session.scalar(_PENDING_EMAIL, {"user": user.id})
    return email


def holds_address(session: Session, visitor: User, email: str, *, browser: str) -> bool:
    """Whether this browser already waits on a mail to ``email``: a code for it, or a sign-in link
    asked for with this browser's link cookie (``browser``, its nonce). Anyone may become one, by
    asking: a holder is not the address's owner, only someone a stranger should not lock out."""
    if pending_email(session, visitor) == email:
        return True
    if not 20 <= len(browser) <= 64:
        return False
    found = session.scalar(
        select(SignInLink.token_hash)
        .where(
            SignInLink.email == email,
            SignInLink.browser_hash == token_hash(browser),
            SignInLink.used_at.is_(None),
            SignInLink.expires_at > utcnow(),
        )
        .limit(1)
    )
    return found is not None


# Every GET /api/me asks: one column by primary key, not the row loaded as an object.
_PENDING_EMAIL = select(EmailVerification.email).where(EmailVerification.user_id == bindparam("user"))


def confirm_email(session: Session, user: User, code: str) -> User:
    """The code from the mailbox: the email is proved, the person's account is full."""
    # The attempt counts before the code is compared, in the one statement that checks the count,
    # so concurrent guesses cannot share one. It stands even when the answer is an error: the
    # route returns every refusal of this function instead of raising it (web/refusals.py), so
    # its unit of work commits the count, and nothing else is written before a refusal (a
    # refused _take_email leaves nothing, being a savepoint).
    counted = changed_rows(
        session.execute(
            update(EmailVerification)
            .where(
                EmailVerification.user_id == user.id,
                EmailVerification.attempts < CODE_ATTEMPTS,
                EmailVerification.expires_at > utcnow(),
            )
            .values(attempts=EmailVerification.attempts + 1)
        )
    )
    pending = session.get(EmailVerification, user.id, populate_existing=True)  # with the count just made
    if pending is None:
        raise Conflict("there is no email waiting for a code; sign up first", code="NOTHING_TO_VERIFY")
    if not counted:
        raise CodeInvalid("this code is not valid any more; ask for a new one", code="CODE_EXPIRED", field="code")
    presented = "".join(code.split())
    if not hmac.compare_digest(pending.code_hash, _code_hash(user.id, pending.email, presented)):
        left = CODE_ATTEMPTS - pending.attempts
        raise CodeInvalid(f"wrong code; {left} more tries" if left else "wrong code; ask for a new one", field="code")
    if user.kind == "full" and user.email not in (None, pending.email):
        raise Conflict("this account has another email", code="ALREADY_REGISTERED")
    if _verified_owner(session, pending.email) not in (None, user):
        raise _email_taken()
    return _take_email(session, user, pending.email, password_hash=pending.password_hash)


@dataclass(frozen=True)
class SignedInAs:
    """A browser signed in to an account: the account, its new session's token, and the coins the
    browser's guest had, which are now the account's (0 when it had none or was no guest)."""

    user: User
    session_token: str
    guest_coins: int = 0


GuestHook = Callable[[Session, str, str], None]
_guest_hooks: list[GuestHook] = []


def on_guest_signed_in(hook: GuestHook) -> None:
    """Call ``hook(session, guest_id, account_id)`` when a guest signs in to an account, in the same
    unit, before its coins move (``bring_guest_coins``). Payments subscribes (platform.py): the
    guest's top-ups still being paid become the account's, so that their coins arrive there."""
    if hook not in _guest_hooks:
        _guest_hooks.append(hook)


def bring_guest_coins(session: Session, guest: User, account: User) -> int:
    """The guest becomes the account it signs in to, for good, and brings its coins: its whole
    balance moves to the account in one ledger transfer keyed by the guest, and its wallet forwards
    to the account's. Returns how many coins moved.

    Once the browser is the account, no cookie reaches the guest again (signing out makes a new
    one): coins left there would be lost (a probe found 1200 bought coins stranded so), and so
    would coins that reach it later (a developer's refund of an order it bought, a late payment
    of a top-up it had given up on): the forward sends those to the account, whichever process
    credits them. The guest's sessions are left alone: the browser's cookie is the account's now,
    and a request of the guest's still in flight is served as the guest, which spends nothing (its
    wallet is empty) and is refunded to the account. (Ending them made such a request a new guest,
    whose cookie could land after the sign-in's and sign the browser out.) Once per guest: a
    retried sign-in, or several at once (they take turns on the guest), finds the transfer and the
    forward made and moves nothing more."""
    if guest.kind != "guest" or guest.id == account.id or not _still_a_guest(session, guest):
        return 0  # an account now (its browser kept it as one meanwhile): its coins are its own
    _not_forwarded_elsewhere(session, guest, account)  # a retried sign-in to the same account goes on
    for hook in _guest_hooks:  # first: a payment being recorded for the guest now lands before the move
        hook(session, guest.id, account.id)
    # Opened if the guest has none yet: a late payment or a refund would otherwise open it after
    # the sign-in, with no forward. The ledger holds its row from the move to the commit: a
    # purchase of the guest's at this moment waits, then finds the coins gone; a refund to it
    # waits, then lands on the account (wallet/service.py, close_into).
    coins = wallet.close_into(
        session,
        wallet.account_id(session, wallet.WALLET, guest.id),
        wallet.account_id(session, wallet.WALLET, account.id),
        key=f"guest-coins:{guest.id}",
        kind="guest_coins",
        details={"guest_id": guest.id, "user_id": account.id},
    )
    _end_app_logins(session, guest.id)
    return coins


def _end_app_logins(session: Session, guest_id: str) -> None:
    """The logins apps hold for a guest that became an account end: its tokens are revoked and a
    login code not exchanged yet is gone, so that an app's next call has the person log in again,
    as the account, instead of going on as a guest nobody reaches any more."""
    session.execute(
        update(UserToken)
        .where(UserToken.user_id == guest_id, UserToken.revoked_at.is_(None))
        .values(revoked_at=utcnow())
    )
    session.execute(delete(LoginCode).where(LoginCode.user_id == guest_id, LoginCode.used_at.is_(None)))


def sign_in(session: Session, passwords: Passwords, visitor: User, *, email: str, password: str) -> SignedInAs:
    """This browser's visitor signs in to the account of ``email`` with its password; a guest's
    coins come along (``bring_guest_coins``)."""
    user, token = sign_in_with_password(session, passwords, email=email, password=password)
    return SignedInAs(user, token, bring_guest_coins(session, visitor, user))


def sign_in_with_password(session: Session, passwords: Passwords, *, email: str, password: str) -> tuple[User, str]:
    email = normalize_email(email)
    user = session.scalar(select(User).where(User.email == email))
    # Verified even when the email is unknown, so a wrong email costs as long as a wrong password.
    if not passwords.verify(user.password_hash if user else None, password):
        raise SignInFailed("wrong email or password")
    if user is None or user.password_hash is None:
        raise SignInFailed("wrong email or password")
    # Held until the sign-in commits: a deletion of the account waits and ends the session made
    # here too, or, committed first, leaves no account to sign in to (a probe: sign-ins in flight
    # during a deletion left working sessions on the deleted account).
    if live_user(session, user.id, hold=True) is None:
        raise SignInFailed("wrong email or password")
    if passwords.needs_rehash(user.password_hash):
        user.password_hash = passwords.hash(password)
    return user, new_session(session, user)


def request_sign_in_link(
    session: Session, mailbox: Mailbox, *, email: str, requester: User | None, browser: str, public_url: str
) -> str:
    """Make a one-time link and email it. ``browser`` is the nonce of the asking browser's link
    cookie: the link knows where it was asked for. The link is kept only if the email went: the
    mail is sent before the unit of work commits, and a failure (MailUnavailable) rolls the unit
    back, leaving nothing behind, and the person asks again."""
    email = normalize_email(email)
    token = secrets.token_urlsafe(32)
    guest_id = requester.id if requester is not None and requester.kind == "guest" else None
    session.add(
        SignInLink(
            token_hash=token_hash(token),
            email=email,
            guest_id=guest_id,
            browser_hash=token_hash(browser),
            expires_at=utcnow() + LINK_TTL,
        )
    )
    session.flush()
    link = f"{public_url}/account/link?token={token}"
    minutes = int(LINK_TTL.total_seconds() // 60)
    mailbox.send(
        to=email,
        subject="Your openminis sign-in link",
        text=(
            f"Hello,\n\nOpen this link to sign in to openminis as {email}:\n\n{link}\n\n"
            f"It works once, within {minutes} minutes. "
            "If you did not ask for it, ignore this email: nothing changes without the link.\n"
        ),
    )
    return link


@dataclass(frozen=True)
class LinkOffer:
    """What confirming a sign-in link would do, for the page that asks."""

    email: str
    account_exists: bool  # signs in to the account with this email; otherwise makes one
    same_browser: bool  # opened in the browser that asked for it
    keeps_guest: bool  # this browser's guest may become the account, with what it has
    guest_id: str | None  # the guest the offer would keep
    proves_own: bool = False  # this browser's account, made before verification, proves its own email


def _open_link(session: Session, token: str) -> SignInLink:
    link = session.get(SignInLink, token_hash(token)) if token else None
    if link is None or link.used_at is not None or link.expires_at < utcnow():
        raise LinkInvalid("this sign-in link is not valid any more (used, expired or mistyped); ask for a new one")
    return link


def offer_for_link(session: Session, token: str, *, visitor: User, browser: str | None) -> LinkOffer:
    """What the link would do if this visitor, in this browser, confirmed it. Changes nothing."""
    link = _open_link(session, token)
    same_browser = (
        bool(browser)
        and link.browser_hash is not None
        and hmac.compare_digest(link.browser_hash, token_hash(browser or ""))
    )
    account_exists = _verified_owner(session, link.email) is not None
    # Only the guest that asked, in the browser that asked: a link opened anywhere else never
    # hands that guest's identity (or this browser's) to the email's account.
    keeps_guest = not account_exists and same_browser and visitor.kind == "guest" and link.guest_id == visitor.id
    proves_own = not account_exists and same_browser and visitor.kind == "full" and visitor.email == link.email
    return LinkOffer(
        email=link.email,
        account_exists=account_exists,
        same_browser=same_browser,
        keeps_guest=keeps_guest,
        guest_id=visitor.id if keeps_guest else None,
        proves_own=proves_own,
    )


def confirm_sign_in_link(
    session: Session, token: str, *, visitor: User, browser: str | None, keep_guest: bool
) -> SignedInAs:
    """The person confirmed the link on the host's page: sign this browser in to the email's
    account, making it if there is none (from this browser's guest only if it is the guest that
    asked, in its own browser, and the person chose to keep it). Signed in to an account that
    exists, a guest brings its coins (``bring_guest_coins``)."""
    offer = offer_for_link(session, token, visitor=visitor, browser=browser)
    # A guest's coins go with the guest to an account it signs in to, or stay behind on a new one: a
    # link from another browser may be someone else's, sent to take them (an attack on this stop's
    # first form: the sender's account got the guest's 1200 coins). Such a browser asks for its own
    # link, or signs in with the password. Checked before the link is spent: it stays usable.
    if not offer.same_browser and visitor.kind == "guest" and wallet.wallet_balance(session, visitor.id) > 0:
        raise GuestHasCoins(
            "this browser has coins as a guest and this link was asked for in another browser: ask for a "
            "sign-in link in this browser, or sign in with your password, to keep them"
        )
    # One use, even when two confirmations race: the link is marked used by the statement that
    # checks it is unused and unexpired, and only the one that finds it so wins (on PostgreSQL the
    # other waits for the winner's unit of work to end, then finds the link used).
    now = utcnow()
    used = changed_rows(
        session.execute(
            update(SignInLink)
            .where(
                SignInLink.token_hash == token_hash(token), SignInLink.used_at.is_(None), SignInLink.expires_at >= now
            )
            .values(used_at=now)
        )
    )
    if not used:
        raise LinkInvalid("this sign-in link is not valid any more (used, expired or mistyped); ask for a new one")
    user = _verified_owner(session, offer.email)
    if user is None:
        user = visitor if (keep_guest and offer.keeps_guest) or offer.proves_own else new_user(session, kind="full")
        session.execute(delete(EmailVerification).where(EmailVerification.user_id == user.id))
        _take_email(session, user, offer.email)
    # A guest brings its coins to the account, also a new one it declined to keep its saves and
    # name in: money it paid, left on the guest, which no cookie reaches once the browser is the
    # account, was lost (an unticked box stranded 1200). Kept as the account itself, it moves none.
    coins = bring_guest_coins(session, visitor, user)
    session.flush()
    return SignedInAs(user, new_session(session, user), coins)


def sign_out(session: Session, session_token: str) -> None:
    auth = session.get(AuthSession, token_hash(session_token))
    if auth is not None:
        session.delete(auth)
        session.flush()


def rename(session: Session, user: User, display_name: str) -> User:
    name = " ".join(display_name.split())
    if not 1 <= len(name) <= 40:
        raise InvalidArgument("display name must be 1 to 40 characters", field="display_name")
    user.display_name = name
    session.flush()
    return user


def vouched_user(
    session: Session, email: str, *, password: str | None = None, passwords: Passwords | None = None
) -> User:
    """The full account of an email the operator vouches for (a developer named by ``minis publish
    --developer``, the demo studio), made if nobody holds it. Without a password its owner signs in
    by an emailed sign-in link; with one, the password is set when the account is made."""
    user = _verified_owner(session, email)
    if user is not None:
        return user
    if password is not None and passwords is not None:
        return register(session, passwords, new_user(session), email=email, password=password)
    return _take_email(session, new_user(session), email)


def user_by_email(session: Session, email: str) -> User | None:
    """The account that holds this email, verified or not."""
    return session.scalar(select(User).where(User.email == email))


def verify(session: Session) -> list[str]:
    """Accounts the ledger's forwards contradict (``minis ledger verify``): only a guest that
    became another account forwards its wallet. An account's that forwards gives what is paid to
    it to another person (access55 made one)."""
    forwarded = dict(wallet.forwarded_wallet_owners(session))
    owners, problems = list(forwarded), []
    for start in range(0, len(owners), 500):  # within any database's limit of bound values
        accounts = select(User.id).where(User.id.in_(owners[start : start + 500]), User.kind != "guest")
        problems += [
            f"account {user_id}'s wallet forwards to {forwarded[user_id]}'s: what is paid to it goes there"
            for user_id in session.scalars(accounts)
        ]
    return problems
