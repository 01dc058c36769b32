"""What the feed tests need: post events delivered to the feed materializer as SQS would deliver
them, the feed and topics routes called as a reader, the hot schedule run at a chosen moment, and
every DynamoDB call counted (botocore's own event hooks)."""

from __future__ import annotations

import copy
import json
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from earnloop.local.samples import load
from earnloop.platform import aws
from earnloop.platform.clock import iso
from earnloop.platform.dynamo import marshal

from tests.support.lambdas import HttpAnswer, call_http, invoke, sample_body, sqs_event, stored

T0 = datetime(2026, 12, 2, 9, 0, tzinfo=UTC)


def at(minutes: float) -> str:
    return iso(T0 + timedelta(minutes=minutes))


def event(detail_type: str, source: str = "earnloop.content", **detail: Any) -> dict[str, Any]:
    """An EventBridge event as the feed queue receives it."""
    body = sample_body("sqs/feed_materialize.json")
    return {**body, "detail-type": detail_type, "source": source, "detail": detail}


def published(
    post_id: str, author_id: str = "author-1", *, minute: float = 0, **fields: Any
) -> dict[str, Any]:
    detail = {
        "post_id": post_id,
        "author_id": author_id,
        "topics": [],
        "text": f"post {post_id}",
        "media": [],
        "created_at": at(minute - 0.1),
        "published_at": at(minute),
        "occurred_at": at(minute).replace(".000Z", "Z"),
        **fields,
    }
    return event("PostPublished", **detail)


def hidden(
    detail_type: str, post_id: str, author_id: str = "author-1", *, minute: float = 1
) -> dict[str, Any]:
    return event(detail_type, post_id=post_id, author_id=author_id, occurred_at=at(minute), reason="reports")


def comment(post_id: str, comment_id: str) -> dict[str, Any]:
    return event("CommentAdded", post_id=post_id, comment_id=comment_id, author_id="c", post_author_id="a")


@dataclass
class DynamoCalls:
    operations: list[str] = field(default_factory=list)

    def __call__(self, model: Any, **_: Any) -> None:
        self.operations.append(model.name)


@dataclass
class Feeds:
    cloud: Any

    @property
    def table(self) -> str:
        return str(self.cloud.settings.table_name("content"))

    def deliver(self, *bodies: dict[str, Any]) -> None:
        answer = invoke("feed_materialize", sqs_event("sqs/feed_materialize.json", *bodies))
        assert answer == {"batchItemFailures": []}

    def feed(self, reader: str, **query: str) -> HttpAnswer:
        return call_http("feed_get", token=self.cloud.token(reader), query=query)

    def ids(self, reader: str, **query: str) -> list[str]:
        answer = self.feed(reader, **query)
        assert answer.status == 200, answer.body
        return [post["post_id"] for post in answer.json["items"]]

    def all_pages(self, reader: str, **query: str) -> list[list[str]]:
        pages, cursor = [], None
        while True:
            answer = self.feed(reader, **query, **({"cursor": cursor} if cursor else {}))
            assert answer.status == 200, answer.body
            pages.append([post["post_id"] for post in answer.json["items"]])
            cursor = answer.json.get("next_cursor")
            if cursor is None:
                return pages

    def topics(self, reader: str = "reader-1", **query: str) -> HttpAnswer:
        return call_http("topics_list", token=self.cloud.token(reader), query=query)

    def rank(self, now: datetime) -> dict[str, int]:
        run = copy.deepcopy(load("scheduled/feed_hot_rank.json"))
        run["time"] = now.isoformat().replace("+00:00", "Z")
        return invoke("feed_hot_rank", run)  # type: ignore[no-any-return]

    def item(self, pk: str, sk: str) -> dict[str, Any] | None:
        return stored(self.table, {"pk": pk, "sk": sk})

    def put(self, **item: Any) -> None:
        """An item another area (or issue 9) writes: a like, a follower, an author profile."""
        aws.dynamodb().put_item(TableName=self.table, Item=marshal(item))

    def counting(self) -> DynamoCalls:
        calls = DynamoCalls()
        aws.dynamodb().meta.events.register("before-call.dynamodb", calls)
        return calls

    def stop_counting(self, calls: DynamoCalls) -> None:
        aws.dynamodb().meta.events.unregister("before-call.dynamodb", calls)


def body_json(answer: HttpAnswer) -> Any:
    return json.loads(answer.body)
