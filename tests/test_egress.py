"""The platform calls no address inside its own network for a developer, however the address is
spelled, whether the URL says it or a host name resolves to it when the call is made (issue 12,
item 8: notify and ad-verification URLs reached private, link-local and loopback services)."""

from __future__ import annotations

import datetime
import socket
import ssl

import httpx
import pytest

from openminis.egress import EgressPolicy, EgressRefused
from openminis.web.errors import status_for
from tests.receiver import Receiver

PRODUCTION = EgressPolicy()
DEVELOPMENT = EgressPolicy(allow_loopback=True)

# Every spelling of a place the platform must not call, with what it is.
INSIDE = {
    "https://127.0.0.1/hook": "loopback",
    "https://127.1/hook": "loopback, short form",
    "https://2130706433/hook": "loopback, decimal",
    "https://0177.0.0.1/hook": "loopback, octal",
    "https://0x7f.0.0.1/hook": "loopback, hex",
    "https://0x7f000001/hook": "loopback, one hex number",
    "https://127.000.000.001/hook": "loopback, zero-padded",
    "https://127.0.0.1:6379/": "loopback, another service's port",
    "https://[::1]/hook": "IPv6 loopback",
    "https://[0:0:0:0:0:0:0:1]/hook": "IPv6 loopback, long form",
    "https://[::ffff:127.0.0.1]/hook": "IPv4-mapped IPv6 loopback",
    "https://[::ffff:7f00:1]/hook": "IPv4-mapped IPv6 loopback, hex",
    "https://[::127.0.0.1]/hook": "IPv4-compatible IPv6 loopback",
    "https://[64:ff9b::a9fe:a9fe]/hook": "NAT64 of the metadata address",
    "https://[2002:a00:1::]/hook": "6to4 of a private address",
    "https://localhost/hook": "this machine by name",
    "https://api.localhost/hook": "this machine by a name under localhost",
    "https://10.0.0.7/hook": "private",
    "https://172.16.5.4/hook": "private",
    "https://192.168.1.1/hook": "private",
    "https://[fd00::1]/hook": "IPv6 unique local",
    "https://[::ffff:10.0.0.7]/hook": "IPv4-mapped private",
    "https://169.254.169.254/latest/meta-data/": "link-local metadata",
    "https://2852039166/latest/meta-data/": "link-local metadata, decimal",
    "https://[fe80::1]/hook": "IPv6 link-local",
    "https://[fd00:ec2::254]/hook": "AWS IPv6 metadata",
    "https://168.63.129.16/hook": "Azure's platform address",
    "https://metadata.google.internal/computeMetadata/v1/": "a cloud's internal name",
    "https://100.64.0.1/hook": "CGNAT",
    "https://100.127.255.254/hook": "CGNAT, top",
    "https://224.0.0.1/hook": "multicast",
    "https://[ff02::1]/hook": "IPv6 multicast",
    "https://0.0.0.0/hook": "unspecified",
    "https://0/hook": "unspecified, short form",
    "https://[::]/hook": "IPv6 unspecified",
    "https://240.0.0.1/hook": "reserved",
    "https://255.255.255.255/hook": "broadcast",
    "https://192.0.2.1/hook": "documentation (reserved)",
    "https://redis/hook": "a single-label name (the local network's)",
    "https://example.com@127.0.0.1/hook": "user-info trick",
    "https://127.0.0.1.nip.io.local/hook": "a .local name",
    "https://kubernetes.default.svc/hook": "a Kubernetes service name",
    "https://db.prod.svc.cluster.local/hook": "a Kubernetes cluster name",
    "https://vault.service.consul/hook": "a Consul service name",
    "https://files.corp/hook": "a corporate network's name",
    # The attack on the first list: Kubernetes' short service names.
    "https://kubernetes.default/hook": "a Kubernetes service in its namespace",
    "https://kube-dns.kube-system/hook": "a Kubernetes system service",
}


@pytest.mark.parametrize("url", INSIDE, ids=list(INSIDE.values()))
def test_every_spelling_of_an_inside_address_is_refused_when_saved(url):
    with pytest.raises(EgressRefused) as refused:
        PRODUCTION.check_url(url, field="notify_url")
    assert (
        status_for(refused.value) == 422
        and refused.value.code == "URL_NOT_ALLOWED"
        and refused.value.field == "notify_url"
    )


