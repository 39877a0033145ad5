"""The ads domain's background jobs, registered with the platform's job registry."""

from __future__ import annotations

from typing import TYPE_CHECKING

from openminis.ads import rewards
from openminis.jobs import service as jobs

if TYPE_CHECKING:
    from openminis.platform import Platform  # the composition root, above this domain: named, not imported


def register(registry: jobs.Registry, platform: Platform) -> None:
    registry.register_call(
        rewards.JOB, rewards.Verifier(lambda: platform.http, platform.egress, platform.secret), rewards.POLICY
    )
