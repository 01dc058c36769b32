"""Shapes of the sharing context: request and response bodies, and the stored share, open and referral."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

TargetType = Literal["post", "reward", "product"]
# What a share leads to that pays its sharer: a new user's first login through it, or a like or
# comment on the shared post by a user who opened it.
Trigger = Literal["login", "like", "comment"]
ReferralStatus = Literal["accepted", "refused"]
# rate_limited: over the referrer's accepted referrals in a sliding day (sharing/referral_risk.py).
RefusalReason = Literal["malformed", "forged", "expired", "self", "existing_user", "over_cap", "rate_limited"]

_Strict = ConfigDict(strict=True, extra="forbid")
# Post and reward ids are ULIDs and product ids SKUs: letters, digits, `-` and `_`. The id goes into
# the mini-program path's query as it is, so nothing that would need escaping is accepted.
TargetId = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9_-]{1,64}$")]
ReferralToken = Annotated[str, StringConstraints(min_length=1, max_length=128)]


class ShareCreate(BaseModel):
    """`POST /v1/shares`."""

    model_config = _Strict

    target_type: TargetType
    target_id: TargetId


class ShareCreated(BaseModel):
    share_id: str
    referral_token: str
    path: str = Field(description="The mini-program page path carrying the token")
    points: int = Field(
        description="What the sharer may earn when the share leads to a friend's login, like or comment "
        "(0 while the share rule is off); nothing is paid for sharing itself"
    )


class OpenReport(BaseModel):
    """`POST /v1/shares/opens`: the client reports the share link it was opened through."""

    model_config = _Strict

    referral_token: ReferralToken


class Share(BaseModel):
    share_id: str
    sharer_id: str
    target_type: TargetType
    target_id: str
    created_at: str
    token_expires_at: str


class Opening(BaseModel):
    """A logged-in user opened a share: later likes or comments of theirs on its post are the
    share's doing. One per (user, target): the first share opened wins."""

    user_id: str
    share_id: str
    sharer_id: str
    target_type: TargetType
    target_id: str
    opened_at: str


class Referral(BaseModel):
    """A user's referral decision, one per referee: accepted, or refused with the reason."""

    referee_id: str
    status: ReferralStatus
    reason: RefusalReason | None = None
    referrer_id: str | None = None
    share_id: str | None = None
    decided_at: str