def test_the_resolver_reads_every_loopback_spelling_as_loopback():
    """Why the short, decimal, octal and hex forms are refused: the connection would go to 127.0.0.1."""
    for host in ("127.1", "2130706433", "0177.0.0.1", "0x7f.0.0.1", "0x7f000001"):
        assert {info[4][0] for info in socket.getaddrinfo(host, 443)} == {"127.0.0.1"}


@pytest.mark.parametrize(
    "url",
    [
        "http://example.com/hook",
        "ftp://example.com/hook",
        "https:///hook",
        "https://exa mple.com/",
        "https://user:pw@example.com/",
        "//example.com/",
    ],
)
def test_a_url_must_be_absolute_https_without_credentials(url):
    with pytest.raises(EgressRefused):
        PRODUCTION.check_url(url)


def test_public_https_urls_are_accepted():
    for url in (
        "https://api.example.com/minis/notify",
        "https://8.8.8.8:8443/hook",
        "https://[2606:4700::1111]/hook",
        "https://bücher.example/hook",
    ):
        assert PRODUCTION.check_url(url) == url


def test_the_development_setting_allows_loopback_and_plain_http_to_it_only():
    for url in (
        "http://127.0.0.1:9/notify",
        "http://localhost:3000/rewards",
        "https://[::1]:8443/",
        "http://127.1:8000/",
    ):
        assert DEVELOPMENT.check_url(url) == url
    for url in ("http://example.com/hook", "https://10.0.0.7/", "https://169.254.169.254/", "https://100.64.0.1/"):
        with pytest.raises(EgressRefused):
            DEVELOPMENT.check_url(url)


