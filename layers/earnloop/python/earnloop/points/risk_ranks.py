"""WeChat's risk rank of a user, copied onto the points account from identity's `RiskRankChanged`
(identity/risk_ranks.py asks WeChat at registration and at most once a day at login): `plan_earn`
then decides from the account it reads anyway whether an earn is pending (points/pending.py), with
no read of identity per earn. A newer rank is never replaced by an older one that arrives late."""

from __future__ import annotations

from pydantic import Field

from earnloop.platform.events import DomainEvent
from earnloop.platform.observability import logger
from earnloop.points.store import PointsStore


class RiskRankChanged(DomainEvent):
    """Identity's event, as the points worker reads it."""

    source = "earnloop.identity"
    detail_type = "RiskRankChanged"

    user_id: str
    risk_rank: int = Field(ge=0, le=4)
    risk_rank_at: str


def record_risk_rank(event: RiskRankChanged, store: PointsStore | None = None) -> None:
    """Puts the rank on the account (a redelivery or an older rank changes nothing)."""
    recorded = (store or PointsStore.default()).record_risk_rank(
        event.user_id, event.risk_rank, event.risk_rank_at
    )
    logger.info(
        "risk rank recorded",
        extra={"user_id": event.user_id, "risk_rank": event.risk_rank, "recorded": recorded},
    )
