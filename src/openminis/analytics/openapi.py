"""Open API reports for a developer's own app, read from the analytics store."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter(tags=["reports"])
