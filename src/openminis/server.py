"""A serving process: the ASGI app with what must run beside it in the same process, started and
stopped with it (ASGI lifespan): the platform's change signals (signals.py) and, unless a separate
``minis worker`` runs them, its embedded job workers.

``minis serve`` runs one such process, or, with ``--workers N``, N of them under uvicorn's
supervisor on one port: each makes its platform from the environment (``from_environment``), as
processes on other machines behind a load balancer do. They share the database, the data folder
and, where configured, Redis; each keeps its own caches, kept current by the signals.
"""

from __future__ import annotations

from starlette.types import Receive, Scope, Send

from openminis.app import create_app
from openminis.jobs.service import Lane
from openminis.platform import Platform
from openminis.settings import Settings


class ServingApp:
    def __init__(self, platform: Platform):
        self.platform = platform
        self.app = create_app(platform=platform)
        self.lanes: list[Lane] = []

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "lifespan":
            await self.app(scope, receive, send)
            return
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                self.start()
                await self.platform.open_loop_reads()  # in the loop that will serve: it binds to it
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                await self.platform.close_loop_reads()
                self.stop()
                await send({"type": "lifespan.shutdown.complete"})
                return

    def start(self) -> None:
        self.platform.sweep_scratch()
        self.platform.start_signals()
        self.lanes = self.platform.workers() if self.platform.settings.embedded_worker else []
        for lane in self.lanes:
            lane.start()

    def stop(self) -> None:
        for lane in self.lanes:
            lane.stop()
        self.lanes = []
        self.platform.close()


def from_environment() -> ServingApp:
    """Uvicorn's factory in each of ``minis serve --workers N``'s processes: the settings come from
    the environment, which ``minis serve`` has completed with its own options."""
    return ServingApp(Platform(Settings()))
