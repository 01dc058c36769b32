"""Shapes of the identity context: requests, responses and the stored user."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StrictBool, StringConstraints

from earnloop.identity.avatars import MAX_URL_CHARS, check_avatar_url
from earnloop.identity.nicknames import clean_nickname
from earnloop.platform.settings import get_settings

# Tiers are the points context's to define (settings `tiers`); identity stores and shows the name it
# is given by TierChanged (identity/tiers.py). A user never promoted is in the first tier.
Tier = str


def first_tier() -> Tier:
    return get_settings().tiers[0].name


IdentityKind = Literal["wx_unionid", "wx_openid"]

# A wx.login code is visible ASCII; anything else cannot be one, and is refused before WeChat sees it.
LoginCode = Annotated[str, StringConstraints(min_length=1, max_length=128, pattern=r"^[\x21-\x7e]+$")]


# Raw input is bounded generously (an emoji sequence is several code points); the displayed width
# is what `clean_nickname` bounds.
Nickname = Annotated[str, StringConstraints(max_length=128), AfterValidator(clean_nickname)]
AvatarUrl = Annotated[str, StringConstraints(max_length=MAX_URL_CHARS), AfterValidator(check_avatar_url)]


class LoginRequest(BaseModel):
    code: LoginCode = Field(description="The code from `wx.login` (or `dev:<name>` in the local stage)")
    referral_token: Annotated[str, StringConstraints(min_length=1, max_length=128)] | None = Field(
        default=None, description="The token of the share link the user arrived through"
    )


class LoginUser(BaseModel):
    id: str
    nickname: str | None
    avatar_url: str | None
    tier: Tier
    is_new: bool


class LoginResponse(BaseModel):
    token: str
    expires_in: int = Field(description="Seconds until the token expires")
    user: LoginUser


class ProfileUpdate(BaseModel):
    """`PATCH /v1/me`, a JSON merge patch (RFC 7396): a field sent changes, a field sent as `null`
    is cleared, a field not sent stays as it is."""

    model_config = ConfigDict(extra="forbid")

    nickname: Nickname | None = Field(default=None, description="Shown to others; `null` clears it")
    avatar_url: AvatarUrl | None = Field(
        default=None,
        description="https on WeChat's avatar hosts or the project's media domain; `null` clears it",
    )
    leaderboard_visible: StrictBool | None = Field(
        default=None, description="Shown on the leaderboard (the default); `null` resets it to shown"
    )

    def changes(self) -> dict[str, str | bool | None]:
        """The fields sent, with None for those to clear."""
        return {name: getattr(self, name) for name in sorted(self.model_fields_set)}


class Profile(BaseModel):
    id: str
    nickname: str | None
    avatar_url: str | None
    tier: Tier


class PointsOverview(BaseModel):
    balance: int
    expiring_soon: int


class Me(Profile):
    tags: list[str]
    points: PointsOverview
    unread_notifications: int = Field(description="Unread among the newest 100 notifications")
    followers: int = Field(default=0, description="How many users follow the caller")
    following: int = Field(default=0, description="How many users the caller follows")


class WeChatIdentity(BaseModel):
    """Who logged in, as WeChat (or the local development login) says."""

    model_config = ConfigDict(frozen=True)

    openid: str
    unionid: str | None = None


class User(BaseModel):
    """The stored user (`USER#<id>` / `PROFILE`)."""

    user_id: str
    nickname: str | None = None
    avatar_url: str | None = None
    tier: Tier = Field(default_factory=first_tier)
    roles: list[str] = Field(default_factory=list)
    created_at: str
    referral_token: str | None = None
    # The mini-program openid the user registered with: subscribe messages and content checks need it.
    wx_openid: str | None = None
    # The unionid linked to the user, if any: deleting the account releases both links
    # (identity/erasure_store.py), so the profile names every link that points at it.
    wx_unionid: str | None = None
    # Kept by the follow and unfollow transactions (ADD ±1 beside the follow item: exact).
    follower_count: int = 0
    following_count: int = 0
    # Absent (shown) until the user opts out of the leaderboard.
    leaderboard_visible: bool = True
    # An admin's ban (identity/bans.py): refused at login while in force (until `banned_until`, or
    # until unbanned when absent).
    banned_at: str | None = None
    ban_reason: str | None = None
    banned_until: str | None = None
    # WeChat's getUserRiskRank verdict (0 normal .. 4), cached: asked at registration and at most
    # once a day at login (identity/risk_ranks.py). None: never known (WeChat was down).
    risk_rank: int | None = None
    risk_rank_at: str | None = None

    def profile(self) -> Profile:
        return Profile(id=self.user_id, nickname=self.nickname, avatar_url=self.avatar_url, tier=self.tier)


class TagCount(BaseModel):
    tag: str
    count: int
    last_seen: str
