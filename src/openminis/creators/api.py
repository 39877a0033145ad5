"""Host routes for creators: becoming one, posting, earnings; public post pages and media."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter(prefix="/api", tags=["creators"])
