"""HTTP routes of the identity context."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter()
