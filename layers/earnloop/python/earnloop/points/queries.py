"""Read-only views of the points context for other contexts (the identity context's `GET /v1/me`)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from earnloop.platform.clock import business_day
from earnloop.points.models import PointsSummary
from earnloop.points.rules import EXPIRING_SOON_DAYS, expiring_within
from earnloop.points.store import PointsStore

if TYPE_CHECKING:
    from datetime import datetime

__all__ = ["PointsSummary", "balance_summary"]


def balance_summary(user_id: str, now: datetime) -> PointsSummary:
    """The user's balance and the points expiring within 30 days of `now`'s business day
    (0 and 0 for a user with no account yet). One eventually consistent GetItem."""
    account = PointsStore.default().account(user_id, consistent=False)
    return PointsSummary(
        balance=account.balance,
        expiring_soon=expiring_within(account.buckets, business_day(now), EXPIRING_SOON_DAYS),
    )
