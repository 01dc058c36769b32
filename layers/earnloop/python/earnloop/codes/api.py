"""HTTP routes of the codes context."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter()
