"""`GET /v1/topics`: the topics with the most published posts."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query

from earnloop.content import feed_service
from earnloop.content.feed_models import TopicsPage
from earnloop.content.feed_reads import FeedReads
from earnloop.platform.auth import CurrentUser

router = APIRouter(tags=["feeds"])


@router.get("/v1/topics", name="topics_list", response_model=TopicsPage)
def topics_list(
    user: CurrentUser,
    store: Annotated[FeedReads, Depends(FeedReads.default)],
    limit: Annotated[int, Query(ge=1, le=100)] = 50,
) -> TopicsPage:
    return TopicsPage(topics=feed_service.list_topics(store, limit))
