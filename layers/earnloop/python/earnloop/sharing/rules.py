"""Pure rules of sharing: link paths, token lifetime, and how a referral is judged. No I/O, no clock."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import TYPE_CHECKING

from earnloop.sharing.tokens import TokenError, authentic

if TYPE_CHECKING:
    from datetime import datetime

    from earnloop.sharing.models import RefusalReason, TargetType
    from earnloop.sharing.tokens import ShareKeys, TokenClaims

# A link keeps its referral power for a month; the share itself (and its reward) stays.
TOKEN_TTL = timedelta(days=30)
# The per-day referral counters outlive their business day by this much, then TTL removes them.
COUNTER_KEEP = timedelta(days=3)

# The mini-program's page for each kind of target, and the query parameter naming the target.
_PAGES: dict[str, tuple[str, str]] = {
    "post": ("pages/post/index", "id"),
    "reward": ("pages/reward/index", "id"),
    "product": ("pages/product/index", "sku"),
}


def share_path(target_type: TargetType, target_id: str, token: str) -> str:
    """The page path a share opens, carrying the token as `rt` (ids and tokens are URL-safe)."""
    page, parameter = _PAGES[target_type]
    return f"{page}?{parameter}={target_id}&rt={token}"


def referrals_per_day(points: int | None, daily_cap: int | None, enabled: bool) -> int | None:
    """How many referrals a referrer may have accepted per business day: the `referral` rule's
    daily cap in whole referrals. None: no limit (no cap, or the rule is off and pays nothing)."""
    if not enabled or daily_cap is None or not points:
        return None
    return daily_cap // points


@dataclass(frozen=True)
class Judgement:
    """What a new user's first-login token makes of them: the share it names (when its signature
    holds) and, unless it makes a referral, why not."""

    claims: TokenClaims | None
    refusal: RefusalReason | None


def judge_token(keys: ShareKeys, token: str, referee_id: str, registered_at: datetime) -> Judgement:
    """Judges a new user's first-login token at the moment of the login, not of the judging: a
    slow queue does not expire a link that was live when the friend used it."""
    try:
        claims = authentic(keys, token)
    except TokenError as error:
        return Judgement(None, error.reason)
    if registered_at >= claims.expires_at:
        return Judgement(claims, "expired")
    if claims.sharer_id == referee_id:
        return Judgement(claims, "self")
    return Judgement(claims, None)
