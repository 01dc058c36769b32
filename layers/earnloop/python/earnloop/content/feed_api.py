"""`GET /v1/feed`: a page of one feed, for the caller."""

from __future__ import annotations

from collections.abc import Mapping
from functools import lru_cache
from typing import Annotated

from fastapi import APIRouter, Depends, Query

from earnloop.content import feed_service
from earnloop.content.feed_cursor import MAX_CURSOR_CHARS, CursorSigner
from earnloop.content.feed_models import FeedKind, FeedPage
from earnloop.content.feed_reads import FeedReads
from earnloop.platform.auth import CurrentUser
from earnloop.platform.clock import utcnow
from earnloop.platform.secrets import secret_json
from earnloop.platform.settings import get_settings

router = APIRouter(tags=["feeds"])


def _cursor_key() -> bytes:
    # Read through the secrets cache at each use, so a rotated key reaches warm containers.
    return str(secret_json(get_settings().secret_id("feed_cursor"))["key"]).encode()


@lru_cache(maxsize=1)
def cursor_signer() -> CursorSigner:
    return CursorSigner(_cursor_key)


Reads = Annotated[FeedReads, Depends(FeedReads.default)]
Signer = Annotated[CursorSigner, Depends(cursor_signer)]


@router.get("/v1/feed", name="feed_get", response_model=FeedPage, response_model_exclude_none=True)
def feed_get(
    user: CurrentUser,
    store: Reads,
    signer: Signer,
    kind: Annotated[FeedKind, Query(description="Which feed")] = "hot",
    topic: Annotated[
        str | None, Query(min_length=1, max_length=64, description="A topic's posts, newest first")
    ] = None,
    limit: Annotated[
        int, Query(ge=1, le=100, description=f"At most {feed_service.MAX_PAGE} posts are shown")
    ] = 20,
    cursor: Annotated[str | None, Query(min_length=1, max_length=MAX_CURSOR_CHARS)] = None,
) -> FeedPage:
    request = feed_service.PageRequest(kind=kind, topic=topic, limit=limit, cursor=cursor)
    return feed_service.read_page(store, signer, user.user_id, request, rendition_urls, utcnow())


def rendition_urls(renditions: Mapping[str, str]) -> dict[str, str]:
    """Presigned GETs of a published post's renditions (a feed shows published posts only)."""
    from earnloop.content.media_rules import RENDITIONS_PREFIX
    from earnloop.content.media_serving import signed_url

    # Only renditions are ever signed; anything else in an event is left out, not a 500.
    return {name: signed_url(key) for name, key in renditions.items() if key.startswith(RENDITIONS_PREFIX)}
