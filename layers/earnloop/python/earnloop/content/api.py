"""HTTP routes of the content context: each area's router, included once here."""

from __future__ import annotations

from fastapi import APIRouter

from earnloop.content.media_api import router as media_router
from earnloop.content.posts_api import router as posts_router

router = APIRouter()
router.include_router(media_router)
router.include_router(posts_router)
