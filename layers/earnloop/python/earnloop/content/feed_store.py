"""The feed worker's and the hot schedule's reads and writes (keys: `feed_keys`).

Every write of the worker is one transaction conditioned on the version of the card it read.
"""

from __future__ import annotations

from decimal import Decimal
from typing import TYPE_CHECKING, Any

from botocore.exceptions import ClientError

from earnloop.content.feed_keys import (
    CARD_ENTITY,
    COUNTERS,
    ENTRY_ENTITY,
    GUARD_DAYS,
    HOT_PARTITION,
    NEW_PARTITION,
    SHOWN,
    TOPICS_PARTITION,
    author_key,
    card_key,
    counted_key,
    follow_entry_key,
    followers_partition,
    order_key,
    reader_key,
    reader_seen_key,
    sku_key,
    topic_count_key,
    topic_entry_key,
)
from earnloop.content.feed_models import CardState, FeedCard
from earnloop.platform import aws
from earnloop.platform.dynamo import (
    TransactionConflictError,
    TxAction,
    is_condition_failure,
    marshal,
    transact,
    unmarshal,
)
from earnloop.platform.settings import get_settings

if TYPE_CHECKING:
    from collections.abc import Iterable, Mapping, Sequence

    from mypy_boto3_dynamodb import DynamoDBClient


class StaleCardError(Exception):
    """The card changed since it was read: read it again and redo the write."""


class AlreadyCountedError(Exception):
    """The event was counted before (a redelivery): nothing to do."""


