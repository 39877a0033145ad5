"""The ads domain's background jobs, registered with the platform's job registry."""

from __future__ import annotations

from openminis.ads import rewards
from openminis.jobs import service as jobs


def register(registry: jobs.Registry, platform) -> None:
    registry.register_call(
        rewards.JOB, rewards.Verifier(lambda: platform.http, platform.egress, platform.secret), rewards.POLICY
    )
