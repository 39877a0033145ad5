"""The ads domain's background jobs, registered with the platform's job registry."""

from __future__ import annotations

from openminis.ads import rewards
from openminis.jobs import service as jobs


def register(registry: jobs.Registry, platform) -> None:
    registry.register(rewards.JOB, rewards.verifier(lambda: platform.http, platform.secret), rewards.POLICY)
