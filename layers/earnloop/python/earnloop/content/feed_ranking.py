"""The hot schedule's reads and writes: recent live posts from `feed_new`, the hot set in `feed_hot`."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from botocore.exceptions import ClientError

from earnloop.content.feed_keys import HOT_INDEX, HOT_PARTITION, NEW_INDEX, NEW_PARTITION, card_key
from earnloop.content.feed_models import FeedCard
from earnloop.platform import aws
from earnloop.platform.dynamo import is_condition_failure, marshal, unmarshal
from earnloop.platform.settings import get_settings

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient


class HotRanking:
    def __init__(self, ddb: DynamoDBClient, table: str) -> None:
        self._ddb = ddb
        self._table = table

    @classmethod
    def default(cls) -> HotRanking:
        """On this stage's content table (cheap: the client and settings underneath are cached)."""
        return cls(aws.dynamodb(), get_settings().table_name("content"))

    def recent(self, since: str, until: str, limit: int) -> list[FeedCard]:
        """Live posts published from `since` to `until`, newest first, at most `limit` (the `new`
        index)."""
        cards: list[FeedCard] = []
        kwargs: dict[str, Any] = {
            "TableName": self._table,
            "IndexName": NEW_INDEX,
            "KeyConditionExpression": "new_pk = :partition AND new_sk BETWEEN :since AND :until",
            # "~" sorts after "#": every post id of the last millisecond is in.
            "ExpressionAttributeValues": marshal(
                {":partition": NEW_PARTITION, ":since": since, ":until": f"{until}~"}
            ),
            "ScanIndexForward": False,
        }
        while len(cards) < limit:
            page = self._ddb.query(**kwargs, Limit=limit - len(cards))
            cards.extend(FeedCard.model_validate(unmarshal(i)) for i in page.get("Items", []))
            if "LastEvaluatedKey" not in page:
                break
            kwargs["ExclusiveStartKey"] = page["LastEvaluatedKey"]
        return cards

    def hot_set(self) -> dict[str, str]:
        """post id -> hot sort key of every post in the materialized hot set."""
        ranked: dict[str, str] = {}
        kwargs: dict[str, Any] = {
            "TableName": self._table,
            "IndexName": HOT_INDEX,
            "KeyConditionExpression": "hot_pk = :partition",
            "ExpressionAttributeValues": marshal({":partition": HOT_PARTITION}),
            "ProjectionExpression": "post_id, hot_sk",
        }
        while True:
            page = self._ddb.query(**kwargs)
            for item in map(unmarshal, page.get("Items", [])):
                ranked[item["post_id"]] = item["hot_sk"]
            if "LastEvaluatedKey" not in page:
                return ranked
            kwargs["ExclusiveStartKey"] = page["LastEvaluatedKey"]

    def rank(self, post_id: str, hot_sk: str) -> bool:
        """Places a live post in the hot set at `hot_sk`; False when it is no longer live."""
        try:
            self._ddb.update_item(
                TableName=self._table,
                Key=marshal(card_key(post_id)),
                UpdateExpression="SET hot_pk = :partition, hot_sk = :sk",
                ConditionExpression="#state = :live",
                ExpressionAttributeNames={"#state": "state"},
                ExpressionAttributeValues=marshal(
                    {":partition": HOT_PARTITION, ":sk": hot_sk, ":live": "live"}
                ),
            )
        except ClientError as error:
            if is_condition_failure(error):
                return False
            raise
        return True

    def unrank(self, post_id: str) -> None:
        try:
            self._ddb.update_item(
                TableName=self._table,
                Key=marshal(card_key(post_id)),
                UpdateExpression="REMOVE hot_pk, hot_sk",
                ConditionExpression="attribute_exists(pk)",
            )
        except ClientError as error:
            if not is_condition_failure(error):
                raise
