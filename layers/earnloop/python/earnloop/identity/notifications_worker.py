"""`notify_inbox`: the notify queue's worker. Each event a user must be told about becomes one note in
their inbox (likes: one note per post, grown in place), and, while they hold a grant for its kind's
template, a WeChat subscribe message (identity/subscriptions.py)."""

from __future__ import annotations

from earnloop.identity import notifications_service, subscriptions
from earnloop.identity.consumed_events import INBOX_EVENTS, InboxEvent, SubscriptionsAccepted
from earnloop.identity.notifications_likes import LikeGroups
from earnloop.identity.notifications_store import InboxStore
from earnloop.identity.store import IdentityStore
from earnloop.identity.subscriptions import Sender
from earnloop.identity.subscriptions_store import GrantStore
from earnloop.platform import aws
from earnloop.platform.clock import utcnow
from earnloop.platform.observability import logger
from earnloop.platform.settings import get_settings
from earnloop.platform.workers import Route, queue_worker
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


def add_grants(event: SubscriptionsAccepted) -> None:
    """Grants from a subscribe pop-up pushed to `/wechat/push`, for the user of the openid."""
    settings = get_settings()
    table = settings.table_name("identity")
    user_id = IdentityStore(aws.dynamodb(), table).user_id_for("wx_openid", event.openid)
    if user_id is None:
        logger.warning("subscribe pop-up of an openid with no user", extra={"push_id": event.push_id})
        return
    known = list(settings.subscribe_templates.values())
    grants = GrantStore(aws.dynamodb(), table)
    subscriptions.accept_popup(grants, user_id, event.push_id, event.template_ids, known, utcnow())


ROUTES: dict[str, Route] = {model.detail_type: (model, add_notification) for model in INBOX_EVENTS}
ROUTES["SubscriptionsAccepted"] = (SubscriptionsAccepted, add_grants)
lambda_handler = queue_worker(ROUTES)
