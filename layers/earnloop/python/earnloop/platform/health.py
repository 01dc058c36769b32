"""`GET /v1/health`: no auth, in every stage."""

from __future__ import annotations

from fastapi import APIRouter
from pydantic import BaseModel

from earnloop.platform.settings import get_settings

router = APIRouter(tags=["health"])


class Health(BaseModel):
    status: str
    stage: str


@router.get("/v1/health", name="health", response_model=Health)
def health() -> Health:
    return Health(status="ok", stage=get_settings().stage)
