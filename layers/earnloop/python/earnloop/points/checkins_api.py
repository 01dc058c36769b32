"""`POST /v1/checkins`: the caller's check-in of the business day."""

from __future__ import annotations

from fastapi import APIRouter

from earnloop.platform import aws
from earnloop.platform.auth import CurrentUser
from earnloop.platform.clock import utcnow
from earnloop.platform.settings import get_settings
from earnloop.points.checkins import CheckInResult, CheckInStore, check_in
from earnloop.points.service import Ledger

router = APIRouter(tags=["points"])


@router.post("/v1/checkins", name="checkins_create", response_model=CheckInResult)
def checkins_create(user: CurrentUser) -> CheckInResult:
    """Once per business day (409 `limit_reached` after that): the streak and the points credited."""
    store = CheckInStore(aws.dynamodb(), get_settings().table_name("points"))
    return check_in(user.user_id, utcnow(), Ledger.default(), store)
