"""The only place that builds keys and expressions for the posts area of the content table.

Items:
- `POST#<post>` / `POST` (entity Post): the post, with a `version` every write is conditioned on,
  while it waits for an admin the sparse `moderation` index attributes `review_pk`, `review_sk`,
  and until removed the sparse `by_author` index attributes `author_pk`, `author_sk`;
  a comment is in the same index under `COMMENTER#<user>` until its author's account is erased;
- `POST#<post>` / `REPORT#<reporter>` (entity Report): one per reporter (distinct reporters);
- `POSTSTATS#<post>` / `STATS` (entity PostStats): `comment_count`, apart from the post so that a
  crowd commenting never rewrites (and re-streams) the post item;
- `COMMENTS#<post>` / `COMMENT#<comment>` (entity Comment);
- `IDEMP#<user>` / `POST#<sha256(key)>` (entity PostRequest): an Idempotency-Key of `POST /v1/posts`;
- `USER#<user>` / `SKU#<sku>` (entity ScannedSku): the user scanned this product (from `ScanClaimed`);
- `MEDIA#<media>` / `MEDIA`: the media area's item; this store only claims it for a post.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from botocore.exceptions import ClientError

from earnloop.content.earn_sweeps import COMMENT_EARN
from earnloop.content.likes_store import count_keys, is_liked, like_count, like_key
from earnloop.content.posts_events import published_event
from earnloop.content.posts_models import Comment, Post
from earnloop.content.posts_outbox import post_earn_dropped, post_earn_marker
from earnloop.platform import aws
from earnloop.platform.clock import parse_iso
from earnloop.platform.dynamo import (
    TxAction,
    decode_cursor,
    encode_cursor,
    is_condition_failure,
    marshal,
    transact,
    unmarshal,
)
from earnloop.platform.errors import ConcurrencyError, NotFoundError, ValidationFailedError
from earnloop.platform.outbox_sweep import pending_attributes
from earnloop.platform.settings import get_settings

if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence

    from mypy_boto3_dynamodb import DynamoDBClient

MODERATION_INDEX = "moderation"
AUTHOR_INDEX = "by_author"
# Comments sit in the same sparse index under their own partitions (posts under `AUTHOR#<user>`).
COMMENTER_PREFIX = "COMMENTER#"
REVIEW_PARTITION = "REVIEW"
IDEMPOTENCY_TTL_S = 24 * 3600
_ULID = r"[0-9A-HJKMNP-TV-Z]{26}"
_COMMENT_CURSOR = {"sk": re.compile(rf"COMMENT#{_ULID}")}
_REVIEW_CURSOR = {
    "sk": re.compile(r"POST"),
    "pk": re.compile(rf"POST#{_ULID}"),
    "review_sk": re.compile(rf"\d{{4}}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{{3}}Z#{_ULID}"),
}


class StalePostError(ConcurrencyError):
    """The post changed between our read and our write: read it again."""


class MediaUnavailableError(ValidationFailedError):
    """A media item is not the caller's, is claimed by another post, or was rejected."""


class IdempotencyKeyTakenError(Exception):
    """The Idempotency-Key was used before: read its record."""


class SkuNotScannedError(ValidationFailedError):
    """The post names a product the author never scanned."""


class AlreadyReportedError(Exception):
    """This reporter reported this post before."""


def post_key(post_id: str) -> dict[str, str]:
    return {"pk": f"POST#{post_id}", "sk": "POST"}


def stats_key(post_id: str) -> dict[str, str]:
    return {"pk": f"POSTSTATS#{post_id}", "sk": "STATS"}


def report_key(post_id: str, reporter: str) -> dict[str, str]:
    return {"pk": f"POST#{post_id}", "sk": f"REPORT#{reporter}"}


def comment_key(post_id: str, comment_id: str) -> dict[str, str]:
    return {"pk": f"COMMENTS#{post_id}", "sk": f"COMMENT#{comment_id}"}


def idempotency_key(user_id: str, key: str) -> dict[str, str]:
    digest = hashlib.sha256(key.encode()).hexdigest()
    return {"pk": f"IDEMP#{user_id}", "sk": f"POST#{digest}"}


def scanned_sku_key(user_id: str, sku: str) -> dict[str, str]:
    return {"pk": f"USER#{user_id}", "sk": f"SKU#{sku}"}


