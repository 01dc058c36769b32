"""`notify_inbox`: the notify queue's worker. Each event a user must be told about becomes one note in
their inbox (likes: one note per post, grown in place), and, while they hold a grant for its kind's
template, a WeChat subscribe message (identity/subscriptions.py)."""

from __future__ import annotations

from earnloop.identity import notifications_service
from earnloop.identity.consumed_events import INBOX_EVENTS, InboxEvent
from earnloop.identity.notifications_likes import LikeGroups
from earnloop.identity.notifications_store import InboxStore
from earnloop.identity.store import IdentityStore
from earnloop.identity.subscriptions import Sender
from earnloop.identity.subscriptions_store import GrantStore
from earnloop.platform import aws
from earnloop.platform.clock import utcnow
from earnloop.platform.settings import get_settings
from earnloop.platform.workers import queue_worker
from earnloop.wechat.subscribe import LocalSubscribe, SubscribeClient, WeChatSubscribe


def subscribe_client() -> SubscribeClient:
    settings = get_settings()
    kind = settings.subscribe_sender or ("local" if settings.is_local else "wechat")
    return LocalSubscribe() if kind == "local" else WeChatSubscribe()


def add_notification(event: InboxEvent) -> None:
    settings = get_settings()
    table = settings.table_name("identity")
    ddb = aws.dynamodb()
    profiles = IdentityStore(ddb, table)
    now = utcnow()

    def nickname(user_id: str) -> str | None:
        # Who liked, commented, followed or joined, as their profile says now.
        user = profiles.get_user(user_id)
        return None if user is None else user.nickname

    sender = None
    if settings.subscribe_templates:
        sender = Sender(
            GrantStore(ddb, table),
            profiles.get_user,
            subscribe_client(),
            settings.subscribe_templates,
            text_field=settings.subscribe_text_field,
            time_field=settings.subscribe_time_field,
            state=settings.subscribe_state,
            now=now,
        )
    notifications_service.notify(
        InboxStore(ddb, table),
        event,
        now,
        names=nickname,
        likes=LikeGroups(ddb, table),
        send=sender.deliver if sender else None,
    )


lambda_handler = queue_worker({model.detail_type: (model, add_notification) for model in INBOX_EVENTS})
