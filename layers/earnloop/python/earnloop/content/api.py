"""HTTP routes of the content context: each area's router, included once here."""

from __future__ import annotations

from fastapi import APIRouter

from earnloop.content.feed_api import router as feed_router
from earnloop.content.likes_api import router as likes_router
from earnloop.content.media_api import router as media_router
from earnloop.content.posts_api import router as posts_router
from earnloop.content.topics_api import router as topics_router

router = APIRouter()
# The areas' routes themselves, not `include_router`: FastAPI (0.165) keeps an included router as one
# lazy entry, which the composition root (`platform.app.api_routes`: route name = function name) and
# the catalog tests cannot see into.
for _area in (media_router, posts_router, likes_router, feed_router, topics_router):
    router.routes.extend(_area.routes)
