"""Races of issue 9's notes on DynamoDB Local (moto's transactions are not thread-safe): likes of one
post delivered at once grow its note by each distinct liker exactly once, and simultaneous
deliveries of one note spend one subscribe grant."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from earnloop.identity import notifications_service as service
from earnloop.identity.consumed_events import PostLiked
from earnloop.identity.context import CONTEXT as IDENTITY
from earnloop.identity.models import User
from earnloop.identity.notifications_likes import LikeGroups
from earnloop.identity.notifications_models import NoticeDraft, NotificationRef
from earnloop.identity.notifications_store import InboxStore
from earnloop.identity.store import user_key
from earnloop.identity.subscriptions import Sender
from earnloop.identity.subscriptions_store import GrantStore
from earnloop.platform.dynamo import marshal, unmarshal
from earnloop.wechat.subscribe import LocalSubscribe

from tests.support.races import fresh_table, race_client, run_together

if TYPE_CHECKING:
    from collections.abc import Callable

NOW = datetime(2026, 12, 2, 9, 0, tzinfo=UTC)
LI = "01JDQ3Z8V7X6M5N4B3C2A1ZLI0"
LIKERS = [f"01JDQ3Z8V7X6M5N4B3C2A1L00{i}" for i in range(5)]


def test_simultaneous_likes_grow_one_note_once_per_liker_and_a_note_spends_one_grant(
    dynamodb_local: str,
) -> None:
    ddb = race_client(dynamodb_local, 8)
    table = fresh_table(ddb, IDENTITY.table)
    likes, inbox = LikeGroups(ddb, table), InboxStore(ddb, table)

    def like(liker: str) -> Callable[[], Any]:
        event = PostLiked(post_id="P1", user_id=liker, post_author_id=LI, liked_at="2026-12-02T09:00:00.000Z")
        return lambda: service.notify(inbox, event, NOW, likes=likes)

    # Every liker at once, two of them delivered twice.
    run_together([like(liker) for liker in [*LIKERS, LIKERS[0], LIKERS[1]]])
    items = [unmarshal(i) for i in ddb.scan(TableName=table, ConsistentRead=True)["Items"]]
    [group] = [i for i in items if i["sk"] == "LIKEGROUP#P1"]
    notes = [i for i in items if i["sk"].startswith("NOTE#")]
    assert group["count"] == len(LIKERS) and len(notes) == 1
    assert notes[0]["text"] == f"一位用户 等 {len(LIKERS)} 人赞了你的帖子。"
    assert notes[0]["id"] == group["note_id"]

    user = User(user_id=LI, created_at="t", wx_openid="oLi")
    ddb.put_item(TableName=table, Item=marshal({**user_key(LI), "entity": "User", **user.model_dump()}))
    grants = GrantStore(ddb, table)
    # Two grants: a comment (value 2) may spend one of them, once, however many deliveries race.
    grants.add(LI, ["tpl"], "t")
    grants.add(LI, ["tpl"], "t")
    sender = Sender(grants, lambda _: user, LocalSubscribe(), {"post_commented": "tpl"}, now=NOW)
    draft = NoticeDraft(
        user_id=LI,
        kind="post_commented",
        text="x",
        ref=NotificationRef(type="post", id="P1"),
        dedupe_key="comment#C1",
    )
    outcomes: list[str] = []
    run_together([lambda: outcomes.append(sender.deliver(draft)) for _ in range(4)])
    assert sorted(outcomes) == ["no_grant", "no_grant", "no_grant", "sent"]
    assert grants.grants(LI) == {"tpl": 1}
