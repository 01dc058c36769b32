"""Events of the identity context."""

from __future__ import annotations

from earnloop.identity.redemption_notes import derive_redemption_noted
from earnloop.identity.segments_events import segment_changes
from earnloop.platform.audit import ENTITY as ADMIN_ACTION
from earnloop.platform.audit import derive_recorded
from earnloop.platform.erasure_rounds import ROUND_ENTITY, derive_round
from earnloop.platform.events import Change, DomainEvent


class UserRegistered(DomainEvent):
    """A person logged in for the first time."""

    source = "earnloop.identity"
    detail_type = "UserRegistered"

    user_id: str
    created_at: str
    # The share link the user arrived through, unresolved: the sharing context turns it into a referral.
    referral_token: str | None = None


class ProfileChanged(DomainEvent):
    """A user's public face changed (nickname, avatar, or whether boards show them): what others
    show beside their posts and on the leaderboard."""

    source = "earnloop.identity"
    detail_type = "ProfileChanged"

    user_id: str
    nickname: str | None = None
    avatar_url: str | None = None
    # False once the user opted out of the leaderboard (PATCH /v1/me): boards leave them out.
    leaderboard_visible: bool = True
    # When it changed (ms): consumers keep the newest, whatever order the events arrive in.
    updated_at: str


class UserFollowed(DomainEvent):
    """`follower_id` started following `followee_id` (once per follow: a repeat writes nothing)."""

    source = "earnloop.identity"
    detail_type = "UserFollowed"

    follower_id: str
    followee_id: str
    followed_at: str


class UserUnfollowed(DomainEvent):
    """`follower_id` stopped following `followee_id`; consumers order it against a follow of the
    same pair by the two times."""

    source = "earnloop.identity"
    detail_type = "UserUnfollowed"

    follower_id: str
    followee_id: str
    unfollowed_at: str


class UserDeleted(DomainEvent):
    """The user deleted their account (`DELETE /v1/me`): the profile and WeChat links are gone;
    each context erases the person's data it holds, idempotently (docs/decisions.md, "Account
    deletion")."""

    source = "earnloop.identity"
    detail_type = "UserDeleted"

    user_id: str
    deleted_at: str


class IdentityErasureContinued(DomainEvent):
    """The identity context's erasure of a deleted account goes on (round 1, 2, ...)."""

    source = "earnloop.identity"
    detail_type = "IdentityErasureContinued"

    user_id: str
    deleted_at: str
    round: int


class RiskRankChanged(DomainEvent):
    """WeChat's risk rank of the user (0 normal .. 4) is known or changed (identity/risk_ranks.py):
    the points context holds a risky user's earns as pending."""

    source = "earnloop.identity"
    detail_type = "RiskRankChanged"

    user_id: str
    risk_rank: int
    # When WeChat gave it: consumers keep the newest, whatever order the events arrive in.
    risk_rank_at: str


def _public_face(image: dict[str, object] | None) -> tuple[object, object, object]:
    face = image or {}
    return (face.get("nickname"), face.get("avatar_url"), face.get("leaderboard_visible", True))


def derive(change: Change) -> list[DomainEvent]:
    if change.entity == ADMIN_ACTION:  # an operator's role change (identity/admin_roles.py)
        return derive_recorded(change)
    if change.entity == "NotificationSeen":
        return derive_redemption_noted(change)
    if change.entity == "UserDeletion" and change.kind == "INSERT" and change.new is not None:
        return [UserDeleted.model_validate(change.new)]
    if change.entity == ROUND_ENTITY:  # a deleted account's erasure goes on (identity/erasure.py)
        return list(derive_round(change, IdentityErasureContinued))
    if change.entity == "Follow" and change.kind == "INSERT" and change.new is not None:
        return [UserFollowed.model_validate(change.new)]
    if (
        change.entity == "Unfollow"
        and change.new is not None
        and change.became("unfollowed_at", change.new.get("unfollowed_at"))
    ):
        # A tombstone put (or put again, for a later unfollow of the same pair).
        return [UserUnfollowed.model_validate(change.new)]
    if change.entity != "User" or change.new is None:
        return []
    events: list[DomainEvent] = []
    if change.kind == "INSERT":
        events.append(UserRegistered.model_validate(change.new))
    # A cleared nickname is a change too: others must stop showing the old one.
    if _public_face(change.new) != _public_face(change.old):
        at = change.new.get("updated_at") or change.new["created_at"]
        events.append(ProfileChanged.model_validate({**change.new, "updated_at": at}))
    # Unknown reads as normal (0): a normal first verdict tells the points context nothing, so a new
    # user's registration costs it no event and no account write.
    rank = change.new.get("risk_rank")
    if rank is not None and int(rank) != int((change.old or {}).get("risk_rank") or 0):
        events.append(RiskRankChanged.model_validate(change.new))
    events.extend(segment_changes(change))
    return events
