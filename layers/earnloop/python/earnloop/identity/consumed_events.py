"""Events of other contexts that identity consumes, as identity reads them.

A context never imports another's code: each model here names only the fields of the producer's
event (the contract in the mall and content contexts) that the notify and tags workers need, and
ignores the rest, so a producer may add fields without breaking us.
"""

from __future__ import annotations

from pydantic import Field

from earnloop.identity.events import UserFollowed
from earnloop.platform.events import DomainEvent


class RedemptionPlaced(DomainEvent):
    source = "earnloop.mall"
    detail_type = "RedemptionPlaced"

    order_id: str
    user_id: str
    reward_id: str
    reward_name: str
    quantity: int = 1
    points: int
    status: str
    tags: list[str] = Field(default_factory=list)
    # Added by the stream publisher to every event: when the order was committed.
    occurred_at: str


class RedemptionStatusChanged(DomainEvent):
    source = "earnloop.mall"
    detail_type = "RedemptionStatusChanged"

    order_id: str
    user_id: str
    reward_id: str
    reward_name: str
    from_status: str
    to_status: str
    points: int


class PostPublished(DomainEvent):
    source = "earnloop.content"
    detail_type = "PostPublished"

    post_id: str
    author_id: str
    text: str = ""
    published_at: str
    # Added by the stream publisher: an approval after a review publishes the post again, which
    # is its own happening (a redelivery carries the same time).
    occurred_at: str = ""


class PostInReview(DomainEvent):
    source = "earnloop.content"
    detail_type = "PostInReview"

    post_id: str
    author_id: str
    reason: str = ""
    # A published post that reports sent to review is hidden meanwhile, not waiting to be published.
    was_published: bool = False
    # Added by the stream publisher: a post may enter review again after an approval, and each
    # entry is its own happening (a redelivery carries the same time).
    occurred_at: str = ""


class PostRejected(DomainEvent):
    """A post that was never published was rejected, with the reason the author is told."""

    source = "earnloop.content"
    detail_type = "PostRejected"

    post_id: str
    author_id: str
    reason: str = ""
    # Not sent today (a published post's rejection is a PostTakenDown); if it ever is, it is told
    # as the take-down, under the same key, so the author is told once either way.
    was_published: bool = False


class PostTakenDown(DomainEvent):
    """A published post was rejected (instead of PostRejected): told once, with its reason."""

    source = "earnloop.content"
    detail_type = "PostTakenDown"

    post_id: str
    author_id: str
    reason: str = ""


class MediaRejected(DomainEvent):
    source = "earnloop.content"
    detail_type = "MediaRejected"

    media_id: str
    owner_id: str
    reason: str = ""


class PointsExpiringSoon(DomainEvent):
    """Points of the user expire after their last valid day (once per user and date)."""

    source = "earnloop.points"
    detail_type = "PointsExpiringSoon"

    user_id: str
    expires_on: str
    points: int


class TierChanged(DomainEvent):
    """The points context promoted the user (tiers only go up; once per crossing)."""

    source = "earnloop.points"
    detail_type = "TierChanged"

    user_id: str
    from_tier: str
    to_tier: str
    lifetime_earned: int
    changed_at: str


class PostLiked(DomainEvent):
    """A like of someone's post (content's likes area); told to the author, grouped per post."""

    source = "earnloop.content"
    detail_type = "PostLiked"

    post_id: str
    user_id: str
    post_author_id: str
    liked_at: str


class CommentAdded(DomainEvent):
    source = "earnloop.content"
    detail_type = "CommentAdded"

    post_id: str
    comment_id: str
    author_id: str
    post_author_id: str


class PointsChanged(DomainEvent):
    """A ledger entry; the notify rule lets through only earns of scans (`reason` scan)."""

    source = "earnloop.points"
    detail_type = "PointsChanged"

    txn_id: str
    user_id: str
    entry_type: str
    delta: int
    balance_after: int
    reason: str


class ReferralAccepted(DomainEvent):
    """A new user arrived through the referrer's share (the sharing context)."""

    source = "earnloop.sharing"
    detail_type = "ReferralAccepted"

    referrer_id: str
    referee_id: str
    share_id: str


class SubscriptionsAccepted(DomainEvent):
    """Templates a user accepted in a subscribe pop-up, as WeChat pushed them (the wechat context)."""

    source = "earnloop.wechat"
    detail_type = "SubscriptionsAccepted"

    push_id: str
    openid: str
    template_ids: list[str]


InboxEvent = (
    RedemptionPlaced
    | RedemptionStatusChanged
    | PostPublished
    | PostInReview
    | PostRejected
    | MediaRejected
    | PointsExpiringSoon
    | TierChanged
    | PostLiked
    | CommentAdded
    | UserFollowed
    | PointsChanged
    | ReferralAccepted
)
INBOX_EVENTS: tuple[type[DomainEvent], ...] = (
    RedemptionPlaced,
    RedemptionStatusChanged,
    PostPublished,
    PostInReview,
    PostRejected,
    PostTakenDown,
    MediaRejected,
    PointsExpiringSoon,
    TierChanged,
    PostLiked,
    CommentAdded,
    UserFollowed,
    PointsChanged,
    ReferralAccepted,
)
