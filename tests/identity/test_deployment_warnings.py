"""The apps domain must be a registrable domain of its own (docs/accounts.md): under the host's,
an app is same-site with the host and can send or toss its cookies. ``minis serve`` says so."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import ValidationError

from openminis.liveserver import LiveServer
from openminis.settings import Settings


@pytest.mark.parametrize(
    ("public_url", "apps_domain", "warned"),
    [
        ("https://minis.example.com", "", True),  # the default apps.{host}
        ("https://minis.example.com", "apps.example.com", True),
        ("https://example.co.uk", "games.example.co.uk", True),
        ("https://minis.example.com", "example-apps.com", False),
        ("https://example.co.uk", "exampleapps.co.uk", False),
        ("http://localhost:8000", "", False),  # to browsers apps.localhost is a site apart
        ("http://minis.localhost:8000", "", False),
    ],
)
def test_an_apps_domain_under_the_hosts_registrable_domain_is_warned_about(public_url, apps_domain, warned):
    warnings = Settings(public_url=public_url, apps_domain=apps_domain).cookie_warnings()
    assert any("same registrable domain" in warning for warning in warnings) is warned


def test_plain_http_on_a_public_name_is_warned_about():
    [warning] = Settings(public_url="http://minis.example.com", apps_domain="example-apps.com").cookie_warnings()
    assert "not https" in warning


def test_minis_serve_warns_when_apps_share_the_hosts_registrable_domain(tmp_path):
    data_dir = tmp_path / "data"
    data_dir.mkdir()
    with LiveServer(data_dir, env={"MINIS_PUBLIC_URL": "https://minis.example.com"}) as server:
        output = Path(server.log.name).read_text()
    assert (
        "warning: apps are served under apps.minis.example.com, on the same registrable domain as the host"
        in " ".join(output.split())
    )


@pytest.mark.parametrize(
    "domain", ["apps.localhost:8000", "https://apps.example.net", "apps.example.net/", "a..b", "127.0.0.1"]
)
def test_an_apps_domain_with_a_port_scheme_or_path_stops_the_start_with_its_reason(domain):
    """With its port, no request's Host matched the apps' domain, and every app's origin was
    answered as the host itself (a probe, attack54, set it so by mistake)."""
    with pytest.raises(ValidationError, match="MINIS_APPS_DOMAIN is a domain name alone"):
        Settings(apps_domain=domain)
