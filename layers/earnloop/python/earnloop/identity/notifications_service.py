"""Use cases of the notifications inbox: the notify worker's one action, the owner's page, marking
read and the unread count. The store is passed in; no FastAPI here (the worker shares this module)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Protocol

from earnloop.identity import notifications_social as social
from earnloop.identity import notifications_texts as texts
from earnloop.identity.consumed_events import CommentAdded, PointsChanged, PostLiked, ReferralAccepted
from earnloop.identity.events import UserFollowed
from earnloop.identity.notifications_likes import LATEST, LikeGroup, StaleGroupError, like_dedupe_key
from earnloop.identity.notifications_models import (
    MarkRead,
    NoticeDraft,
    Notification,
    NotificationRef,
    NotificationsPage,
)
from earnloop.identity.notifications_store import AlreadyNotifiedError, NotesMissingError
from earnloop.platform.clock import iso
from earnloop.platform.dynamo import TransactionConflictError
from earnloop.platform.errors import ConcurrencyError
from earnloop.platform.ids import new_id
from earnloop.platform.observability import logger, metrics

if TYPE_CHECKING:
    from earnloop.identity.consumed_events import InboxEvent

# Read or not, a note is deleted (TTL, some days later) this long after it arrived: the inbox stays
# bounded without a sweeper, and a quarter-old notice is not worth a badge. The event's guard lives
# as long, far beyond SQS's 4 days and the DLQ's 14 days of possible redelivery.
NOTE_TTL = timedelta(days=90)
# `unread_notifications` counts unread among this many newest notes above the watermark: one
# bounded query on /v1/me, and the mini-program's badge shows "99+" anyway.
UNREAD_WINDOW = 100
# A mark-read retries without the ids that named no note of the caller's (at most once: every failed
# condition is reported together), and again when it raced another mark of the same notes.
MARK_ATTEMPTS = 3


class LikeGroupRepository(Protocol):
    def group(self, author_id: str, post_id: str) -> LikeGroup: ...
    def grow(
        self, before: LikeGroup, after: LikeGroup, draft: NoticeDraft, created_at: str, expires_at: int
    ) -> None: ...


NameReader = Callable[[str], "str | None"]
Sender = Callable[[NoticeDraft], object]
SOCIAL_EVENTS = (CommentAdded, UserFollowed, PointsChanged, ReferralAccepted)
# A like of a post that others like at the same moment is applied again on the grown group (each
# attempt loses only to a like that committed; past this, SQS delivers it again).
LIKE_ATTEMPTS = 10


def _no_name(_: str) -> str | None:
    return None


class InboxRepository(Protocol):
    def add(self, draft: NoticeDraft, note_id: str, created_at: str, expires_at: int) -> bool: ...
    def page(self, user_id: str, limit: int, cursor: str | None) -> tuple[list[Notification], str | None]: ...
    def read_before(self, user_id: str) -> str | None: ...
    def mark_read(self, user_id: str, note_ids: Sequence[str], read_at: str) -> None: ...
    def newest_id(self, user_id: str) -> str | None: ...
    def move_watermark(self, user_id: str, note_id: str, updated_at: str) -> bool: ...
    def unread_count(self, user_id: str, read_before: str | None, window: int) -> int: ...


def notify(
    inbox: InboxRepository,
    event: InboxEvent,
    now: datetime,
    make_id: Callable[[], str] = new_id,
    *,
    names: NameReader = _no_name,
    likes: LikeGroupRepository | None = None,
    send: Sender | None = None,
) -> bool:
    """`notify_inbox`: puts the notification an event asks for in its recipient's inbox, once per
    happening however often the event arrives, and hands it to `send` (subscribe messages) only
    when it was added. `names` reads an actor's nickname; likes are grouped per post in `likes`.
    Returns whether a note was added (or a like group grew)."""
    if isinstance(event, PostLiked):
        if likes is None:
            raise TypeError("likes are told through a like group store")
        return notify_like(likes, event, now, make_id, names=names, send=send)
    if isinstance(event, SOCIAL_EVENTS):
        actor = social.actor_of(event)
        social_note = social.social_draft(event, names(actor) if actor else None)
        if social_note is None:
            logger.info("nothing to tell", extra={"event": type(event).__name__})
            return False
        draft = social_note
    else:
        draft = texts.draft(event)
    added = inbox.add(draft, make_id(), iso(now), int((now + NOTE_TTL).timestamp()))
    extra = {"user_id": draft.user_id, "kind": draft.kind, "ref_id": draft.ref.id}
    if not added:
        logger.info("notification already in the inbox", extra=extra)
        return False
    logger.info("notification added", extra=extra)
    metrics.add_metric(name="NotificationsAdded", unit="Count", value=1)
    # Only when `added`: a redelivered event never sends twice. The inbox note stays the record.
    if send is not None:
        send(draft)
    return True


def notify_like(
    likes: LikeGroupRepository,
    event: PostLiked,
    now: datetime,
    make_id: Callable[[], str] = new_id,
    *,
    names: NameReader = _no_name,
    send: Sender | None = None,
) -> bool:
    """Counts the liker into the post's like note (one per author and post), which moves to the top
    of the inbox, unread. Each liker counts once per post, whatever unlikes and redeliveries come;
    a self-like tells nobody. Returns whether the group grew.

    Raises:
        ConcurrencyError: likes of the same post kept racing this one (SQS delivers it again).
    """
    if event.user_id == event.post_author_id:
        return False
    liker = names(event.user_id)
    expires_at = int((now + NOTE_TTL).timestamp())
    for _ in range(LIKE_ATTEMPTS):
        before = likes.group(event.post_author_id, event.post_id)
        after = LikeGroup(
            count=before.count + 1,
            latest=[liker, *before.latest][:LATEST],
            note_id=make_id(),
            version=before.version + 1,
        )
        draft = NoticeDraft(
            user_id=event.post_author_id,
            kind="post_liked",
            text=social.like_text(after.latest, after.count),
            ref=NotificationRef(type="post", id=event.post_id),
            dedupe_key=like_dedupe_key(event.post_id, event.user_id),
        )
        try:
            likes.grow(before, after, draft, iso(now), expires_at)
        except AlreadyNotifiedError:
            logger.info("liker already counted", extra={"user_id": draft.user_id, "ref_id": event.post_id})
            return False
        except (StaleGroupError, TransactionConflictError):
            continue
        logger.info("like note grown", extra={"user_id": draft.user_id, "count": after.count})
        metrics.add_metric(name="NotificationsAdded", unit="Count", value=1)
        # One message per post, not per like: the first like's.
        if send is not None and after.count == 1:
            send(draft)
        return True
    raise ConcurrencyError("likes of this post kept racing, will retry")


def page(inbox: InboxRepository, user_id: str, limit: int, cursor: str | None) -> NotificationsPage:
    """The caller's notifications, newest first.

    Raises:
        ValidationFailedError: the cursor is not one we issued for this caller.
    """
    notes, next_cursor = inbox.page(user_id, limit, cursor)
    watermark = inbox.read_before(user_id) if notes else None
    return NotificationsPage(items=[note.public(watermark) for note in notes], next_cursor=next_cursor)


def mark_read(inbox: InboxRepository, user_id: str, request: MarkRead, now: datetime) -> None:
    """Marks the named notes read, or everything the inbox holds now with `all` (one write: the
    watermark moves to the newest note; nothing is written per note). Ids that are not the caller's,
    or no longer exist, are ignored: the caller learns nothing about other inboxes. No read first:
    the write's conditions say which ids are the caller's.

    Raises:
        ConcurrencyError: the same notes kept being marked by simultaneous requests.
    """
    if request.all:
        newest = inbox.newest_id(user_id)
        if newest is not None:
            inbox.move_watermark(user_id, newest, iso(now))
        logger.info("notifications all read", extra={"user_id": user_id})
        return
    remaining = list(dict.fromkeys(request.ids or []))
    for _ in range(MARK_ATTEMPTS):
        if not remaining:
            return
        try:
            inbox.mark_read(user_id, remaining, iso(now))
        except NotesMissingError as missing:
            # Nothing was written: drop the ids that are no note of the caller's and mark the rest.
            gone = set(missing.note_ids)
            remaining = [note_id for note_id in remaining if note_id not in gone]
            continue
        except TransactionConflictError:
            continue
        logger.info("notifications read", extra={"user_id": user_id, "marked": len(remaining)})
        return
    raise ConcurrencyError("notifications kept changing, please retry")


def unread_count(inbox: InboxRepository, user_id: str) -> int:
    """Unread notifications among the newest `UNREAD_WINDOW` (two reads: the watermark item and
    one bounded query)."""
    return inbox.unread_count(user_id, inbox.read_before(user_id), UNREAD_WINDOW)
