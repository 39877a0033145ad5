"""The egress policy: where the platform may send a request on a developer's behalf.

A URL a developer saves (a notify URL, an ad unit's verify URL) is a request the platform will make
from inside its own network. Unchecked, it reaches this machine's other services, the private
network and the cloud's metadata endpoint (SSRF), and whatever they answer. So such a URL is
https, and it is refused when it points at a loopback, private, link-local, shared (CGNAT),
multicast, unspecified, reserved or metadata address, however the address is spelled:

- when it is saved, for what the URL itself says (an address in any spelling the resolver accepts,
  ``127.1``, ``2130706433``, ``0177.0.0.1``, ``0x7f.0.0.1``, IPv4-mapped IPv6; or a local name);
- again when connecting, against every address the host name resolves to then. The name is
  resolved once, every address checked, and the connection made to a checked address (TLS still
  verifies and sends SNI for the original name), so a name that changes its answer between the
  check and the connection (DNS rebinding) gets nowhere.

Redirects are never followed and the reply's body is never read: only the status code is kept.
``MINIS_EGRESS_ALLOW_LOOPBACK=true`` allows loopback addresses (and plain http to them), for a
developer's backend on this machine and for tests; it is off by default.
"""

from __future__ import annotations

import contextvars
import re
import socket
import ssl
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from ipaddress import IPv4Address, IPv6Address, ip_address, ip_network
from typing import Any

import httpcore
import httpx

from openminis.errors import InvalidArgument

Address = IPv4Address | IPv6Address

CGNAT = ip_network("100.64.0.0/10")
# Addresses of cloud metadata and control services that are not in a private range anyway
# (169.254.169.254 and fd00:ec2::254 are, and are named here for the message).
METADATA = {
    ip_address(a) for a in ("169.254.169.254", "fd00:ec2::254", "168.63.129.16", "100.100.100.200", "192.0.0.192")
}
# IPv6 prefixes that carry an IPv4 address in their last 32 bits (NAT64, RFC 6052 and RFC 8215;
# IPv4-compatible, deprecated but still routed by some stacks).
EMBEDDING_V4 = [ip_network("64:ff9b::/96"), ip_network("64:ff9b:1::/48"), ip_network("::/96")]
# Names that never mean a public server: this machine, the local network, a cloud's internal DNS,
# a cluster's service discovery (Kubernetes' svc, Consul), the private suffixes of RFC 6762's
# appendix G. None is a delegated top-level domain. (A name that resolves inside anyway is refused
# when connecting: this check only makes the error come at saving, where the developer sees it.)
LOCAL_SUFFIXES = (
    *("localhost", "local", "localdomain", "internal", "home.arpa", "lan", "intranet"),
    *("svc", "consul", "corp", "home", "private"),
    # Kubernetes' namespaces as a short name's last label (kubernetes.default).
    *("default", "kube-system", "kube-public"),
)
LABEL = re.compile(r"^(?!-)[a-z0-9-]{1,63}(?<!-)\Z")
NUMERIC_LABEL = re.compile(r"^(0x[0-9a-f]*|[0-9]+)\Z")

# The moment a call must be over by, across connect, TLS and every read (a server that sends one
# byte every few seconds would otherwise keep a delivery lane forever within the read timeout).
_deadline: contextvars.ContextVar[float | None] = contextvars.ContextVar("egress_deadline", default=None)


class EgressRefused(InvalidArgument):
    code = "URL_NOT_ALLOWED"


def address_refusal(address: Address, *, allow_loopback: bool = False) -> str | None:
    """Why the platform must not connect to ``address``, or None when it may."""
    if isinstance(address, IPv6Address) and address != IPv6Address("::1") and address != IPv6Address("::"):
        inner = address.ipv4_mapped or address.sixtofour or (address.teredo[1] if address.teredo else None)
        if inner is None and any(address in network for network in EMBEDDING_V4):
            inner = IPv4Address(int(address) & 0xFFFFFFFF)
        if inner is not None:
            reason = address_refusal(inner, allow_loopback=allow_loopback)
            return f"{reason} inside an IPv6 address" if reason else None
    if address in METADATA:
        return "a cloud metadata address"
    if address.is_loopback:
        return None if allow_loopback else "a loopback address"
    if address.is_unspecified:
        return "the unspecified address"
    if address.is_link_local:
        return "a link-local address"
    if address.is_multicast:
        return "a multicast address"
    if address in CGNAT:
        return "a shared (CGNAT) address"
    if address.is_private:
        return "a private address"
    if address.is_reserved or not address.is_global:
        return "a reserved address"
    return None


