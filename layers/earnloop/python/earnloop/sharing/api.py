"""HTTP routes of the sharing context: making a share link, and reporting one opened."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Response

from earnloop.platform import aws
from earnloop.platform.auth import CurrentUser
from earnloop.platform.clock import utcnow
from earnloop.platform.ids import new_id
from earnloop.platform.settings import get_settings
from earnloop.points.earning_rules import earning_rule
from earnloop.risk.attempts import CallerDep, Limiter, Limits
from earnloop.sharing import service
from earnloop.sharing.keys import share_keys
from earnloop.sharing.models import OpenReport, ShareCreate, ShareCreated
from earnloop.sharing.store import SharingStore, sharing_store
from earnloop.sharing.tokens import ShareKeys

router = APIRouter()


def sharing_limiter() -> Limiter:
    # The share's risk counters live in the sharing table: the share's own write counts its attempt.
    return Limiter(aws.dynamodb(), get_settings().table_name("sharing"))


Store = Annotated[SharingStore, Depends(sharing_store)]
Keys = Annotated[ShareKeys, Depends(share_keys)]
SharingLimiter = Annotated[Limiter, Depends(sharing_limiter)]


def share_points() -> int:
    """What a share may earn its sharer under the `share` rule as it applies now (0 while off)."""
    rule = earning_rule("share")
    return (rule.points or 0) if rule.enabled else 0


@router.post(
    "/v1/shares",
    name="shares_create",
    status_code=201,
    response_model=ShareCreated,
    tags=["sharing"],
    summary="Make a share link; its sharer earns only when a friend logs in, likes or comments through it",
)
def shares_create(
    body: ShareCreate, user: CurrentUser, store: Store, keys: Keys, limiter: SharingLimiter, who: CallerDep
) -> ShareCreated:
    now, settings = utcnow(), get_settings()
    limits = Limits(
        settings.shares_per_hour, settings.shares_per_hour_per_device, settings.shares_per_hour_per_ip
    )
    with limiter.attempt("share", user.user_id, who, limits, now) as attempt:
        return service.create_share(
            store, keys, body, user.user_id, now, points=share_points(), make_id=new_id, attempt=attempt
        )


@router.post(
    "/v1/shares/opens",
    name="shares_open",
    status_code=204,
    response_class=Response,
    tags=["sharing"],
    summary="Report the share link the mini-program was opened through (after login)",
)
def shares_open(body: OpenReport, user: CurrentUser, store: Store, keys: Keys) -> Response:
    service.open_share(store, keys, body, user.user_id, utcnow())
    return Response(status_code=204)
