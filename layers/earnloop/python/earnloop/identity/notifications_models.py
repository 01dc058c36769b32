"""Shapes of the notifications inbox: what a user sees, what they send to mark items read, and the
inbox item as stored under the user."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, model_validator

# One kind per thing a user is told. Issue 9 adds likes, comments, follows and credited scans.
NotificationKind = Literal[
    "redemption_placed",
    "redemption_status_changed",
    "post_published",
    "post_in_review",
    "post_rejected",
    "post_taken_down",
    "media_rejected",
    "points_expiring",
    "tier_promoted",
    # Issue 9's interactions (identity/notifications_social.py): likes grouped per post.
    "post_liked",
    "post_commented",
    "user_followed",
    "points_earned",
    "referral_accepted",
]
# `points`: the points page (its id is the expiry date the note is about, or the tier reached).
# `user`: a user's public profile (a new follower, a friend who joined).
RefType = Literal["order", "post", "media", "points", "user"]

# Notification ids are ULIDs (Crockford base32): they sort by creation time, so the sort key
# `NOTE#<id>` pages newest first and a read watermark is one id.
NotificationId = Annotated[str, StringConstraints(pattern=r"^[0-9A-HJKMNP-TV-Z]{26}$")]
# One TransactWriteItems holds 100 actions: marking read is one write, so a request names at most
# as many ids as a page of the inbox holds.
MAX_MARK_IDS = 100


class NotificationRef(BaseModel):
    """What the notification is about: the page the mini-program opens when it is tapped."""

    type: RefType
    id: str


class NotificationPublic(BaseModel):
    id: str
    kind: NotificationKind
    text: str
    ref: NotificationRef
    created_at: str
    read: bool


class NotificationsPage(BaseModel):
    """`GET /v1/notifications`: newest first; `next_cursor` is absent on the last page."""

    items: list[NotificationPublic]
    next_cursor: str | None = None


class MarkRead(BaseModel):
    """`POST /v1/notifications/read`: `{ids: [..]}` marks those, `{all: true}` marks everything the
    inbox holds now. Exactly one of the two."""

    model_config = ConfigDict(extra="forbid")

    ids: list[NotificationId] | None = Field(
        default=None, min_length=1, max_length=MAX_MARK_IDS, description="Ids from the caller's inbox"
    )
    all: Literal[True] | None = Field(default=None, description="`true` marks the whole inbox read")

    @model_validator(mode="after")
    def _one_of(self) -> MarkRead:
        if (self.ids is None) == (self.all is None):
            raise ValueError("send either ids or all: true")
        return self


class NoticeDraft(BaseModel):
    """A notification decided from an event, before it has an id: who is told what, about what,
    and the key that makes a redelivered event a no-op."""

    model_config = ConfigDict(frozen=True)

    user_id: str
    kind: NotificationKind
    text: str
    ref: NotificationRef
    # Deterministic per happening (`order#<id>#confirmed`, `post#<id>#rejected`, ...).
    dedupe_key: str


class Notification(BaseModel):
    """The stored inbox item (`USER#<id>` / `NOTE#<notification id>`)."""

    id: str
    user_id: str
    kind: NotificationKind
    text: str
    ref: NotificationRef
    created_at: str
    read_at: str | None = None

    def public(self, read_before: str | None) -> NotificationPublic:
        """As the owner sees it: read when marked one by one, or when at or below the watermark
        `read_before` that "mark all read" moved."""
        read = self.read_at is not None or (read_before is not None and self.id <= read_before)
        return NotificationPublic(
            id=self.id, kind=self.kind, text=self.text, ref=self.ref, created_at=self.created_at, read=read
        )
