"""Use cases of the identity context. Dependencies (store, WeChat, clock, token issuer) are passed in."""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping, Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Protocol

from earnloop.identity import rules
from earnloop.identity.avatars import WECHAT_AVATAR_HOSTS, is_allowed_host
from earnloop.identity.models import (
    IdentityKind,
    LoginRequest,
    LoginResponse,
    LoginUser,
    Me,
    PointsOverview,
    Profile,
    ProfileUpdate,
    TagCount,
    User,
    WeChatIdentity,
)
from earnloop.identity.store import LinkTakenError
from earnloop.platform.clock import iso, parse_iso
from earnloop.platform.dynamo import TransactionConflictError
from earnloop.platform.errors import ConcurrencyError, ForbiddenError, NotFoundError, ValidationFailedError
from earnloop.platform.ids import new_id
from earnloop.platform.observability import logger, mask, metrics

if TYPE_CHECKING:
    from earnloop.codes.events import ScanClaimed
    from earnloop.identity.consumed_events import RedemptionPlaced
    from earnloop.platform.auth import Principal


class IdentityRepository(Protocol):
    def user_id_for(self, kind: IdentityKind, value: str) -> str | None: ...
    def get_user(self, user_id: str) -> User | None: ...
    def create_user(self, user: User, links: Sequence[tuple[IdentityKind, str]]) -> None: ...
    def link(self, kind: IdentityKind, value: str, user_id: str, created_at: str) -> str: ...
    def update_profile(
        self, user_id: str, changes: Mapping[str, str | bool | None], updated_at: str
    ) -> User: ...
    def tags(self, user_id: str) -> list[TagCount]: ...
    def count_scan_tags(
        self, user_id: str, code: str, tags: Sequence[str], claimed_at: str, guard_expires_at: int
    ) -> bool: ...
    def count_order_tags(
        self, user_id: str, order_id: str, tags: Sequence[str], placed_at: str, guard_expires_at: int
    ) -> bool: ...


class WeChatSessionLike(Protocol):
    @property
    def openid(self) -> str: ...
    @property
    def unionid(self) -> str | None: ...


class CodeExchange(Protocol):
    def code2session(self, code: str) -> WeChatSessionLike: ...


class PointsSummaryLike(Protocol):
    @property
    def balance(self) -> int: ...
    @property
    def expiring_soon(self) -> int: ...


# A first login that collides with another of the same person re-reads and, at worst, tries again.
CREATE_ATTEMPTS = 3

PointsReader = Callable[[str, datetime], PointsSummaryLike]
UnreadCounter = Callable[[str], int]
TokenIssuer = Callable[["Principal", datetime], tuple[str, int]]
# Asks for and caches the user's risk rank if one is due: (user, registered by this login).
RiskRanker = Callable[[User, bool], object]


def login(
    request: LoginRequest,
    *,
    store: IdentityRepository,
    wechat: CodeExchange,
    is_local: bool,
    now: datetime,
    issue: TokenIssuer | None = None,
    make_id: Callable[[], str] = new_id,
    rank_risk: RiskRanker | None = None,
) -> LoginResponse:
    """Turns a `wx.login` code (or, locally, a `dev:<name>` code) into a session for its user,
    registering the user on a first login.

    Raises:
        UnauthenticatedError: the code is invalid, used, or a `dev:` code outside the local stage.
        ForbiddenError: the user is banned (`reason: "banned"`, `ban_reason`, `banned_until`).
        RateLimitedError: WeChat's rate limit was reached.
        WeChatUnavailableError: WeChat failed or timed out.
    """
    dev = rules.dev_login(request.code, is_local=is_local)
    if dev is not None:
        identity, roles, nickname = dev.identity, dev.roles, dev.nickname
    else:
        session = wechat.code2session(request.code)
        identity = WeChatIdentity(openid=session.openid, unionid=session.unionid)
        roles, nickname = frozenset(), None
    user, is_new = resolve_user(
        store,
        identity,
        now,
        make_id=make_id,
        roles=roles,
        nickname=nickname,
        referral_token=request.referral_token,
    )
    if rules.ban_in_force(user, now):
        logger.info("banned user refused at login", extra={"user_id": user.user_id})
        metrics.add_metric(name="LoginsRefused", unit="Count", value=1)
        until = f" until {user.banned_until}" if user.banned_until else ""
        raise ForbiddenError(
            f"this account is banned{until}: {user.ban_reason or 'banned by an administrator'}",
            reason="banned",
            **{k: v for k, v in (("ban_reason", user.ban_reason), ("banned_until", user.banned_until)) if v},
        )
    if rank_risk is not None:
        # WeChat's risk rank, when one is due (identity/risk_ranks.py); never fails the login.
        rank_risk(user, is_new)
    # Imported here, not at the top: the identity worker shares this module, and tokens bring FastAPI,
    # PyJWT and cryptography, a quarter of its cold start (bench/cold_start.py: 764 -> 610 ms CPU).
    # `auth_login` has them loaded at init anyway, through its router.
    from earnloop.platform.auth import Principal, issue_token

    token, expires_in = (issue or issue_token)(
        Principal(user_id=user.user_id, roles=frozenset(user.roles)), now
    )
    logger.info(
        "user logged in",
        extra={
            "user_id": user.user_id,
            "is_new": is_new,
            "openid": mask(identity.openid),
            "dev": dev is not None,
        },
    )
    if is_new:
        metrics.add_metric(name="UsersRegistered", unit="Count", value=1)
    return LoginResponse(
        token=token,
        expires_in=expires_in,
        user=LoginUser(
            id=user.user_id, nickname=user.nickname, avatar_url=user.avatar_url, tier=user.tier, is_new=is_new
        ),
    )


