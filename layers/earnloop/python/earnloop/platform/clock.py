"""Time: stored in UTC ISO-8601; business days are Asia/Shanghai dates."""

from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

BUSINESS_TZ = ZoneInfo("Asia/Shanghai")


def utcnow() -> datetime:
    return datetime.now(UTC)


def iso(moment: datetime) -> str:
    """UTC ISO-8601 with a `Z`, to the millisecond (sorts as text)."""
    return moment.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def parse_iso(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def business_day(moment: datetime) -> date:
    """The Asia/Shanghai calendar date of a moment (caps, check-ins and expiry count these)."""
    return moment.astimezone(BUSINESS_TZ).date()
