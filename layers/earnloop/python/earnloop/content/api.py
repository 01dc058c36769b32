"""HTTP routes of the content context: each area's router, included once here."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter()
