"""HTTP routes of the points context."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter()
