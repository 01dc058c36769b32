"""HTTP routes of the stats context: the admin's daily statistics and the leaderboard."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Annotated, Literal

from fastapi import APIRouter, Query

from earnloop.platform.auth import AdminUser, CurrentUser
from earnloop.platform.clock import business_day, utcnow
from earnloop.stats import service
from earnloop.stats.models import BoardEntry, DayStats, Leaderboard, MyStanding, StatsPage
from earnloop.stats.store import StatsStore

router = APIRouter(tags=["stats"])

DEFAULT_DAYS = 30


@router.get("/v1/admin/stats", name="admin_stats_get", response_model=StatsPage)
def admin_stats_get(
    admin: AdminUser,
    first: Annotated[date | None, Query(alias="from")] = None,
    last: Annotated[date | None, Query(alias="to")] = None,
) -> StatsPage:
    """Per business day from `from` to `to` (inclusive, at most 92 days; by default the last 30
    days to today)."""
    last = last or business_day(utcnow())
    first = first or last - timedelta(days=DEFAULT_DAYS - 1)
    rows = service.stats_range(StatsStore.default(), first, last)
    return StatsPage(
        days=[
            DayStats(
                date=row.day,
                points_issued=row.counters["issued"],
                points_spent=row.counters["spent"],
                points_expired=row.counters["expired"],
                points_refunded=row.counters["refunded"],
                points_adjusted=row.counters["adjusted"],
                points_outstanding=row.outstanding,
                scans_accepted=row.counters["scans_accepted"],
                scans_rejected=dict(sorted(row.rejected.items())),
                posts=row.counters["posts"],
                likes=row.counters["likes"],
                consumption_rate=row.consumption_rate,
            )
            for row in rows
        ]
    )


@router.get(
    "/v1/leaderboard", name="leaderboard_get", response_model=Leaderboard, response_model_exclude_none=True
)
def leaderboard_get(user: CurrentUser, period: Literal["month", "all"] = "month") -> Leaderboard:
    """The period's board as last built (each minute) and the caller's own points (live), in one
    read. The month is the current business month (Asia/Shanghai)."""
    board, mine = StatsStore.default().board_and_score(service.period_of(period, utcnow()), user.user_id)
    entries = list((board or {}).get("entries", []))
    my_rank = next((int(e["rank"]) for e in entries if e["user_id"] == user.user_id), None)
    return Leaderboard(
        entries=[
            BoardEntry(rank=int(e["rank"]), nickname=str(e["nickname"]), points=int(e["points"]))
            for e in entries
        ],
        me=MyStanding(rank=my_rank, points=int((mine or {}).get("points", 0))),
    )
