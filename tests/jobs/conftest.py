"""What the job tests share."""

from __future__ import annotations

import pytest

from openminis.jobs import service as jobs
from tests.jobs.hand_clock import Clock


@pytest.fixture
def clock():
    return Clock()


@pytest.fixture
def registry():
    return jobs.Registry()
