"""Shapes of the stats routes (shared/API.md: admin stats, leaderboard)."""

from __future__ import annotations

from datetime import date

from pydantic import BaseModel


class DayStats(BaseModel):
    """One business day (Asia/Shanghai). Points are summed from ledger entries of that day:
    `points_issued` counts earns only (refunds give back spent points and are `points_refunded`);
    `points_adjusted` is signed; `points_outstanding` is every balance together at the day's end;
    `consumption_rate` = (spent - refunded) / issued, null on a day without issuance."""

    date: date
    points_issued: int
    points_spent: int
    points_expired: int
    points_refunded: int
    points_adjusted: int
    points_outstanding: int
    scans_accepted: int
    scans_rejected: dict[str, int]
    posts: int
    likes: int
    consumption_rate: float | None


class StatsPage(BaseModel):
    days: list[DayStats]


class BoardEntry(BaseModel):
    rank: int
    nickname: str
    points: int


class MyStanding(BaseModel):
    # Absent when the caller is not on the board (outside its top, or opted out).
    rank: int | None = None
    points: int


class Leaderboard(BaseModel):
    entries: list[BoardEntry]
    me: MyStanding | None = None