def literal_address(host: str) -> Address | None:
    """The address ``host`` spells, the way the resolver reads it (``127.1``, ``2130706433``,
    ``0177.0.0.1``, ``0x7f.1``, IPv6 forms), or None when it is a name."""
    try:
        infos = socket.getaddrinfo(host, None, type=socket.SOCK_STREAM, flags=socket.AI_NUMERICHOST)
    except (socket.gaierror, UnicodeError, ValueError):
        return None
    return ip_address(str(infos[0][4][0]).split("%")[0])


@dataclass(frozen=True)
class Outcome:
    """What a call came to, as the developer is shown it: a status and a time, never a body."""

    status_code: int | None
    error: str | None
    duration_ms: int

    @property
    def ok(self) -> bool:
        return self.status_code is not None and 200 <= self.status_code < 300


@dataclass(frozen=True)
class EgressPolicy:
    allow_loopback: bool = False
    # Seconds: to connect, and for each read; a whole call never takes longer than their sum.
    connect_timeout: float = 5.0
    read_timeout: float = 10.0

    def check_url(self, url: str, *, field: str = "url") -> str:
        """The URL, if the platform may call it; otherwise EgressRefused naming ``field``."""

        def refuse(why: str) -> EgressRefused:
            return EgressRefused(f"{field} {why}", field=field)

        if any(ord(c) < 33 or ord(c) == 127 for c in url):
            raise refuse("must not contain spaces or control characters")
        try:
            parsed = httpx.URL(url)  # the HTTP client's own reading of the URL, not another parser's
            port = parsed.port
        except (httpx.InvalidURL, ValueError):
            raise refuse("is not a URL") from None
        if parsed.scheme not in ("https", "http") or not parsed.raw_host:
            raise refuse("must be an absolute https URL")
        if parsed.userinfo:
            raise refuse("must not carry a user name or password")
        if port is not None and not 0 < port < 65536:
            raise refuse("has no valid port")
        host = parsed.raw_host.decode("ascii").lower()
        loopback = self._check_host(host, refuse)
        if parsed.scheme == "http" and not (self.allow_loopback and loopback):
            raise refuse(
                "must use https"
                + (
                    " (http is accepted only for loopback, with MINIS_EGRESS_ALLOW_LOOPBACK)"
                    if self.allow_loopback
                    else ""
                )
            )
        return url

    def _check_host(self, host: str, refuse: Callable[[str], EgressRefused]) -> bool:
        """Refuse a host that names a place the platform must not call; True if it is loopback."""
        address = literal_address(host)
        if address is None and ":" in host:
            raise refuse("has an IPv6 address that is not plain (no zone or other forms)")
        if address is not None:
            reason = address_refusal(address, allow_loopback=self.allow_loopback)
            if reason:
                raise refuse(f"points at {reason}")
            return address_refusal(address) is not None  # allowed only thanks to the loopback allowance
        name = host[:-1] if host.endswith(".") else host
        labels = name.split(".")
        if not all(LABEL.match(label) for label in labels):
            raise refuse("has a host name that is not a DNS name")
        if NUMERIC_LABEL.match(labels[-1]):
            raise refuse("has a host that looks like an address but is not one")
        if labels[-1] == "localhost":
            if self.allow_loopback:
                return True
            raise refuse("points at this machine (localhost)")
        if len(labels) == 1:
            raise refuse("needs a fully qualified host name (a single label resolves inside the local network)")
        if any(name == suffix or name.endswith("." + suffix) for suffix in LOCAL_SUFFIXES):
            raise refuse("points at a local or internal network name")
        return False

    def resolve(self, host: str, port: int) -> list[str]:
        """Every address ``host`` resolves to, now, each one checked; raises if any is refused
        (one bad answer among good ones is an attack, not an accident)."""
        try:
            infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
        except (socket.gaierror, UnicodeError) as exc:
            raise httpcore.ConnectError(f"cannot resolve {host}: {exc}") from None
        addresses = list(dict.fromkeys(str(info[4][0]).split("%")[0] for info in infos))
        for address in addresses:
            reason = address_refusal(ip_address(address), allow_loopback=self.allow_loopback)
            if reason:
                raise httpcore.ConnectError(f"refused by the egress policy: {host} resolves to {address}, {reason}")
        return addresses

    def client(self, ssl_context: ssl.SSLContext | None = None) -> httpx.Client:
        """An HTTP client whose every connection goes through this policy: no proxies from the
        environment (they would connect for us, unchecked), no redirects. ``ssl_context``: the
        certificates to trust (default: the public CAs)."""
        timeout = httpx.Timeout(self.read_timeout, connect=self.connect_timeout)
        return httpx.Client(
            transport=GuardedTransport(self, ssl_context), timeout=timeout, follow_redirects=False, trust_env=False
        )

    def post(
        self, http: httpx.Client, url: str, *, content: bytes, headers: dict[str, str], field: str = "url"
    ) -> Outcome:
        """POST to a developer's URL and keep only the status: the body is never read, so whatever
        answers (it may not be the developer's) cannot show us anything through the delivery log."""
        started = time.perf_counter()
        try:
            self.check_url(url, field=field)  # again: the URL may have been saved under an older policy
        except EgressRefused as exc:
            return Outcome(None, f"refused by the egress policy: {exc.message}", 0)
        token = _deadline.set(time.monotonic() + self.connect_timeout + self.read_timeout)
        try:
            timeout = httpx.Timeout(self.read_timeout, connect=self.connect_timeout)
            with http.stream(
                "POST", url, content=content, headers=headers, timeout=timeout, follow_redirects=False
            ) as response:
                status, error = response.status_code, None
            if not 200 <= status < 300:
                error = f"HTTP {status}"
        except httpx.HTTPError as exc:
            status, error = None, f"{type(exc).__name__}: {exc}"[:300]
        finally:
            _deadline.reset(token)
        return Outcome(status, error, int((time.perf_counter() - started) * 1000))