def resolve_user(
    store: IdentityRepository,
    identity: WeChatIdentity,
    now: datetime,
    *,
    make_id: Callable[[], str],
    roles: frozenset[str] = frozenset(),
    nickname: str | None = None,
    referral_token: str | None = None,
) -> tuple[User, bool]:
    """The user of an identity and whether this login created it. One user per unionid (or per
    openid while WeChat gives no unionid), however many logins race.

    Raises:
        ConcurrencyError: first logins of the same person kept colliding (the client may retry).
    """
    for _ in range(CREATE_ATTEMPTS):
        existing = _find(store, identity, now)
        if existing is not None:
            return existing, False
        user = rules.new_user(
            make_id(), identity, now, roles=roles, referral_token=referral_token, nickname=nickname
        )
        try:
            store.create_user(user, rules.links_of(identity))
        except (LinkTakenError, TransactionConflictError):
            # Two first logins both missed the lookup. The other committed its user and links first
            # (our links' conditions failed), or DynamoDB cancelled ours for touching the same links
            # at the same moment; either way nothing of ours was written. Look again: the other
            # login's user is the one, or, if it failed too, try again.
            continue
        return user, True
    raise ConcurrencyError("login raced another, please retry")


def _find(store: IdentityRepository, identity: WeChatIdentity, now: datetime) -> User | None:
    if identity.unionid:
        user_id = store.user_id_for("wx_unionid", identity.unionid)
        if user_id is not None:
            return _load(store, user_id)
    user_id = store.user_id_for("wx_openid", identity.openid)
    if user_id is None:
        return None
    if identity.unionid:
        # The user registered while the app gave no unionid; from now on the unionid finds them.
        owner = store.link("wx_unionid", identity.unionid, user_id, iso(now))
        if owner != user_id:
            # The unionid reached another user first (another of the brand's apps): it names the person.
            logger.warning(
                "unionid already linked to another user", extra={"user_id": user_id, "owner": owner}
            )
            return _load(store, owner)
        logger.info("unionid linked", extra={"user_id": user_id})
    return _load(store, user_id)


def _load(store: IdentityRepository, user_id: str) -> User:
    user = store.get_user(user_id)
    if user is None:
        # Links and their user are written in one transaction; a link without its user is a bug.
        raise LookupError(f"identity link names missing user {user_id}")
    return user


def me(
    store: IdentityRepository, points: PointsReader, user_id: str, now: datetime, *, unread: UnreadCounter
) -> Me:
    """The caller's profile with their top tags, points and unread notifications.

    Raises:
        NotFoundError: the token names no registered user.
    """
    user = store.get_user(user_id)
    if user is None:
        raise NotFoundError("no such user")
    summary = points(user_id, now)
    return Me(
        **user.profile().model_dump(),
        tags=rules.top_tags(store.tags(user_id)),
        points=PointsOverview(balance=summary.balance, expiring_soon=summary.expiring_soon),
        unread_notifications=unread(user_id),
        followers=max(0, user.follower_count),
        following=max(0, user.following_count),
    )


def update_me(
    store: IdentityRepository,
    user_id: str,
    update: ProfileUpdate,
    now: datetime,
    avatar_hosts: Collection[str] = WECHAT_AVATAR_HOSTS,
) -> Profile:
    """Applies the merge patch: fields sent change, fields sent as null are cleared. Returns the
    profile.

    Raises:
        ValidationFailedError: the avatar is not on one of `avatar_hosts`.
        NotFoundError: the token names no registered user.
    """
    changes = update.changes()
    avatar = changes.get("avatar_url")
    if isinstance(avatar, str) and not is_allowed_host(avatar, avatar_hosts):
        raise ValidationFailedError(
            "avatar_url must be on WeChat's avatar hosts or the project's media domain",
            errors=[{"loc": ["body", "avatar_url"], "msg": "host not allowed for avatars"}],
        )
    if not changes:
        user = store.get_user(user_id)
        if user is None:
            raise NotFoundError("no such user")
        return user.profile()
    user = store.update_profile(user_id, changes, iso(now))
    logger.info("profile updated", extra={"user_id": user_id, "fields": sorted(changes)})
    return user.profile()


def record_scan_tags(store: IdentityRepository, event: ScanClaimed) -> bool:
    """Counts a claimed scan's product tags on its scanner, once per scan however often the event
    arrives. Returns whether anything was counted."""
    tags, dropped = rules.tags_to_count(event.tags)
    if dropped:
        logger.warning("scan has more tags than one transaction holds", extra={"dropped": len(dropped)})
    if not tags:
        return False
    counted = store.count_scan_tags(
        event.user_id,
        event.code,
        tags,
        event.claimed_at,
        rules.scan_guard_expiry(parse_iso(event.claimed_at)),
    )
    if counted:
        logger.info("scan tags counted", extra={"user_id": event.user_id, "scan_id": event.scan_id})
    else:
        logger.info("scan tags already counted", extra={"user_id": event.user_id, "scan_id": event.scan_id})
    return counted


def record_redemption_tags(store: IdentityRepository, event: RedemptionPlaced) -> bool:
    """Counts a redeemed reward's tags on its buyer, once per order however often the event arrives
    (what people redeem says as much about them as what they scan). Returns whether anything was
    counted."""
    tags, dropped = rules.tags_to_count(event.tags)
    if dropped:
        logger.warning("reward has more tags than one transaction holds", extra={"dropped": len(dropped)})
    if not tags:
        return False
    expires = rules.order_guard_expiry(parse_iso(event.occurred_at))
    counted = store.count_order_tags(event.user_id, event.order_id, tags, event.occurred_at, expires)
    extra = {"user_id": event.user_id, "order_id": event.order_id}
    logger.info("redemption tags counted" if counted else "redemption tags already counted", extra=extra)
    return counted
