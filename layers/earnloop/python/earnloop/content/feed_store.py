"""The only place that builds keys and expressions for the feeds' items in the content table.

Items (docs/decisions.md, 2026-12-02 "Feeds"):
- `FEEDPOST#<post>`/`CARD`: a post's card (text, media, topics, counts, state). While the post is
  live it carries `new_pk`/`new_sk` (index `feed_new`: every live post, newest first) and, while the
  hot schedule ranks it, `hot_pk`/`hot_sk` (index `feed_hot`: the materialized hot set, best first).
- `FEEDPOST#<post>`/`COUNTED#<ref>`: one per counted event (a comment, later a like): a redelivered
  event finds it and counts nothing. Kept 30 days (TTL): longer than SQS and its DLQ keep a message.
- `FEEDTOPIC#<topic>`/`<published_at>#<post>`: a copy of the card per topic (a post has up to 5).
- `FEEDFOLLOW#<reader>`/`<published_at>#<post>`: the reader's follow inbox, fanned out on publish
  from `FOLLOWERS#<author>`/`FOLLOWER#<reader>` (written from issue 9's follow events; empty today).
- `TOPIC#<topic>`/`COUNT`: a topic's post count (index `topics_by_count`).
- `READER#<user>`/`INTERESTS`: `topic:<name>` and `tag:<name>` weights (for `for_you`), with
  `SEEN#<ref>` guards beside it; `FEEDSKU#<sku>`/`TAGS`: a product's tags, from ScanClaimed.
- `AUTHOR#<user>`/`PROFILE`: nickname and avatar, shown on every post of the author.
- `POST#<post>`/`LIKE#<user>`: a like (issue 9 writes it); a page reads the reader's with one batch.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from botocore.exceptions import ClientError

from earnloop.content.feed_models import CardState, FeedCard, ReaderInterests
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

CARD_ENTITY = "FeedCard"
ENTRY_ENTITY = "FeedEntry"
NEW_INDEX = "feed_new"
HOT_INDEX = "feed_hot"
TOPICS_INDEX = "topics_by_count"
# The one partition of each index: a single sorted partition is enough at posting rates (decisions).
NEW_PARTITION = "new"
HOT_PARTITION = "hot"
TOPICS_PARTITION = "topics"
GUARD_DAYS = 30
BATCH_GET_MAX = 100
_RETRIES = 5

# Card fields copied to every topic and follow entry: what a page shows.
_SHOWN = (
    "post_id",
    "author_id",
    "author_nickname",
    "author_avatar_url",
    "text",
    "media",
    "topics",
    "tags",
    "sku",
    "created_at",
    "published_at",
    "like_count",
    "comment_count",
    "share_count",
    "quality",
)
COUNTERS = ("like_count", "comment_count", "share_count")


def card_key(post_id: str) -> dict[str, str]:
    return {"pk": f"FEEDPOST#{post_id}", "sk": "CARD"}


def counted_key(post_id: str, ref: str) -> dict[str, str]:
    return {"pk": f"FEEDPOST#{post_id}", "sk": f"COUNTED#{ref}"}


def order_key(published_at: str, post_id: str) -> str:
    """Newest-first order within a partition: ISO times sort as text; the post id breaks ties."""
    return f"{published_at}#{post_id}"


def topic_entry_key(topic: str, published_at: str, post_id: str) -> dict[str, str]:
    return {"pk": f"FEEDTOPIC#{topic}", "sk": order_key(published_at, post_id)}


def follow_entry_key(reader_id: str, published_at: str, post_id: str) -> dict[str, str]:
    return {"pk": f"FEEDFOLLOW#{reader_id}", "sk": order_key(published_at, post_id)}


def followers_partition(author_id: str) -> str:
    return f"FOLLOWERS#{author_id}"


def follower_key(author_id: str, reader_id: str) -> dict[str, str]:
    return {"pk": followers_partition(author_id), "sk": f"FOLLOWER#{reader_id}"}


def topic_count_key(topic: str) -> dict[str, str]:
    return {"pk": f"TOPIC#{topic}", "sk": "COUNT"}


def reader_key(user_id: str) -> dict[str, str]:
    return {"pk": f"READER#{user_id}", "sk": "INTERESTS"}


def reader_seen_key(user_id: str, ref: str) -> dict[str, str]:
    return {"pk": f"READER#{user_id}", "sk": f"SEEN#{ref}"}


def sku_key(sku: str) -> dict[str, str]:
    return {"pk": f"FEEDSKU#{sku}", "sk": "TAGS"}


def author_key(user_id: str) -> dict[str, str]:
    return {"pk": f"AUTHOR#{user_id}", "sk": "PROFILE"}


def like_key(post_id: str, user_id: str) -> dict[str, str]:
    return {"pk": f"POST#{post_id}", "sk": f"LIKE#{user_id}"}


class StaleCardError(Exception):
    """The card changed since it was read: read it again and redo the write."""


class AlreadyCountedError(Exception):
    """The event was counted before (a redelivery): nothing to do."""


@dataclass(frozen=True)
class FeedQuery:
    """Where one feed's pages come from: a partition of the table or of one of its indexes."""

    partition: str
    index: str | None = None

    @property
    def key_attributes(self) -> tuple[str, ...]:
        """The attributes of a LastEvaluatedKey of this query (what a cursor carries)."""
        if self.index == NEW_INDEX:
            return ("pk", "sk", "new_pk", "new_sk")
        if self.index == HOT_INDEX:
            return ("pk", "sk", "hot_pk", "hot_sk")
        return ("pk", "sk")


NEW_FEED = FeedQuery(NEW_PARTITION, NEW_INDEX)
HOT_FEED = FeedQuery(HOT_PARTITION, HOT_INDEX)


def topic_feed(topic: str) -> FeedQuery:
    return FeedQuery(f"FEEDTOPIC#{topic}")


def following_feed(reader_id: str) -> FeedQuery:
    return FeedQuery(f"FEEDFOLLOW#{reader_id}")


def _pk_attribute(query: FeedQuery) -> str:
    return {NEW_INDEX: "new_pk", HOT_INDEX: "hot_pk"}.get(query.index or "", "pk")


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
            "ExpressionAttributeValues": marshal(
                {":pk": followers_partition(author_id), ":follower": "FOLLOWER#"}
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
        shown = _storable(card.model_dump(include=set(_SHOWN)))
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

    # The hot schedule

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

    # The read side: one query per page, one batch of per-reader items

    def page(
        self, query: FeedQuery, limit: int, start: Mapping[str, Any] | None
    ) -> tuple[list[FeedCard], dict[str, Any] | None]:
        """Up to `limit` cards of a feed, best or newest first, and the key the next page starts
        after (None: this is the last page). One Query: it asks for one item more than it shows,
        so the last page is known to be the last."""
        kwargs: dict[str, Any] = {
            "TableName": self._table,
            "KeyConditionExpression": "#pk = :partition",
            "ExpressionAttributeNames": {"#pk": _pk_attribute(query)},
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
        raise StaleCardError("per-reader reads throttled")

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
    return ReaderInterests(topics=topics, tags=tags)