class GuardedNetwork(httpcore.NetworkBackend):
    """Connects only to addresses the policy allows: resolves once, checks every address, then
    connects to the checked address itself (no second lookup for a rebinding name to answer)."""

    def __init__(self, policy: EgressPolicy):
        self.policy = policy
        self.inner = httpcore.SyncBackend()

    def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[httpcore.SOCKET_OPTION] | None = None,
    ) -> httpcore.NetworkStream:
        error: Exception | None = None
        for address in self.policy.resolve(host, port):
            try:
                return DeadlineStream(
                    self.inner.connect_tcp(
                        address,
                        port,
                        timeout=_bounded(timeout),
                        local_address=local_address,
                        socket_options=socket_options,
                    )
                )
            except (httpcore.ConnectError, httpcore.ConnectTimeout) as exc:
                error = exc
        raise error or httpcore.ConnectError(f"no address for {host}")

    def connect_unix_socket(
        self, path: str, timeout: float | None = None, socket_options: Iterable[httpcore.SOCKET_OPTION] | None = None
    ) -> httpcore.NetworkStream:
        raise httpcore.ConnectError("unix sockets are outside the egress policy")

    def sleep(self, seconds: float) -> None:
        self.inner.sleep(seconds)


def _bounded(timeout: float | None) -> float | None:
    deadline = _deadline.get()
    if deadline is None:
        return timeout
    left = deadline - time.monotonic()
    if left <= 0:
        raise httpcore.ReadTimeout("the call ran out of time")
    return left if timeout is None else min(timeout, left)


class DeadlineStream(httpcore.NetworkStream):
    """A connection whose every read and write ends by the call's deadline."""

    def __init__(self, stream: httpcore.NetworkStream):
        self.stream = stream

    def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        return self.stream.read(max_bytes, timeout=_bounded(timeout))

    def write(self, buffer: bytes, timeout: float | None = None) -> None:
        self.stream.write(buffer, timeout=_bounded(timeout))

    def close(self) -> None:
        self.stream.close()

    def start_tls(
        self, ssl_context: ssl.SSLContext, server_hostname: str | None = None, timeout: float | None = None
    ) -> httpcore.NetworkStream:
        return DeadlineStream(
            self.stream.start_tls(ssl_context, server_hostname=server_hostname, timeout=_bounded(timeout))
        )

    def get_extra_info(self, info: str) -> Any:  # as httpcore's NetworkStream: the SSL object, the socket, ...
        return self.stream.get_extra_info(info)


class GuardedTransport(httpx.HTTPTransport):
    """httpx's own transport (request mapping, errors, TLS), over the guarded network backend."""

    def __init__(self, policy: EgressPolicy, ssl_context: ssl.SSLContext | None = None):
        super().__init__(trust_env=False)
        self._pool = httpcore.ConnectionPool(
            ssl_context=ssl_context or httpx.create_ssl_context(trust_env=False),
            network_backend=GuardedNetwork(policy),
            max_connections=100,
            max_keepalive_connections=20,
            keepalive_expiry=5.0,
        )
