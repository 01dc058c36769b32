"""Lifecycle segments in `for_you`: identity's `SegmentChanged` is kept on the reader's interests
item (`READER#<user>`/`INTERESTS`: `segment`, `segment_at`; the newest change wins), and decides
what a page of `for_you` is ordered by:

- `at_risk` and `sleeping` readers get the hot order itself: the posts everyone engages with now are
  the best bet to bring them back, and interests learned months ago are stale;
- `new` readers (no scan yet, few interests) have the brand's `onboarding_topics` added to their
  topic interests, so the posts that show them around come first;
- everyone else, as before, by their own interests.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from botocore.exceptions import ClientError
from pydantic import Field

from earnloop.content.feed_keys import reader_key
from earnloop.content.feed_rules import normal_topic
from earnloop.platform import aws
from earnloop.platform.dynamo import is_condition_failure, marshal
from earnloop.platform.events import DomainEvent
from earnloop.platform.observability import logger
from earnloop.platform.settings import get_settings

if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence

# Readers drifting away: ranked by the hot order alone.
HOT_FIRST = frozenset({"at_risk", "sleeping"})
# Weight of each onboarding topic for a new reader: as much as the topics they picked themselves.
ONBOARDING_WEIGHT = 1


class SegmentChanged(DomainEvent):
    # Read here, emitted by identity.
    source = "earnloop.identity"
    detail_type = "SegmentChanged"

    user_id: str = Field(min_length=1, max_length=64)
    to_segment: str
    changed_at: str


def set_segment(user_id: str, segment: str, changed_at: str) -> bool:
    """Keeps the reader's newest segment; an older or repeated event writes nothing. Returns
    whether it wrote."""
    try:
        aws.dynamodb().update_item(
            TableName=get_settings().table_name("content"),
            Key=marshal(reader_key(user_id)),
            UpdateExpression="SET entity = :entity, #segment = :segment, segment_at = :at",
            ConditionExpression="attribute_not_exists(segment_at) OR segment_at < :at",
            ExpressionAttributeNames={"#segment": "segment"},
            ExpressionAttributeValues=marshal(
                {":entity": "ReaderInterests", ":segment": segment, ":at": changed_at}
            ),
        )
    except ClientError as error:
        if not is_condition_failure(error):
            raise
        logger.info("segment older than the one kept", extra={"user_id": user_id})
        return False
    return True


def on_segment_changed(event: SegmentChanged) -> None:
    set_segment(event.user_id, event.to_segment, event.changed_at)


def ranking_interests(
    segment: str | None, topics: Mapping[str, int], onboarding: Sequence[str] | None = None
) -> dict[str, int] | None:
    """The topic interests a page is ordered by for a reader in `segment`, or None for the hot
    order itself. `onboarding`: the brand's onboarding topics (default: the setting)."""
    if segment in HOT_FIRST:
        return None
    if segment == "new":
        if onboarding is None:
            onboarding = get_settings().onboarding_topics
        extra = {normal_topic(name): ONBOARDING_WEIGHT for name in onboarding if normal_topic(name)}
        return {**extra, **{k: v + extra.get(k, 0) for k, v in topics.items()}}
    return dict(topics)
