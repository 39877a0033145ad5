"""One TLS context for every httpx client the tests make, instead of one each.

``httpx.Client()`` and every ``httpx.get``/``httpx.post`` (a client of their own) build an SSL
context from certifi's CA bundle: 23 ms of CPU on this machine, for clients that then speak plain
HTTP to 127.0.0.1. A storm test's 200 people make three each (sign-up, claim, balance), 14 s of
a test process's CPU before the storm starts. Here the default context (verify=True, no client
certificate) is made once and shared; a test that passes its own ``verify=`` (a TLS server of its
own, tests of the egress policy) gets exactly what it asked for.
"""

from __future__ import annotations

import ssl
from typing import Any

from httpx._transports import default

_made = default.create_ssl_context


def install() -> None:
    shared = _made()

    def create_ssl_context(verify: Any = True, cert: Any = None, trust_env: bool = True) -> ssl.SSLContext:
        if verify is True and cert is None:
            return shared
        return _made(verify=verify, cert=cert, trust_env=trust_env)

    default.create_ssl_context = create_ssl_context