def media_key(media_id: str) -> dict[str, str]:
    return {"pk": f"MEDIA#{media_id}", "sk": "MEDIA"}


@dataclass(frozen=True)
class MediaClaim:
    """Claim media `media_id` for a post, only while it is the author's, not claimed by another
    post, and still in the status the post was planned from (so a post never misses the moment
    its media became ready or rejected: that change makes this claim fail, and the post is
    planned again)."""

    media_id: str
    seen_status: str


@dataclass(frozen=True)
class PostRequest:
    """The stored Idempotency-Key record: which body it was, which post it made."""

    fingerprint: str
    post_id: str


def _stale(_: Mapping[str, Any]) -> Exception:
    return StalePostError("the post changed while it was being updated")


def _media_unavailable(_: Mapping[str, Any]) -> Exception:
    return MediaUnavailableError("a media item is not yours, belongs to another post, or was rejected")


def _key_taken(_: Mapping[str, Any]) -> Exception:
    return IdempotencyKeyTakenError()


def _sku_not_scanned(_: Mapping[str, Any]) -> Exception:
    return SkuNotScannedError("sku is not one of your scanned products")


def _already_reported(_: Mapping[str, Any]) -> Exception:
    return AlreadyReportedError()


def _post_gone(_: Mapping[str, Any]) -> Exception:
    return NotFoundError("no such post")


