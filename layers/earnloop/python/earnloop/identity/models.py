"""Shapes of the identity context: requests, responses and the stored user."""

from __future__ import annotations

from typing import Annotated, Literal
from urllib.parse import urlsplit

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StringConstraints

# Tiers are the points context's to define; identity stores and shows the name it is given.
Tier = str
DEFAULT_TIER = "bronze"
IdentityKind = Literal["wx_unionid", "wx_openid"]

# A wx.login code is visible ASCII; anything else cannot be one, and is refused before WeChat sees it.
LoginCode = Annotated[str, StringConstraints(min_length=1, max_length=128, pattern=r"^[\x21-\x7e]+$")]


def _visible_text(value: str) -> str:
    if any(ord(ch) < 0x20 or 0x7F <= ord(ch) < 0xA0 or 0xD800 <= ord(ch) < 0xE000 for ch in value):
        raise ValueError("must not contain control characters")
    return value


def _https_url(value: str) -> str:
    parts = urlsplit(value)
    if parts.scheme != "https" or not parts.hostname or any(ch.isspace() for ch in value):
        raise ValueError("must be an https URL")
    return value


Nickname = Annotated[
    str,
    StringConstraints(strip_whitespace=True, min_length=1, max_length=32),
    AfterValidator(_visible_text),
]
AvatarUrl = Annotated[str, StringConstraints(max_length=512), AfterValidator(_https_url)]


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
    """`PATCH /v1/me`: only the fields sent change."""

    model_config = ConfigDict(extra="forbid")

    nickname: Nickname | None = None
    avatar_url: AvatarUrl | None = None


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
    tier: Tier = DEFAULT_TIER
    roles: list[str] = Field(default_factory=list)
    created_at: str
    referral_token: str | None = None
    # The mini-program openid the user registered with: subscribe messages and content checks need it.
    wx_openid: str | None = None

    def profile(self) -> Profile:
        return Profile(id=self.user_id, nickname=self.nickname, avatar_url=self.avatar_url, tier=self.tier)


class TagCount(BaseModel):
    tag: str
    count: int
    last_seen: str
