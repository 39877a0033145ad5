"""The ASGI application of ``minis dev``: the whole platform, as ``minis serve`` runs it, and in
front of it the dev page's routes (``/dev`` on the host's origin only)."""

from __future__ import annotations

from fastapi import Depends, FastAPI
from starlette.types import ASGIApp, Receive, Scope, Send

from openminis.app import create_app, install_error_handlers
from openminis.devtools.routes import router
from openminis.devtools.server import DevServer
from openminis.web.dependencies import limit_changes_by_ip


class DevRouter:
    """``/dev`` and below on the host's origin go to the dev routes; everything else, an app's own
    ``/dev/...`` files included, to the platform."""

    def __init__(self, dev: ASGIApp, platform: ASGIApp, apps_host: str):
        self.dev = dev
        self.platform = platform
        self.apps_suffix = "." + apps_host

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and self._is_dev(scope):
            await self.dev(scope, receive, send)
        else:
            await self.platform(scope, receive, send)

    def _is_dev(self, scope: Scope) -> bool:
        path: str = scope["path"]
        if path != "/dev" and not path.startswith("/dev/"):
            return False
        headers: list[tuple[bytes, bytes]] = scope.get("headers", [])
        host = next((value.decode("latin-1").lower() for name, value in headers if name == b"host"), "")
        return not host.split(":", 1)[0].endswith(self.apps_suffix)


def create_dev_app(server: DevServer) -> DevRouter:
    platform = server.platform
    dev = FastAPI(title="openminis dev", dependencies=[Depends(limit_changes_by_ip)], openapi_url=None)
    dev.state.platform = platform
    dev.state.dev_server = server
    install_error_handlers(dev)
    dev.include_router(router)
    return DevRouter(dev, create_app(platform=platform), platform.settings.apps_host)