class PostsStore:
    """Reads and writes of posts, comments and reports. Each command is one write."""

    def __init__(self, ddb: DynamoDBClient, table: str) -> None:
        self._ddb = ddb
        self._table = table

    @classmethod
    def default(cls) -> PostsStore:
        return cls(aws.dynamodb(), get_settings().table_name("content"))

    # Posts

    def post_item(self, post: Post, expires_at: int | None = None) -> dict[str, Any]:
        item: dict[str, Any] = {
            **post_key(post.post_id),
            "entity": "Post",
            **post.model_dump(mode="json", exclude_none=True),
            "author_id": post.author_id,
        }
        # Every post not removed is in the sparse by-author index: deleting an account finds them
        # (content/account_erasure.py).
        if post.status != "removed":
            item["author_pk"] = f"AUTHOR#{post.author_id}"
            item["author_sk"] = f"{post.created_at}#{post.post_id}"
        # Only posts waiting for an admin are in the sparse moderation index.
        if post.status == "in_review" and post.in_review_since is not None:
            item["review_pk"] = REVIEW_PARTITION
            item["review_sk"] = f"{post.in_review_since}#{post.post_id}"
        if expires_at is not None:
            item["expires_at"] = expires_at
        return item

    def _put_post(self, post: Post, seen_version: int | None, expires_at: int | None = None) -> TxAction:
        put: dict[str, Any] = {"TableName": self._table, "Item": marshal(self.post_item(post, expires_at))}
        if seen_version is None:
            put["ConditionExpression"] = "attribute_not_exists(pk)"
        else:
            put["ConditionExpression"] = "#version = :seen"
            put["ExpressionAttributeNames"] = {"#version": "version"}
            put["ExpressionAttributeValues"] = marshal({":seen": seen_version})
        return TxAction({"Put": put}, on_condition_failed=_stale)

    def create_post(
        self,
        post: Post,
        claims: Sequence[MediaClaim],
        request: tuple[str, str, PostRequest] | None,
        now_epoch: int,
    ) -> None:
        """The post, its media claims, its Idempotency-Key record and the SKU check, in one transaction.

        Raises:
            IdempotencyKeyTakenError: the key was used before (nothing was written).
            SkuNotScannedError: the author has no scan of `post.sku`.
            MediaUnavailableError: a media item cannot be claimed (not the author's, another
                post's, rejected, or missing).
            StalePostError: a media item changed status since it was read: plan again.
        """
        actions: list[TxAction] = []
        if request is not None:
            user_id, key, record = request
            item = {
                **idempotency_key(user_id, key),
                "entity": "PostRequest",
                "fingerprint": record.fingerprint,
                "post_id": record.post_id,
                "expires_at": now_epoch + IDEMPOTENCY_TTL_S,
            }
            actions.append(
                TxAction(
                    {
                        "Put": {
                            "TableName": self._table,
                            "Item": marshal(item),
                            "ConditionExpression": "attribute_not_exists(pk)",
                        }
                    },
                    on_condition_failed=_key_taken,
                )
            )
        if post.sku is not None:
            actions.append(
                TxAction(
                    {
                        "ConditionCheck": {
                            "TableName": self._table,
                            "Key": marshal(scanned_sku_key(post.author_id, post.sku)),
                            "ConditionExpression": "attribute_exists(pk)",
                        }
                    },
                    on_condition_failed=_sku_not_scanned,
                )
            )
        actions.append(self._put_post(post, None))
        for claim in claims:
            actions.append(self._claim(post, claim))
        if post.status == "published":
            actions.append(self.stats_put(post.post_id))
            actions.append(post_earn_marker(self._table, published_event(self.post_item(post))))
        transact(self._ddb, actions)

    def _claim(self, post: Post, claim: MediaClaim) -> TxAction:
        def translate(reason: Mapping[str, Any]) -> Exception:
            # The item as it was comes back with the failure: a status that moved on since our
            # read is a race to plan again; anything else is a media item this post cannot have.
            old = unmarshal(reason["Item"]) if reason.get("Item") else {}
            mine = old.get("owner_id") == post.author_id and old.get("post_id") in (None, post.post_id)
            if mine and old.get("status") not in (claim.seen_status, "rejected"):
                return StalePostError("a media item changed while the post was created")
            return _media_unavailable(reason)

        return TxAction(
            {
                "Update": {
                    "TableName": self._table,
                    "Key": marshal(media_key(claim.media_id)),
                    "UpdateExpression": "SET #post = :post",
                    "ConditionExpression": (
                        "#owner = :owner AND #status = :seen AND #status <> :rejected "
                        "AND (attribute_not_exists(#post) OR #post = :post)"
                    ),
                    "ExpressionAttributeNames": {
                        "#post": "post_id",
                        "#owner": "owner_id",
                        "#status": "status",
                    },
                    "ExpressionAttributeValues": marshal(
                        {
                            ":post": post.post_id,
                            ":owner": post.author_id,
                            ":seen": claim.seen_status,
                            ":rejected": "rejected",
                        }
                    ),
                    "ReturnValuesOnConditionCheckFailure": "ALL_OLD",
                }
            },
            on_condition_failed=translate,
        )

    def save_post(
        self,
        post: Post,
        seen_version: int,
        extra: Sequence[TxAction] = (),
        expires_at: int | None = None,
        *,
        first_publication: bool = False,
    ) -> None:
        """Replaces the post if it still is at `seen_version` (`post.version` is the next one),
        with `extra` actions in the same transaction; a post becoming published gets its counters,
        and on its `first_publication` the outbox marker of its earn (content/posts_outbox.py); a
        post once published that no longer is loses that marker.

        Raises:
            StalePostError: another write got there first: read it again.
        """
        actions = [*extra, self._put_post(post, seen_version, expires_at)]
        if post.status == "published":
            actions.append(self.stats_put(post.post_id))
            if first_publication:
                actions.append(post_earn_marker(self._table, published_event(self.post_item(post))))
        elif post.published_at is not None:
            actions.append(post_earn_dropped(self._table, post.post_id))
        transact(self._ddb, actions)

    def get_post(self, post_id: str, *, consistent: bool = False) -> Post | None:
        item = self._get(post_key(post_id), consistent)
        return Post.model_validate(item) if item else None

    def post_view(
        self, post_id: str, reader: str | None, *, consistent: bool = False
    ) -> tuple[Post | None, int, int, bool]:
        """The post, its like count (the sum of its shards) and comment count, and whether `reader`
        likes it: one BatchGetItem of 35 keys."""
        like = like_key(post_id, reader) if reader is not None else None
        keys = [post_key(post_id), stats_key(post_id), *count_keys(post_id), *([like] if like else [])]
        found = {(i["pk"], i["sk"]): i for i in self._batch_get(keys, consistent)}
        item = found.get(("POST#" + post_id, "POST"))
        stats = found.get((f"POSTSTATS#{post_id}", "STATS"), {})
        liked = like is not None and is_liked(found.get((like["pk"], like["sk"])))
        post = Post.model_validate(item) if item else None
        return post, like_count(found, post_id), int(stats.get("comment_count", 0)), liked

    def media_items(self, media_ids: Sequence[str]) -> dict[str, dict[str, Any]]:
        """The media items by id, strongly consistent (their statuses condition the claims)."""
        if not media_ids:
            return {}
        items = self._batch_get([media_key(m) for m in media_ids], True)
        return {str(i["pk"]).removeprefix("MEDIA#"): i for i in items}

    def media_item(self, media_id: str) -> dict[str, Any] | None:
        return self._get(media_key(media_id), True)

    def post_request(self, user_id: str, key: str) -> PostRequest | None:
        item = self._get(idempotency_key(user_id, key), True)
        return PostRequest(item["fingerprint"], item["post_id"]) if item else None

    # Scanned products (from ScanClaimed)

    def record_scanned_sku(self, user_id: str, sku: str, scanned_at: str) -> None:
        """Remembers that the user scanned `sku` (idempotent: the first scan's time is kept)."""
        self._ddb.update_item(
            TableName=self._table,
            Key=marshal(scanned_sku_key(user_id, sku)),
            UpdateExpression="SET #entity = :entity, #first = if_not_exists(#first, :at)",
            ExpressionAttributeNames={"#entity": "entity", "#first": "first_scanned_at"},
            ExpressionAttributeValues=marshal({":entity": "ScannedSku", ":at": scanned_at}),
        )

    # Reports

    def report(self, post: Post, seen_version: int, reporter: str, reason: str, at: str) -> None:
        """The reporter's report and the post (its count, maybe its new status), in one transaction.

        Raises:
            AlreadyReportedError: this reporter reported it before (nothing was written).
            StalePostError: the post changed since it was read.
        """
        report = {
            **report_key(post.post_id, reporter),
            "entity": "Report",
            "post_id": post.post_id,
            "reporter_id": reporter,
            "reason": reason,
            "created_at": at,
        }
        put = TxAction(
            {
                "Put": {
                    "TableName": self._table,
                    "Item": marshal(report),
                    "ConditionExpression": "attribute_not_exists(pk)",
                }
            },
            on_condition_failed=_already_reported,
        )
        self.save_post(post, seen_version, extra=[put])

    # Comments

    def add_comment(self, comment: Comment, post_author_id: str, counting: Sequence[TxAction] = ()) -> None:
        """The comment and the post's comment count, in one transaction after `counting` (the
        attempt's risk counters; see `comments_service` for why the count is a conditional
        increment and what it costs)."""
        item = {
            **comment_key(comment.post_id, comment.comment_id),
            "entity": "Comment",
            **comment.model_dump(mode="json", exclude_none=True),
            "author_id": comment.author.id,
            "post_author_id": post_author_id,
            # The sparse by-author index, in the commenter's own partition of it: deleting an
            # account finds the comments it wrote (content/account_erasure.py).
            "author_pk": f"{COMMENTER_PREFIX}{comment.author.id}",
            "author_sk": f"{comment.created_at}#{comment.comment_id}",
        }
        if comment.author.id != post_author_id:
            # Its earn's outbox marker (content/interactions_outbox.py); one's own post earns nothing.
            item |= pending_attributes(COMMENT_EARN, comment.comment_id, parse_iso(comment.created_at))
        transact(
            self._ddb,
            [
                *counting,
                TxAction(
                    {
                        "Put": {
                            "TableName": self._table,
                            "Item": marshal(item),
                            "ConditionExpression": "attribute_not_exists(pk)",
                        }
                    }
                ),
                TxAction(
                    {
                        "Update": {
                            "TableName": self._table,
                            "Key": marshal(stats_key(comment.post_id)),
                            "UpdateExpression": "SET #entity = :entity ADD #count :one",
                            # The stats item is made when the post is published and deleted with it.
                            "ConditionExpression": "attribute_exists(pk)",
                            "ExpressionAttributeNames": {"#entity": "entity", "#count": "comment_count"},
                            "ExpressionAttributeValues": marshal({":entity": "PostStats", ":one": 1}),
                        }
                    },
                    on_condition_failed=_post_gone,
                ),
            ],
        )

    def stats_put(self, post_id: str) -> TxAction:
        """Creates the post's counters on its first publication (kept as they are on a later one)."""
        return TxAction(
            {
                "Update": {
                    "TableName": self._table,
                    "Key": marshal(stats_key(post_id)),
                    "UpdateExpression": "SET #entity = :entity, #count = if_not_exists(#count, :zero)",
                    "ExpressionAttributeNames": {"#entity": "entity", "#count": "comment_count"},
                    "ExpressionAttributeValues": marshal({":entity": "PostStats", ":zero": 0}),
                }
            }
        )

    def comments(self, post_id: str, limit: int, cursor: str | None) -> tuple[list[Comment], str | None]:
        """A page of the post's comments, oldest first.

        Raises:
            ValidationFailedError: the cursor is not one this query issued.
        """
        partition = f"COMMENTS#{post_id}"
        start = decode_cursor(cursor, _COMMENT_CURSOR, fixed={"pk": {"S": partition}})
        kwargs: dict[str, Any] = {
            "TableName": self._table,
            "KeyConditionExpression": "pk = :pk AND begins_with(sk, :prefix)",
            "ExpressionAttributeValues": marshal({":pk": partition, ":prefix": "COMMENT#"}),
            "Limit": limit + 1,
        }
        if start is not None:
            kwargs["ExclusiveStartKey"] = start
        items = [unmarshal(i) for i in self._ddb.query(**kwargs).get("Items", [])]
        page = items[:limit]
        next_cursor = None
        if len(items) > limit:
            next_cursor = encode_cursor(marshal({"pk": partition, "sk": page[-1]["sk"]}), drop=("pk",))
        return [Comment.model_validate(i) for i in page], next_cursor

    # The moderation queue

    def in_review(self, limit: int, cursor: str | None) -> tuple[list[tuple[Post, str]], str | None]:
        """A page of posts waiting for an admin, longest waiting first, with when they began to wait.

        Raises:
            ValidationFailedError: the cursor is not one this query issued.
        """
        start = decode_cursor(cursor, _REVIEW_CURSOR, fixed={"review_pk": {"S": REVIEW_PARTITION}})
        kwargs: dict[str, Any] = {
            "TableName": self._table,
            "IndexName": MODERATION_INDEX,
            "KeyConditionExpression": "review_pk = :pk",
            "ExpressionAttributeValues": marshal({":pk": REVIEW_PARTITION}),
            "Limit": limit + 1,
        }
        if start is not None:
            kwargs["ExclusiveStartKey"] = start
        items = [unmarshal(i) for i in self._ddb.query(**kwargs).get("Items", [])]
        page = items[:limit]
        next_cursor = None
        if len(items) > limit:
            last = page[-1]
            key = {
                "pk": last["pk"],
                "sk": last["sk"],
                "review_pk": REVIEW_PARTITION,
                "review_sk": last["review_sk"],
            }
            next_cursor = encode_cursor(marshal(key), drop=("review_pk",))
        return [(Post.model_validate(i), str(i["in_review_since"])) for i in page], next_cursor

    # Removal

    def delete_comments_and_reports(self, post_id: str) -> int:
        """Deletes the post's comments, reports and counters (after it was removed). Idempotent."""
        keys = [stats_key(post_id)]
        keys += [
            {"pk": i["pk"], "sk": i["sk"]}
            for i in self._query_keys(f"COMMENTS#{post_id}", "COMMENT#")
            + self._query_keys(f"POST#{post_id}", "REPORT#")
        ]
        for start in range(0, len(keys), 25):
            requests = [{"DeleteRequest": {"Key": marshal(k)}} for k in keys[start : start + 25]]
            pending: Any = {self._table: requests}
            while pending:
                pending = self._ddb.batch_write_item(RequestItems=pending).get("UnprocessedItems") or None
        return len(keys) - 1

    def author_posts(self, author_id: str) -> list[str]:
        """The ids of the author's posts not removed (index `by_author`, every page)."""
        kwargs: dict[str, Any] = {
            "TableName": self._table,
            "IndexName": AUTHOR_INDEX,
            "KeyConditionExpression": "author_pk = :pk",
            "ExpressionAttributeValues": marshal({":pk": f"AUTHOR#{author_id}"}),
        }
        found: list[str] = []
        while True:
            response = self._ddb.query(**kwargs)
            found += [str(unmarshal(i)["pk"]).removeprefix("POST#") for i in response.get("Items", [])]
            if "LastEvaluatedKey" not in response:
                return found
            kwargs["ExclusiveStartKey"] = response["LastEvaluatedKey"]

    def authored_comments(self, author_id: str) -> list[dict[str, str]]:
        """The keys of the comments the user wrote and that are not erased (index `by_author`)."""
        kwargs: dict[str, Any] = {
            "TableName": self._table,
            "IndexName": AUTHOR_INDEX,
            "KeyConditionExpression": "author_pk = :pk",
            "ExpressionAttributeValues": marshal({":pk": f"{COMMENTER_PREFIX}{author_id}"}),
        }
        found: list[dict[str, str]] = []
        while True:
            response = self._ddb.query(**kwargs)
            found += [{"pk": i["pk"]["S"], "sk": i["sk"]["S"]} for i in response.get("Items", [])]
            if "LastEvaluatedKey" not in response:
                return found
            kwargs["ExclusiveStartKey"] = response["LastEvaluatedKey"]

    def authored_comment_items(self, author_id: str, limit: int) -> list[Comment]:
        """Up to `limit` of the comments the user wrote and that are not erased, newest first: the
        index's keys (comment ids are ULIDs, in time order), then BatchGetItems of 100."""
        keys = sorted(self.authored_comments(author_id), key=lambda k: k["sk"], reverse=True)[:limit]
        items = [
            item
            for start in range(0, len(keys), 100)
            for item in self._batch_get(keys[start : start + 100], False)
        ]
        # The index is eventually consistent: an item erased meanwhile (blank, no index key) is left out.
        found = [
            Comment.model_validate(i) for i in items if i.get("author_id") == author_id and "author_pk" in i
        ]
        return sorted(found, key=lambda c: (c.created_at, c.comment_id), reverse=True)

    def erase_comment(self, key: Mapping[str, str], author_id: str, erased_at: str) -> bool:
        """Blanks a deleted account's comment: no text, no nickname or avatar; the item (and the
        post's count) stays. False when it was erased already (or is gone)."""
        try:
            self._ddb.update_item(
                TableName=self._table,
                Key=marshal(dict(key)),
                UpdateExpression="SET #text = :blank, #author = :author, erased_at = :at "
                "REMOVE author_pk, author_sk",
                ConditionExpression="attribute_exists(author_pk)",
                ExpressionAttributeNames={"#text": "text", "#author": "author"},
                ExpressionAttributeValues=marshal(
                    {":blank": "", ":author": {"id": author_id}, ":at": erased_at}
                ),
            )
        except ClientError as error:
            if is_condition_failure(error):
                return False
            raise
        return True

    def _query_keys(self, partition: str, prefix: str) -> list[dict[str, Any]]:
        kwargs: dict[str, Any] = {
            "TableName": self._table,
            "KeyConditionExpression": "pk = :pk AND begins_with(sk, :prefix)",
            "ExpressionAttributeValues": marshal({":pk": partition, ":prefix": prefix}),
            "ProjectionExpression": "pk, sk",
        }
        found: list[dict[str, Any]] = []
        while True:
            response = self._ddb.query(**kwargs)
            found += [unmarshal(i) for i in response.get("Items", [])]
            if "LastEvaluatedKey" not in response:
                return found
            kwargs["ExclusiveStartKey"] = response["LastEvaluatedKey"]

    def _batch_get(self, keys: Sequence[Mapping[str, str]], consistent: bool) -> list[dict[str, Any]]:
        """The items at `keys` (at most 100, distinct) that exist, asking again for any key
        DynamoDB left unprocessed (throttling): a missing item must mean missing."""
        items: list[dict[str, Any]] = []
        request: Any = {self._table: {"Keys": [marshal(k) for k in keys], "ConsistentRead": consistent}}
        while request:
            response = self._ddb.batch_get_item(RequestItems=request)
            items += [unmarshal(i) for i in response["Responses"].get(self._table, [])]
            request = response.get("UnprocessedKeys") or None
        return items

    def _get(self, key: Mapping[str, str], consistent: bool) -> dict[str, Any] | None:
        response = self._ddb.get_item(TableName=self._table, Key=marshal(key), ConsistentRead=consistent)
        item = response.get("Item")
        return unmarshal(item) if item else None
