"""`notify_inbox`: the notify queue's worker. Each event a user must be told about becomes one note in
their inbox (likes: one note per post, grown in place), and, while they hold a grant for its
template, a WeChat subscribe message."""

from __future__ import annotations

from earnloop.identity import notifications_service
from earnloop.identity.consumed_events import INBOX_EVENTS, InboxEvent
from earnloop.identity.notifications_likes import LikeGroups
from earnloop.identity.notifications_store import InboxStore
from earnloop.identity.store import IdentityStore
from earnloop.platform import aws
from earnloop.platform.clock import utcnow
from earnloop.platform.settings import get_settings
from earnloop.platform.workers import queue_worker


def add_notification(event: InboxEvent) -> None:
    table = get_settings().table_name("identity")
    ddb = aws.dynamodb()
    profiles = IdentityStore(ddb, table)

    def nickname(user_id: str) -> str | None:
        # Who liked, commented, followed or joined, as their profile says now.
        user = profiles.get_user(user_id)
        return None if user is None else user.nickname

    notifications_service.notify(
        InboxStore(ddb, table), event, utcnow(), names=nickname, likes=LikeGroups(ddb, table)
    )


lambda_handler = queue_worker({model.detail_type: (model, add_notification) for model in INBOX_EVENTS})