def resolving(monkeypatch, answers: dict[str, list[str]]) -> list[str]:
    """Make ``getaddrinfo`` answer for these names (a DNS server the attacker controls); returns
    the names looked up, in order."""
    looked_up: list[str] = []
    real = socket.getaddrinfo

    def getaddrinfo(host, port, *args, **kwargs):
        if host in answers and not kwargs.get("flags", 0) & socket.AI_NUMERICHOST:
            looked_up.append(host)
            address = answers[host].pop(0) if len(answers[host]) > 1 else answers[host][0]
            family = socket.AF_INET6 if ":" in address else socket.AF_INET
            return [
                (
                    family,
                    socket.SOCK_STREAM,
                    6,
                    "",
                    (address, port) if family == socket.AF_INET else (address, port, 0, 0),
                )
            ]
        return real(host, port, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
    return looked_up


@pytest.mark.parametrize(
    "address",
    ["127.0.0.1", "10.0.0.7", "169.254.169.254", "::1", "::ffff:127.0.0.1", "100.64.0.1", "fe80::1", "0.0.0.0"],
)
def test_a_name_that_resolves_inside_is_refused_when_connecting_though_it_passed_when_saved(monkeypatch, address):
    url = "https://backend.example.test/hook"
    assert PRODUCTION.check_url(url) == url  # a name: nothing to refuse yet
    resolving(monkeypatch, {"backend.example.test": [address]})
    with Receiver() as receiver:
        outcome = PRODUCTION.post(PRODUCTION.client(), url, content=b"{}", headers={})
    assert not outcome.ok and outcome.status_code is None
    assert "refused by the egress policy" in outcome.error and address in outcome.error
    assert receiver.hits == []


def test_one_inside_address_among_public_ones_refuses_the_name(monkeypatch):
    real = socket.getaddrinfo

    def getaddrinfo(host, port, *args, **kwargs):
        if host == "mixed.example.test" and not kwargs.get("flags", 0) & socket.AI_NUMERICHOST:
            return [
                (socket.AF_INET, socket.SOCK_STREAM, 6, "", ("93.184.216.34", port)),
                (socket.AF_INET, socket.SOCK_STREAM, 6, "", ("10.0.0.7", port)),
            ]
        return real(host, port, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
    outcome = PRODUCTION.post(PRODUCTION.client(), "https://mixed.example.test/hook", content=b"{}", headers={})
    assert outcome.error.startswith("ConnectError: refused by the egress policy") and "10.0.0.7" in outcome.error


def test_the_connection_goes_to_the_address_checked_not_to_a_second_answer(monkeypatch):
    """DNS rebinding: the name answers an allowed address first, then an inside one. The platform
    looks the name up once and connects to that checked address, sending the original Host."""
    with Receiver() as receiver:
        looked_up = resolving(monkeypatch, {"rebind.localhost": ["127.0.0.1", "10.0.0.7"]})
        outcome = DEVELOPMENT.post(
            DEVELOPMENT.client(), f"http://rebind.localhost:{receiver.port}/ok/hook", content=b"{}", headers={}
        )
        assert outcome.status_code == 204, outcome
    assert looked_up == ["rebind.localhost"]  # one lookup for the connection: nothing left to rebind
    assert [(h.path, h.host) for h in receiver.hits] == [("/ok/hook", f"rebind.localhost:{receiver.port}")]


def certificate(tmp_path, name: str) -> tuple[ssl.SSLContext, ssl.SSLContext]:
    """A self-signed certificate for ``name`` only: (the server's context, a client's that trusts it)."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
    now = datetime.datetime.now(datetime.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=1))
        .not_valid_after(now + datetime.timedelta(hours=1))
        .add_extension(x509.SubjectAlternativeName([x509.DNSName(name)]), critical=False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    (tmp_path / "cert.pem").write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    (tmp_path / "key.pem").write_bytes(
        key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    server = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    server.load_cert_chain(tmp_path / "cert.pem", tmp_path / "key.pem")
    return server, ssl.create_default_context(cafile=str(tmp_path / "cert.pem"))


def test_over_https_the_checked_address_is_called_with_the_names_sni_and_certificate(tmp_path, monkeypatch):
    """The connection goes to the address checked, yet TLS sends SNI for the URL's host name and
    verifies the certificate against that name (one made out for the name only, not the address)."""
    server_tls, trusted = certificate(tmp_path, "backend.example.test")
    seen_sni: list[str | None] = []
    server_tls.sni_callback = lambda sock, name, context: seen_sni.append(name)
    looked_up = resolving(monkeypatch, {"backend.example.test": ["127.0.0.1"]})
    with Receiver(tls=server_tls) as receiver:
        outcome = DEVELOPMENT.post(
            DEVELOPMENT.client(trusted),
            f"https://backend.example.test:{receiver.port}/ok/hook",
            content=b"{}",
            headers={},
        )
        assert outcome.status_code == 204, outcome
    assert looked_up == ["backend.example.test"] and seen_sni == ["backend.example.test"]
    assert [(h.path, h.host) for h in receiver.hits] == [("/ok/hook", f"backend.example.test:{receiver.port}")]


def test_plain_http_to_a_public_name_is_refused_before_any_lookup(monkeypatch):
    looked_up = resolving(monkeypatch, {"backend.example.test": ["127.0.0.1"]})
    outcome = DEVELOPMENT.post(DEVELOPMENT.client(), "http://backend.example.test/hook", content=b"{}", headers={})
    assert "must use https" in outcome.error and looked_up == []


def test_no_redirect_is_followed_and_no_body_is_read(monkeypatch):
    with Receiver() as receiver:
        outcome = DEVELOPMENT.post(DEVELOPMENT.client(), receiver.url("/leak/notify"), content=b"{}", headers={})
    assert (outcome.status_code, outcome.error) == (500, "HTTP 500")
    assert "hunter2" not in repr(outcome)

    def redirect(request: httpx.Request) -> httpx.Response:
        return httpx.Response(302, headers={"Location": "http://169.254.169.254/latest/meta-data/"})

    outcome = DEVELOPMENT.post(
        httpx.Client(transport=httpx.MockTransport(redirect)), "https://api.example.com/hook", content=b"{}", headers={}
    )
    assert (outcome.status_code, outcome.error) == (302, "HTTP 302")


def test_a_call_ends_within_its_timeouts_however_slowly_the_backend_answers():
    policy = EgressPolicy(allow_loopback=True, connect_timeout=1, read_timeout=1)
    with Receiver(hang_seconds=30) as receiver:
        outcome = policy.post(policy.client(), receiver.url("/hang/notify"), content=b"{}", headers={})
        assert outcome.status_code is None and "Timeout" in outcome.error
        assert outcome.duration_ms < 5_000
