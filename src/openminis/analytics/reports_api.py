"""Platform-admin reports over the analytics store (across apps)."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter(prefix="/api/admin/reports", tags=["reports"])
