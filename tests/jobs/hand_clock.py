"""A job worker's clock, moved by hand."""

from __future__ import annotations

from datetime import timedelta

from openminis.db import utcnow


class Clock:
    def __init__(self):
        self.now = utcnow()

    def __call__(self):
        return self.now

    def advance(self, **delta):
        self.now += timedelta(**delta)
