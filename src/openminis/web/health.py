"""``GET /healthz``: what a load balancer and ``minis serve``'s tests ask before sending people.

It answers 200 once the process serves and its database answers a query; never makes a guest or
a session (a readiness check must not count against an address's guest limit); the admission gate
applies, so a node too busy to serve answers 503 with Retry-After and the balancer goes elsewhere.
"""

from __future__ import annotations

from pydantic import BaseModel
from sqlalchemy import text

from openminis import __version__
from openminis.web.dependencies import SessionDep
from openminis.web.routing import Router

router = Router()


class HealthOut(BaseModel):
    status: str
    version: str


@router.get("/healthz", response_model=HealthOut)
def healthz(session: SessionDep) -> HealthOut:
    session.execute(text("SELECT 1"))
    return HealthOut(status="ok", version=__version__)
