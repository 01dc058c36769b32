# The texts use Chinese full-width punctuation on purpose.
# ruff: noqa: RUF001
"""What a user is told about other people's interactions and their own earns (issue 9): pure
rules, no I/O. The actor's nickname is looked up by the caller and passed in.

- `CommentAdded`: the post's author, unless they commented on their own post.
- `UserFollowed`: the followee, once per follower (a follow after an unfollow is not told again).
- `PointsChanged`: the earner, for a credited scan only.
- `ReferralAccepted`: the referrer, once per new user.
- `PostLiked`: grouped per post (`like_text`; identity/notifications_likes.py keeps the group).
"""

from __future__ import annotations

from earnloop.identity.consumed_events import CommentAdded, PointsChanged, ReferralAccepted
from earnloop.identity.events import UserFollowed
from earnloop.identity.notifications_models import NoticeDraft, NotificationRef
from earnloop.identity.notifications_texts import snippet

# Who did it, when they have no nickname (or it cannot be read).
SOMEONE = "一位用户"
# A nickname in a notification is cut to this many characters.
NAME_CHARS = 12

SocialEvent = CommentAdded | UserFollowed | PointsChanged | ReferralAccepted


def name(nickname: str | None) -> str:
    return snippet(nickname, NAME_CHARS) if nickname and nickname.strip() else SOMEONE


def actor_of(event: SocialEvent) -> str | None:
    """The user whose nickname the text shows, if any."""
    match event:
        case CommentAdded():
            return event.author_id
        case UserFollowed():
            return event.follower_id
        case ReferralAccepted():
            return event.referee_id
    return None


def social_draft(event: SocialEvent, actor: str | None) -> NoticeDraft | None:
    """The note the event asks for, or None when nobody is to be told."""
    match event:
        case CommentAdded():
            if event.author_id == event.post_author_id:
                return None
            return NoticeDraft(
                user_id=event.post_author_id,
                kind="post_commented",
                text=f"{name(actor)} 评论了你的帖子，快去看看吧。",
                ref=NotificationRef(type="post", id=event.post_id),
                dedupe_key=f"comment#{event.comment_id}",
            )
        case UserFollowed():
            return NoticeDraft(
                user_id=event.followee_id,
                kind="user_followed",
                text=f"{name(actor)} 关注了你。",
                ref=NotificationRef(type="user", id=event.follower_id),
                # Per follower, not per follow: following again after an unfollow is no news.
                dedupe_key=f"follow#{event.follower_id}",
            )
        case PointsChanged():
            if event.entry_type != "earn" or event.reason != "scan" or event.delta <= 0:
                return None
            return NoticeDraft(
                user_id=event.user_id,
                kind="points_earned",
                text=f"扫码成功，获得 {event.delta} 积分，当前共 {event.balance_after} 积分。",
                ref=NotificationRef(type="points", id=event.txn_id),
                dedupe_key=f"points#{event.txn_id}",
            )
        case ReferralAccepted():
            return NoticeDraft(
                user_id=event.referrer_id,
                kind="referral_accepted",
                text=f"你邀请的好友 {name(actor)} 已加入，邀请奖励积分将发放到你的账户。",
                ref=NotificationRef(type="user", id=event.referee_id),
                dedupe_key=f"referral#{event.referee_id}",
            )
    raise TypeError(f"no notification for {type(event).__name__}")


def like_text(latest: list[str | None], count: int) -> str:
    """ "小王 赞了你的帖子", "小王、小李 赞了你的帖子", "小王 等 13 人赞了你的帖子": the newest liker
    first."""
    names = [name(nickname) for nickname in latest]
    if count <= 1 or not names:
        return f"{names[0] if names else SOMEONE} 赞了你的帖子。"
    if count == 2 and len(names) >= 2:
        return f"{names[0]}、{names[1]} 赞了你的帖子。"
    return f"{names[0]} 等 {count} 人赞了你的帖子。"
