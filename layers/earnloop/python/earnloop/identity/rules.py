"""Pure rules of the identity context: no I/O, no clock reads (`now` is passed in)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from earnloop.identity.models import IdentityKind, TagCount, User, WeChatIdentity
from earnloop.platform.clock import iso
from earnloop.platform.errors import UnauthenticatedError

if TYPE_CHECKING:
    from collections.abc import Iterable

DEV_PREFIX = "dev:"
_DEV_CODE = re.compile(r"dev:([A-Za-z0-9_-]{1,64})")
ADMIN = "admin"

MAX_PROFILE_TAGS = 20
# One transaction holds at most 100 items: the scan's guard plus one update per tag.
MAX_TAGS_PER_SCAN = 99
# SQS keeps a message 4 days and its DLQ 14 before a redrive; the guard outlives both, and TTL only
# deletes it some days after this anyway.
SCAN_GUARD_TTL = timedelta(days=30)


@dataclass(frozen=True)
class DevLogin:
    """A local-stage login that stands in for WeChat: a stable user per name."""

    identity: WeChatIdentity
    roles: frozenset[str]
    nickname: str


def dev_login(code: str, *, is_local: bool) -> DevLogin | None:
    """The development login a `dev:<name>` code asks for, or None for any other code.

    Raises:
        UnauthenticatedError: a `dev:` code outside the local stage, or a malformed one.
    """
    if not code.startswith(DEV_PREFIX):
        return None
    if not is_local:
        raise UnauthenticatedError("development login codes are refused in this stage")
    match = _DEV_CODE.fullmatch(code)
    if match is None:
        raise UnauthenticatedError("a development login code is dev:<letters, digits, - or _>")
    name = match.group(1)
    return DevLogin(
        identity=WeChatIdentity(openid=f"dev-openid-{name}", unionid=f"dev-unionid-{name}"),
        roles=frozenset({ADMIN}) if name == ADMIN else frozenset(),
        nickname=name,
    )


def ban_in_force(user: User, now: datetime) -> bool:
    """The user is banned now (identity/bans.py): a ban recorded and not past its end."""
    return user.banned_at is not None and (user.banned_until is None or iso(now) < user.banned_until)


def links_of(identity: WeChatIdentity) -> list[tuple[IdentityKind, str]]:
    """The identity links a login resolves through, the stronger first: a unionid names the person
    across the brand's apps and official account, an openid only within this mini-program."""
    links: list[tuple[IdentityKind, str]] = []
    if identity.unionid:
        links.append(("wx_unionid", identity.unionid))
    links.append(("wx_openid", identity.openid))
    return links


def new_user(
    user_id: str,
    identity: WeChatIdentity,
    now: datetime,
    *,
    roles: Iterable[str] = (),
    referral_token: str | None = None,
    nickname: str | None = None,
) -> User:
    return User(
        user_id=user_id,
        nickname=nickname,
        roles=sorted(set(roles)),
        created_at=iso(now),
        referral_token=referral_token,
        wx_openid=identity.openid,
        wx_unionid=identity.unionid,
    )


def top_tags(tags: Iterable[TagCount], limit: int = MAX_PROFILE_TAGS) -> list[str]:
    """Tag names by count, most first; among equals the most recently seen, then by name."""
    by_recency = sorted(tags, key=lambda t: t.tag)
    by_recency.sort(key=lambda t: t.last_seen, reverse=True)
    by_recency.sort(key=lambda t: t.count, reverse=True)
    return [t.tag for t in by_recency[:limit]]


def tags_to_count(tags: Iterable[str]) -> tuple[list[str], list[str]]:
    """The distinct, non-blank tags of a scan to count (a transaction may not touch an item twice),
    and those dropped beyond what one transaction can hold."""
    distinct = list(dict.fromkeys(tag.strip() for tag in tags if tag.strip()))
    return distinct[:MAX_TAGS_PER_SCAN], distinct[MAX_TAGS_PER_SCAN:]


def scan_guard_expiry(claimed_at: datetime) -> int:
    """Epoch seconds after which the table's TTL may delete a scan's guard."""
    return int((claimed_at + SCAN_GUARD_TTL).timestamp())


def order_guard_expiry(placed_at: datetime) -> int:
    """Epoch seconds after which TTL may delete a redemption's tags guard: as long as a scan's, which
    outlives every redelivery of the event."""
    return scan_guard_expiry(placed_at)
