"""What the sharing tests need on top of `tests.support.lambdas`: users calling the share routes,
other contexts' events delivered to the sharing worker, and the plumbing (sharing stream ->
publisher -> bus -> rules -> queues -> workers) pumped by hand."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from earnloop.points.store import PointsStore
from earnloop.sharing.store import counter_key, referral_key, share_key
from earnloop.sharing.tokens import ShareKeys, sign

from tests.support.lambdas import HttpAnswer, call_http, drain, invoke, pump_stream, sqs_event, stored

SETTLE_SAMPLE = "sqs/shares_settle.json"
EARN_SAMPLE = "sqs/points_earn.json"


def iso_now() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def bus_event(detail_type: str, source: str, detail: dict[str, Any]) -> dict[str, Any]:
    """An EventBridge event as the queue delivers it."""
    return {
        "version": "0",
        "id": f"{detail_type}-{len(str(detail))}",
        "detail-type": detail_type,
        "source": source,
        "account": "123456789012",
        "time": "2026-12-02T01:00:00Z",
        "region": "ap-east-1",
        "resources": [],
        "detail": {"event_id": f"{detail_type}-1", "occurred_at": iso_now(), **detail},
    }


def registered(user_id: str, token: str | None, created_at: str | None = None) -> dict[str, Any]:
    detail = {"user_id": user_id, "created_at": created_at or iso_now(), "referral_token": token}
    return bus_event("UserRegistered", "earnloop.identity", detail)


def liked(user_id: str, post_id: str, author: str = "author") -> dict[str, Any]:
    detail = {"post_id": post_id, "user_id": user_id, "post_author_id": author, "liked_at": iso_now()}
    return bus_event("PostLiked", "earnloop.content", detail)


def commented(user_id: str, post_id: str, comment_id: str = "C1", author: str = "author") -> dict[str, Any]:
    detail = {"post_id": post_id, "comment_id": comment_id, "author_id": user_id, "post_author_id": author}
    return bus_event("CommentAdded", "earnloop.content", detail)


@dataclass
class Sharing:
    cloud: Any

    @property
    def table(self) -> str:
        return str(self.cloud.settings.table_name("sharing"))

    @property
    def keys(self) -> ShareKeys:
        return ShareKeys.from_secret(self.cloud.secret_values["share_keys"])

    def share(self, user: str, target_type: str = "post", target_id: str = "P1") -> HttpAnswer:
        body = {"target_type": target_type, "target_id": target_id}
        return call_http("shares_create", token=self.cloud.token(user), body=body)

    def token(self, user: str, target_id: str = "P1") -> str:
        answer = self.share(user, target_id=target_id)
        assert answer.status == 201, answer.body
        return str(answer.json["referral_token"])

    @staticmethod
    def share_item_id(token: str) -> str:
        return token[1:27]

    def forge(self, share_id: str, sharer: str, expires_at: datetime, key: str | None = None) -> str:
        keys = self.keys if key is None else ShareKeys.from_secret({"current": "A", "A": key})
        return sign(keys, share_id, sharer, expires_at)

    def open(self, user: str, token: str) -> HttpAnswer:
        return call_http("shares_open", token=self.cloud.token(user), body={"referral_token": token})

    def settle(self, *bodies: dict[str, Any]) -> None:
        """Delivers events to the sharing worker; every one must succeed."""
        assert invoke("shares_settle", sqs_event(SETTLE_SAMPLE, *bodies)) == {"batchItemFailures": []}

    def settle_own_events(self) -> list[dict[str, Any]]:
        """The sharing stream pumped to the bus; what reached the sharing queue (its own
        `ShareOpened`) delivered to the worker."""
        pump_stream(self.cloud.streams["sharing"])
        bodies = drain(self.cloud.queues["sharing"].main)
        if bodies:
            self.settle(*bodies)
        return bodies

    def pay(self, *, twice: bool = False) -> list[dict[str, Any]]:
        """The sharing stream pumped to the bus; what reached the points queue delivered to the
        points worker (every message, repeats of earlier pumps included; `twice`: all again)."""
        pump_stream(self.cloud.streams["sharing"])
        bodies = drain(self.cloud.queues["points"].main)
        for _ in range(2 if twice and bodies else 1 if bodies else 0):
            assert invoke("points_earn", sqs_event(EARN_SAMPLE, *bodies)) == {"batchItemFailures": []}
        return bodies

    def referral(self, referee: str) -> dict[str, Any] | None:
        return stored(self.table, referral_key(referee))

    def share_item(self, share_id: str) -> dict[str, Any] | None:
        return stored(self.table, share_key(share_id))

    def counter(self, referrer: str, day: Any) -> dict[str, Any] | None:
        return stored(self.table, counter_key(referrer, day))

    def balance(self, user: str) -> int:
        return PointsStore.default().account(user).balance

    def entries(self, user: str) -> dict[str, Any]:
        return {e.txn_id: e for e in PointsStore.default().entries(user)}
