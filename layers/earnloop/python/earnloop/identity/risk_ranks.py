"""WeChat's risk rank of a user (`getUserRiskRank`), asked at login and cached on the profile.

When: at a new user's registration (scene 0, register) and, at a later login, once the cached
verdict is older than `risk_rank_max_age_h` (24 h; scene 1, marketing); never on any other request.
With the client IP API Gateway saw (`earnloop.risk.client.source_ip`). WeChat down, refusing or
unconfigured never fails the login: the rank stays as it was (unknown for a new user), a warning
is logged and `RiskRankUnavailable` counted; the next login asks again. The profile's
`risk_rank`/`risk_rank_at` derive `RiskRankChanged` when the rank differs, which the points worker
copies onto the account (points/risk_ranks.py) so a risky user's earns are pending.

Locally (`risk_rank_provider` unset on the local stage, or `local`), `LocalRiskRank` ranks a
development login whose name starts with `risky` (`dev:risky-li`) 4 and every other user 0.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from earnloop.platform.clock import iso, parse_iso
from earnloop.platform.errors import WeChatUnavailableError
from earnloop.platform.observability import logger, metrics
from earnloop.platform.settings import get_settings
from earnloop.wechat.risk_rank import LocalRiskRank, RiskRanks, RiskScene, WeChatRiskRank

if TYPE_CHECKING:
    from collections.abc import Callable

    from earnloop.identity.models import User
    from earnloop.identity.store import IdentityStore

# WeChat needs a client IP; outside a Lambda (the local server) there is none to give.
UNKNOWN_IP = "127.0.0.1"


def rank_due(user: User, *, is_new: bool, now: datetime, max_age: timedelta) -> RiskScene | None:
    """The scene to ask WeChat in at this login, or None (the cached verdict is fresh)."""
    if is_new:
        return RiskScene.REGISTER
    if user.risk_rank_at is not None and now - parse_iso(user.risk_rank_at) < max_age:
        return None
    return RiskScene.MARKETING


def default_ranks() -> RiskRanks:
    """The stage's ranker. Raises WeChatUnavailableError: WeChat's AppID is not configured."""
    settings = get_settings()
    provider = settings.risk_rank_provider or ("local" if settings.is_local else "wechat")
    if provider == "local":
        return LocalRiskRank()
    # Imported on use: only a login that is due a rank needs WeChat's API client and the token.
    from earnloop.wechat.calls import default_api
    from earnloop.wechat.token import app_credentials

    return WeChatRiskRank(default_api(), app_credentials().app_id)


def refresh_risk_rank(
    store: IdentityStore,
    user: User,
    *,
    is_new: bool,
    client_ip: str | None,
    now: datetime,
    ranks: Callable[[], RiskRanks] = default_ranks,
) -> int | None:
    """Asks WeChat for the user's rank if one is due and caches it; the rank known after this
    login (None: unknown). Never raises for WeChat's sake."""
    max_age = timedelta(hours=get_settings().risk_rank_max_age_h)
    scene = rank_due(user, is_new=is_new, now=now, max_age=max_age)
    if scene is None or not user.wx_openid:
        return user.risk_rank
    try:
        rank = ranks().rank(user.wx_openid, client_ip or UNKNOWN_IP, scene)
    except WeChatUnavailableError:
        logger.warning(
            "risk rank unavailable, left unknown", extra={"user_id": user.user_id, "scene": int(scene)}
        )
        metrics.add_metric(name="RiskRankUnavailable", unit="Count", value=1)
        return user.risk_rank
    store.set_risk_rank(user.user_id, rank, iso(now))
    logger.info("risk rank cached", extra={"user_id": user.user_id, "risk_rank": rank, "scene": int(scene)})
    return rank
