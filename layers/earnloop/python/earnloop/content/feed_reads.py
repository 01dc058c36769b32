"""The read side of the feeds: a page is one Query, its per-reader items one BatchGetItem."""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any

from earnloop.content.feed_keys import BATCH_GET_MAX, TOPICS_INDEX, TOPICS_PARTITION, FeedQuery, pk_attribute
from earnloop.content.feed_models import FeedCard, ReaderInterests
from earnloop.platform import aws
from earnloop.platform.dynamo import marshal, unmarshal
from earnloop.platform.settings import get_settings

if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence

    from mypy_boto3_dynamodb import DynamoDBClient

_RETRIES = 5


class ReadsThrottledError(Exception):
    """DynamoDB kept some keys of a batch unprocessed through every retry."""


class FeedReads:
    def __init__(self, ddb: DynamoDBClient, table: str) -> None:
        self._ddb = ddb
        self._table = table

    @classmethod
    def default(cls) -> FeedReads:
        """On this stage's content table (cheap: the client and settings underneath are cached)."""
        return cls(aws.dynamodb(), get_settings().table_name("content"))

    def page(
        self, query: FeedQuery, limit: int, start: Mapping[str, Any] | None
    ) -> tuple[list[FeedCard], dict[str, Any] | None]:
        """Up to `limit` cards of a feed, best or newest first, and the key the next page starts
        after (None: this is the last page). One Query: it asks for one item more than it shows,
        so the last page is known to be the last."""
        kwargs: dict[str, Any] = {
            "TableName": self._table,
            "KeyConditionExpression": "#pk = :partition",
            "ExpressionAttributeNames": {"#pk": pk_attribute(query)},
            "ExpressionAttributeValues": marshal({":partition": query.partition}),
            "ScanIndexForward": False,
            "Limit": limit + 1,
        }
        if query.index:
            kwargs["IndexName"] = query.index
        if start:
            kwargs["ExclusiveStartKey"] = marshal(start)
        items = [unmarshal(i) for i in self._ddb.query(**kwargs).get("Items", [])]
        next_key = None
        if len(items) > limit:
            items = items[:limit]
            next_key = {name: items[-1][name] for name in query.key_attributes}
        return [FeedCard.model_validate(item) for item in items], next_key

    def batch_get(self, keys: Sequence[Mapping[str, str]]) -> dict[tuple[str, str], dict[str, Any]]:
        """The items at `keys` (at most 100: one BatchGetItem), by (pk, sk); missing ones left out.
        Keys DynamoDB leaves unprocessed (throttling) are asked again."""
        if len(keys) > BATCH_GET_MAX:
            raise ValueError("one BatchGetItem holds at most 100 keys")
        found: dict[tuple[str, str], dict[str, Any]] = {}
        if not keys:
            return found
        pending: dict[str, Any] = {self._table: {"Keys": [marshal(k) for k in keys]}}
        for attempt in range(_RETRIES):
            response = self._ddb.batch_get_item(RequestItems=pending)
            for item in map(unmarshal, response.get("Responses", {}).get(self._table, [])):
                found[(item["pk"], item["sk"])] = item
            pending = response.get("UnprocessedKeys") or {}
            if not pending:
                return found
            time.sleep(0.05 * 2**attempt)
        raise ReadsThrottledError(self._table)

    def topics(self, limit: int) -> list[tuple[str, int]]:
        """The topics with the most live posts, most first (one query of `topics_by_count`)."""
        response = self._ddb.query(
            TableName=self._table,
            IndexName=TOPICS_INDEX,
            KeyConditionExpression="topics_pk = :partition",
            ExpressionAttributeValues=marshal({":partition": TOPICS_PARTITION}),
            ScanIndexForward=False,
            Limit=limit,
        )
        rows = [unmarshal(i) for i in response.get("Items", [])]
        return [(row["name"], int(row["post_count"])) for row in rows if int(row["post_count"]) > 0]


def interests_of(item: Mapping[str, Any] | None) -> ReaderInterests:
    """A reader's interests from their `READER#<user>`/`INTERESTS` item (absent: none yet)."""
    if not item:
        return ReaderInterests()
    topics = {k.removeprefix("topic:"): int(v) for k, v in item.items() if k.startswith("topic:")}
    tags = {k.removeprefix("tag:"): int(v) for k, v in item.items() if k.startswith("tag:")}
    return ReaderInterests(topics=topics, tags=tags, segment=item.get("segment"))
