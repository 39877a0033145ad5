"""Email to people (sign-in links): through an SMTP server when ``MINIS_SMTP_URL`` is set,
otherwise into the server's log, the development mailbox.

``MINIS_SMTP_URL`` is ``smtp://`` (plain, port 25), ``smtp+starttls://`` (STARTTLS required, port
587) or ``smtps://`` (TLS from the first byte, port 465), with an optional ``user:password@``
(percent-encoded) and ``:port``. ``MINIS_MAIL_FROM`` is the sender.

A message is sent while the person waits, not by a background job: a sign-in link is good for
minutes, so a failure is best told at once ("try again") than retried behind their back, and the
link itself never has to be stored where it could be read back.
"""

from __future__ import annotations

import logging
import smtplib
import ssl
from collections import deque
from dataclasses import dataclass
from email.message import EmailMessage
from typing import Literal
from urllib.parse import unquote, urlsplit

from openminis.errors import Unavailable

log = logging.getLogger("openminis.mail")
DEFAULT_PORTS = {"smtp": 25, "smtp+starttls": 587, "smtps": 465}
TIMEOUT = 10.0


class MailUnavailable(Unavailable):
    code = "MAIL_UNAVAILABLE"


@dataclass(frozen=True)
class SmtpServer:
    scheme: str
    host: str
    port: int
    username: str | None = None
    password: str | None = None

    @classmethod
    def parse(cls, url: str) -> SmtpServer:
        """The server a ``MINIS_SMTP_URL`` names; ValueError saying what is wrong with it."""
        parts = urlsplit(url)
        if parts.scheme not in DEFAULT_PORTS:
            raise ValueError(f"MINIS_SMTP_URL must start with {', '.join(s + '://' for s in DEFAULT_PORTS)}")
        try:
            port = parts.port
        except ValueError:
            raise ValueError("MINIS_SMTP_URL has a port that is not a number from 0 to 65535") from None
        if not parts.hostname:
            raise ValueError("MINIS_SMTP_URL names no host")
        username = unquote(parts.username) if parts.username else None
        return cls(
            parts.scheme,
            parts.hostname,
            port or DEFAULT_PORTS[parts.scheme],
            username,
            unquote(parts.password or "") if username else None,
        )

    def send(self, message: EmailMessage) -> None:
        context = ssl.create_default_context()
        connection: smtplib.SMTP
        if self.scheme == "smtps":
            connection = smtplib.SMTP_SSL(self.host, self.port, timeout=TIMEOUT, context=context)
        else:
            connection = smtplib.SMTP(self.host, self.port, timeout=TIMEOUT)
        with connection:
            if self.scheme == "smtp+starttls":
                connection.starttls(context=context)
            if self.username:
                connection.login(self.username, self.password or "")
            connection.send_message(message)


class Mailbox:
    """Where the platform's email goes: an SMTP server, or the log."""

    def __init__(self, smtp_url: str, sender: str):
        self.server = SmtpServer.parse(smtp_url) if smtp_url else None
        self.sender = sender
        # Without a server, the last messages also stay here, for tests in this process to read
        # (as Django's locmem backend keeps mail.outbox); a server process's reader has the log.
        self.outbox: deque[EmailMessage] = deque(maxlen=100)

    @property
    def delivery(self) -> Literal["email", "log"]:
        """Where a message goes: "email", or "log" (the development mailbox)."""
        return "email" if self.server else "log"

    def forget(self, addresses: set[str]) -> None:
        """Drop the kept messages to these addresses (an account's deletion: they hold its codes)."""
        wanted = {address.lower() for address in addresses}
        kept = [message for message in self.outbox if str(message["To"]).lower() not in wanted]
        self.outbox.clear()
        self.outbox.extend(kept)

    def send(self, *, to: str, subject: str, text: str) -> None:
        """Send now; MailUnavailable if the server cannot be reached or refuses the message."""
        message = EmailMessage()
        message["From"], message["To"], message["Subject"] = self.sender, to, subject
        message.set_content(text)
        if self.server is None:
            log.warning("mail to %s (no MINIS_SMTP_URL: this log is the mailbox): %s\n%s", to, subject, text)
            self.outbox.append(message)
            return
        try:
            self.server.send(message)
        except (OSError, smtplib.SMTPException) as exc:
            # The operator needs the reason; the person, only that it did not go.
            log.error("mail to %s through %s:%s failed: %s", to, self.server.host, self.server.port, exc)
            raise MailUnavailable("the email could not be sent just now; try again in a minute") from None
