"""Time: stored in UTC ISO-8601; business days are Asia/Shanghai dates.

On the local cloud the clock can be moved (`earnloop clock advance 3d`, for demos and tests): the
local commands set `EARNLOOP_LOCAL_CLOCK` to a file holding an offset, and `utcnow()` adds it, in
the local stage only. A deployed function has neither the variable nor the local stage, so it never
reads a file for the time.
"""

from __future__ import annotations

import json
import os
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

BUSINESS_TZ = ZoneInfo("Asia/Shanghai")
LOCAL_CLOCK_VARIABLE = "EARNLOOP_LOCAL_CLOCK"
_NO_OFFSET = timedelta(0)


def utcnow() -> datetime:
    now = datetime.now(UTC)
    clock_file = os.environ.get(LOCAL_CLOCK_VARIABLE)
    if clock_file and os.environ.get("EARNLOOP_STAGE", "local") == "local":
        return now + local_offset(clock_file)
    return now


def local_offset(path: str) -> timedelta:
    """The offset kept in the local clock file (`{"offset_s": <seconds>}`); none without a file.
    Read on every call (local only): `earnloop clock` may replace it at any moment, and a cache
    keyed on the file's stat could miss two replacements within one timestamp tick."""
    try:
        with open(path, encoding="utf-8") as kept:
            return timedelta(seconds=float(json.load(kept)["offset_s"]))
    except (OSError, ValueError, KeyError, TypeError):
        return _NO_OFFSET  # no file (`earnloop clock reset`), or one edited into nonsense by hand


def iso(moment: datetime) -> str:
    """UTC ISO-8601 with a `Z`, to the millisecond (sorts as text)."""
    return moment.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def parse_iso(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def business_day(moment: datetime) -> date:
    """The Asia/Shanghai calendar date of a moment (caps, check-ins and expiry count these)."""
    return moment.astimezone(BUSINESS_TZ).date()