def _storable(value: Any) -> Any:
    """DynamoDB takes no float: the quality score and a video's duration go as Decimals."""
    if isinstance(value, float):
        return Decimal(str(value))
    if isinstance(value, dict):
        return {k: _storable(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_storable(v) for v in value]
    return value


def _expires_at(now_epoch: float) -> int:
    return int(now_epoch) + GUARD_DAYS * 24 * 3600


class FeedStore:
    def __init__(self, ddb: DynamoDBClient, table: str) -> None:
        self._ddb = ddb
        self._table = table

    @classmethod
    def default(cls) -> FeedStore:
        """On this stage's content table (cheap: the client and settings underneath are cached)."""
        return cls(aws.dynamodb(), get_settings().table_name("content"))

    # Reads on the worker's side

    def card(self, post_id: str) -> FeedCard | None:
        found = self._ddb.get_item(TableName=self._table, Key=marshal(card_key(post_id)), ConsistentRead=True)
        item = found.get("Item")
        return FeedCard.model_validate(unmarshal(item)) if item else None

    def sku_tags(self, sku: str) -> list[str]:
        found = self._ddb.get_item(TableName=self._table, Key=marshal(sku_key(sku)))
        item = unmarshal(found["Item"]) if "Item" in found else {}
        return [str(tag) for tag in item.get("tags", [])]

    def followers(self, author_id: str) -> list[str]:
        """Every follower of `author_id` (a query of the author's own partition, paged through)."""
        readers: list[str] = []
        kwargs: dict[str, Any] = {
            "TableName": self._table,
            "KeyConditionExpression": "pk = :pk AND begins_with(sk, :follower)",
            # An unfollow leaves its dated tombstone (content/feed_follows.py): not a follower.
            "FilterExpression": "attribute_not_exists(following) OR following = :yes",
            "ExpressionAttributeValues": marshal(
                {":pk": followers_partition(author_id), ":follower": "FOLLOWER#", ":yes": True}
            ),
            "ProjectionExpression": "sk",
        }
        while True:
            page = self._ddb.query(**kwargs)
            readers.extend(unmarshal(i)["sk"].removeprefix("FOLLOWER#") for i in page.get("Items", []))
            if "LastEvaluatedKey" not in page:
                return readers
            kwargs["ExclusiveStartKey"] = page["LastEvaluatedKey"]

    # The worker's writes: each one transaction, conditioned on the card version it read

    def _card_condition(self, before: FeedCard | None) -> tuple[str, dict[str, Any]]:
        if before is None:
            return "attribute_not_exists(pk)", {}
        return "version = :read_version", {":read_version": before.version}

    def _card_item(self, card: FeedCard) -> dict[str, Any]:
        item: dict[str, Any] = {
            **card_key(card.post_id),
            "entity": CARD_ENTITY,
            **_storable(card.model_dump()),
        }
        if card.state == "live" and card.published_at:
            item["new_pk"] = NEW_PARTITION
            item["new_sk"] = order_key(card.published_at, card.post_id)
        if card.hot_sk is not None:
            item["hot_pk"] = HOT_PARTITION
        return item

    def _entry_item(self, key: Mapping[str, str], card: FeedCard) -> dict[str, Any]:
        shown = _storable(card.model_dump(include=set(SHOWN)))
        return {**key, "entity": ENTRY_ENTITY, **shown}

    def _put_card(self, before: FeedCard | None, card: FeedCard) -> TxAction:
        condition, values = self._card_condition(before)
        put: dict[str, Any] = {
            "TableName": self._table,
            "Item": marshal(self._card_item(card)),
            "ConditionExpression": condition,
        }
        if values:
            put["ExpressionAttributeValues"] = marshal(values)
        return TxAction({"Put": put}, on_condition_failed=lambda _: StaleCardError(card.post_id))

    def _topic_count(self, topic: str, delta: int) -> TxAction:
        return TxAction(
            {
                "Update": {
                    "TableName": self._table,
                    "Key": marshal(topic_count_key(topic)),
                    "UpdateExpression": "SET topics_pk = :partition, #name = :name ADD post_count :delta",
                    "ExpressionAttributeNames": {"#name": "name"},
                    "ExpressionAttributeValues": marshal(
                        {":partition": TOPICS_PARTITION, ":name": topic, ":delta": delta}
                    ),
                }
            }
        )

    def publish(self, before: FeedCard | None, card: FeedCard, *, learn_author: bool) -> None:
        """Puts the live card, its topic entries, +1 on each topic's count and (on a first publish)
        the author's own topics as interests: all or nothing.

        Raises:
            StaleCardError: the card is no longer the version read.
        """
        if card.published_at is None:
            raise ValueError("a live card needs its publish time")
        published_at = card.published_at
        actions = [self._put_card(before, card)]
        for topic in card.topics:
            entry = self._entry_item(topic_entry_key(topic, published_at, card.post_id), card)
            actions.append(TxAction({"Put": {"TableName": self._table, "Item": marshal(entry)}}))
            actions.append(self._topic_count(topic, +1))
        if learn_author and card.author_id and card.topics:
            actions.append(self._add_interests(card.author_id, {f"topic:{t}": 1 for t in card.topics}))
        self._commit(actions)

    def hide(self, before: FeedCard, state: CardState, changed_at: str) -> None:
        """Takes a card out of every feed (or records a tombstone for a post never seen live):
        the card's state, its topic entries deleted, -1 on each topic's count.

        Raises:
            StaleCardError: the card is no longer the version read.
        """
        was_live = before.state == "live"
        hidden = before.model_copy(
            update={"state": state, "changed_at": changed_at, "version": before.version + 1, "hot_sk": None}
        )
        exists = before.state is not None or before.version > 0
        actions = [self._put_card(before if exists else None, hidden)]
        if was_live and before.published_at:
            for topic in before.topics:
                key = topic_entry_key(topic, before.published_at, before.post_id)
                actions.append(TxAction({"Delete": {"TableName": self._table, "Key": marshal(key)}}))
                actions.append(self._topic_count(topic, -1))
        self._commit(actions)

    def count(
        self, before: FeedCard | None, post_id: str, ref: str, deltas: Mapping[str, int], now: float
    ) -> None:
        """Adds `deltas` (e.g. `{"comment_count": 1}`) to the card and, while it is live, to its
        topic entries, once per `ref`.

        Raises:
            AlreadyCountedError: `ref` was counted before.
            StaleCardError: the card is no longer the version read.
        """
        if not deltas or set(deltas) - set(COUNTERS):
            raise ValueError(f"unknown counters {sorted(deltas)}")
        guard = TxAction(
            {
                "Put": {
                    "TableName": self._table,
                    "Item": marshal(
                        {**counted_key(post_id, ref), "entity": "FeedCounted", "expires_at": _expires_at(now)}
                    ),
                    "ConditionExpression": "attribute_not_exists(pk)",
                }
            },
            on_condition_failed=lambda _: AlreadyCountedError(ref),
        )
        names = {f"#c{i}": name for i, name in enumerate(deltas)}
        values: dict[str, Any] = {f":c{i}": delta for i, delta in enumerate(deltas.values())}
        adds = ", ".join(f"#c{i} :c{i}" for i in range(len(deltas)))
        condition, read = self._card_condition(before)
        card_update = TxAction(
            {
                "Update": {
                    "TableName": self._table,
                    "Key": marshal(card_key(post_id)),
                    # A count that overtook its post's PostPublished creates a card holding counts only.
                    "UpdateExpression": f"SET entity = :entity, post_id = :post ADD {adds}, version :one",
                    "ConditionExpression": condition,
                    "ExpressionAttributeNames": names,
                    "ExpressionAttributeValues": marshal(
                        {**values, **read, ":entity": CARD_ENTITY, ":post": post_id, ":one": 1}
                    ),
                }
            },
            on_condition_failed=lambda _: StaleCardError(post_id),
        )
        actions = [guard, card_update]
        if before is not None and before.state == "live" and before.published_at:
            for topic in before.topics:
                key = topic_entry_key(topic, before.published_at, post_id)
                actions.append(
                    TxAction(
                        {
                            "Update": {
                                "TableName": self._table,
                                "Key": marshal(key),
                                "UpdateExpression": f"ADD {adds}",
                                # Never recreate an entry a concurrent hide deleted.
                                "ConditionExpression": "attribute_exists(pk)",
                                "ExpressionAttributeNames": names,
                                "ExpressionAttributeValues": marshal(values),
                            }
                        },
                        on_condition_failed=lambda _: StaleCardError(post_id),
                    )
                )
        self._commit(actions)

    def learn_scan(self, user_id: str, ref: str, sku: str, tags: Sequence[str], now: float) -> None:
        """The scanner's product-tag interests (+1 per tag, once per `ref`) and the SKU's tags.

        Raises:
            AlreadyCountedError: `ref` was learned before.
        """
        guard = TxAction(
            {
                "Put": {
                    "TableName": self._table,
                    "Item": marshal(
                        {
                            **reader_seen_key(user_id, ref),
                            "entity": "ReaderSeen",
                            "expires_at": _expires_at(now),
                        }
                    ),
                    "ConditionExpression": "attribute_not_exists(pk)",
                }
            },
            on_condition_failed=lambda _: AlreadyCountedError(ref),
        )
        sku_item = {**sku_key(sku), "entity": "FeedSku", "sku": sku, "tags": sorted(set(tags))}
        actions = [guard, TxAction({"Put": {"TableName": self._table, "Item": marshal(sku_item)}})]
        if tags:
            actions.append(self._add_interests(user_id, {f"tag:{tag}": 1 for tag in set(tags)}))
        self._commit(actions)

    def _add_interests(self, user_id: str, weights: Mapping[str, int]) -> TxAction:
        names = {f"#w{i}": name for i, name in enumerate(weights)}
        values = {f":w{i}": weight for i, weight in enumerate(weights.values())}
        adds = ", ".join(f"#w{i} :w{i}" for i in range(len(weights)))
        return TxAction(
            {
                "Update": {
                    "TableName": self._table,
                    "Key": marshal(reader_key(user_id)),
                    "UpdateExpression": f"SET entity = :entity ADD {adds}",
                    "ExpressionAttributeNames": names,
                    "ExpressionAttributeValues": marshal({**values, ":entity": "ReaderInterests"}),
                }
            }
        )

    def _commit(self, actions: Sequence[TxAction]) -> None:
        try:
            transact(self._ddb, actions)
        except TransactionConflictError as error:
            raise StaleCardError("a concurrent write") from error

    def put_author(self, user_id: str, nickname: str | None, avatar_url: str | None, changed_at: str) -> None:
        """The author's profile as posts show it; an older change never overwrites a newer one."""
        item = {
            **author_key(user_id),
            "entity": "FeedAuthor",
            "user_id": user_id,
            "nickname": nickname,
            "avatar_url": avatar_url,
            "changed_at": changed_at,
        }
        try:
            self._ddb.put_item(
                TableName=self._table,
                Item=marshal(item),
                ConditionExpression="attribute_not_exists(pk) OR changed_at <= :at",
                ExpressionAttributeValues=marshal({":at": changed_at}),
            )
        except ClientError as error:
            if not is_condition_failure(error):
                raise

    def fan_out(self, card: FeedCard, readers: Iterable[str], *, remove: bool) -> None:
        """Puts (or deletes) the post in each reader's follow inbox; a repeat writes the same items.

        One write per follower: follows arrive with issue 9, which should batch these
        (BatchWriteItem, with its grant) once authors have many followers.
        """
        if card.published_at is None:
            return
        for reader in readers:
            key = follow_entry_key(reader, card.published_at, card.post_id)
            if remove:
                self._ddb.delete_item(TableName=self._table, Key=marshal(key))
            else:
                self._ddb.put_item(TableName=self._table, Item=marshal(self._entry_item(key, card)))
