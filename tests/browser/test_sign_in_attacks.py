"""Login CSRF and cookie tossing from a hostile app, in real Chromium.

Both attacks need the apps domain to be same-site with the host, so these servers put the host on
``minis.localhost`` and the apps under it (``{app}.apps.minis.localhost``), the configuration the
docs warn against and the one issue 12 saw exploited. (The default, ``localhost`` with apps on
``apps.localhost``, is two sites to Chromium, which sends no host cookie with an app's requests.)

The attacker's page (attack.html in tests/fixtures/packages/sign-in-attacker) is opened top-level,
as the attacker's own page would be (not the app's entry: a tab opening that is sent to the host's
launcher): it loads the attacker's sign-in link as an image, tosses cookies to the parent domain,
then navigates the tab to the link.
"""

from __future__ import annotations

import datetime
import ipaddress
import secrets
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote

import httpx
import pytest
from playwright.sync_api import expect

from openminis.liveserver import LiveServer, free_port
from tests.browser.host_page import HostPage

pytestmark = pytest.mark.browser

ATTACKER_APP = Path(__file__).resolve().parents[1] / "fixtures" / "packages" / "sign-in-attacker"
LINK = r"(https?://\S+/account/link\?token=\S+)"
CODE = r"verification code is (\d{6})"


@pytest.fixture(scope="module")
def same_site_server(tmp_path_factory) -> Iterator[LiveServer]:
    data_dir = tmp_path_factory.mktemp("same-site") / "data"
    data_dir.mkdir()
    server = LiveServer(data_dir, packages=[ATTACKER_APP])
    server.url = f"http://minis.localhost:{server.port}"
    server.env["MINIS_PUBLIC_URL"] = server.url
    with server:
        yield server


def attacker_link(server: LiveServer, email: str) -> str:
    """The attacker asks for a sign-in link to their own address and reads it from their mailbox."""
    with httpx.Client(base_url=f"http://127.0.0.1:{server.port}", timeout=30) as attacker:
        csrf = {"X-CSRF-Token": attacker.get("/api/me").json()["csrf_token"]}
        assert attacker.post("/api/account/link", json={"email": email}, headers=csrf).status_code == 200
    return server.mailed(email, LINK)


def test_a_hostile_apps_image_and_top_level_navigation_to_a_sign_in_link_do_not_change_who_the_person_is(
    browser, same_site_server
):
    server = same_site_server
    mallory = f"mallory-{secrets.token_hex(3)}@example.com"
    link = attacker_link(server, mallory)

    context = browser.new_context(viewport={"width": 390, "height": 844})
    try:
        host = HostPage(context.new_page(), server)
        host.page.goto(f"{server.url}/?prewarm=0")
        ada = f"ada-{secrets.token_hex(3)}@example.com"
        assert (
            host.call_api("POST", "/api/account/register", {"email": ada, "password": "analytical-engine"})["status"]
            == 200
        )
        verified = host.call_api("POST", "/api/account/verify", {"code": server.mailed(ada, CODE)})
        assert verified["status"] == 200
        person = verified["body"]["id"]

        page = host.page
        attacker = f"http://sign-in-attacker.apps.minis.localhost:{server.port}/v/1.0.0/attack.html"
        page.goto(f"{attacker}#link={quote(link, safe='')}&go=1")
        # The image loaded nothing that signs in; the navigation lands on a page that asks.
        page.wait_for_url(f"{server.url}/account/link?token=*")
        expect(page.get_by_role("heading", name=f"Sign in as {mallory}?")).to_be_visible()
        expect(page.get_by_text("asked for in another browser", exact=False)).to_be_visible()
        expect(page.get_by_text(f"You are signed in as {ada} now", exact=False)).to_be_visible()

        me = host.call_api("GET", "/api/me")["body"]["user"]
        assert (me["id"], me["email"]) == (person, ada)

        # Cancel takes the person home, still themself; the link stays the attacker's, unused.
        page.get_by_role("link", name="Cancel").click()
        expect(page.locator("#feed")).to_be_visible()
        assert host.call_api("GET", "/api/me")["body"]["user"]["id"] == person
    finally:
        context.close()
    assert host.errors == []


# An https deployment -------------------------------------------------------------------------


def self_signed(folder: Path) -> tuple[Path, Path]:
    """A certificate for the host and every app's origin under minis.localhost."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "minis.localhost")])
    now = datetime.datetime.now(datetime.UTC)
    names = [
        x509.DNSName("minis.localhost"),
        x509.DNSName("*.apps.minis.localhost"),
        x509.IPAddress(ipaddress.ip_address("127.0.0.1")),
    ]
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(x509.SubjectAlternativeName(names), critical=False)
        .sign(key, hashes.SHA256())
    )
    cert, private = folder / "cert.pem", folder / "key.pem"
    cert.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    private.write_bytes(
        key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    return cert, private


@pytest.fixture(scope="module")
def https_server(tmp_path_factory) -> Iterator[str]:
    """The platform served over TLS at https://minis.localhost:{port} (uvicorn in a thread)."""
    import uvicorn

    from openminis.app import create_app
    from openminis.cli import _platform, publish_folder
    from openminis.settings import Settings

    folder = tmp_path_factory.mktemp("https")
    port = free_port()
    url = f"https://minis.localhost:{port}"
    platform = _platform(Settings(data_dir=folder / "data", public_url=url, secret_key=secrets.token_hex(16)))
    publish_folder(platform, ATTACKER_APP, developer="attacker@example.com")
    cert, key = self_signed(folder)
    config = uvicorn.Config(
        create_app(platform=platform),
        host="127.0.0.1",
        port=port,
        log_level="warning",
        ssl_certfile=str(cert),
        ssl_keyfile=str(key),
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, name="https-server", daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.05)
    assert server.started, "the https server did not start"
    yield url
    server.should_exit = True
    thread.join(timeout=10)
    platform.close()


def test_on_https_an_app_on_a_sibling_subdomain_cannot_toss_a_session_cookie_to_the_host(browser, https_server):
    port = https_server.rsplit(":", 1)[1]
    with httpx.Client(base_url=f"https://127.0.0.1:{port}", verify=False, timeout=30) as attacker:
        attackers_token = attacker.get("/api/me").cookies["__Host-minis_session"]

    context = browser.new_context(ignore_https_errors=True)
    try:
        page = context.new_page()

        def who() -> str:
            """Who the host sees, asked from the host's own page with whatever cookies the browser sends it."""
            page.goto(f"{https_server}/account/link")  # a light host page (this one signs nobody in)
            return page.evaluate("async () => (await (await fetch('/api/me')).json()).user.id")

        person = who()
        [session] = [cookie for cookie in context.cookies() if cookie["name"].endswith("minis_session")]
        assert (session["name"], session["domain"], session["path"], session["secure"]) == (
            "__Host-minis_session",
            "minis.localhost",
            "/",
            True,
        )

        page.goto(
            f"https://sign-in-attacker.apps.minis.localhost:{port}/v/1.0.0/attack.html#toss={attackers_token}&domain=minis.localhost"
        )
        page.wait_for_function("() => window.__attack && window.__attack.done")

        tossed = [cookie for cookie in context.cookies() if cookie["domain"] == ".minis.localhost"]
        assert tossed, "the attack set no cookie for the parent domain: this test would prove nothing"
        assert all(not cookie["name"].startswith("__Host-") for cookie in tossed)  # the browser refused those
        assert who() == person
    finally:
        context.close()
