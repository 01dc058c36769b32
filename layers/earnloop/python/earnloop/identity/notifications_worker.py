"""`notify_inbox`: the notify queue's worker. Each event of the mall, content and points contexts that a user
must be told about becomes one note in their inbox (issue 9 adds subscribe messages behind it)."""

from __future__ import annotations

from earnloop.identity import notifications_service
from earnloop.identity.consumed_events import INBOX_EVENTS, InboxEvent
from earnloop.identity.notifications_store import InboxStore
from earnloop.platform import aws
from earnloop.platform.clock import utcnow
from earnloop.platform.settings import get_settings
from earnloop.platform.workers import queue_worker


def add_notification(event: InboxEvent) -> None:
    inbox = InboxStore(aws.dynamodb(), get_settings().table_name("identity"))
    notifications_service.notify(inbox, event, utcnow())


lambda_handler = queue_worker({model.detail_type: (model, add_notification) for model in INBOX_EVENTS})
