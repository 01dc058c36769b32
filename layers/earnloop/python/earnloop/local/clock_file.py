"""`earnloop clock`: the local cloud's movable clock, an offset from the real time kept in
`.local/clock.json` (beside `endpoints.json`) until `earnloop clock reset`.

`make dev` and the local commands point `EARNLOOP_LOCAL_CLOCK` at the file; `platform.clock.utcnow()`
adds the offset in the local stage only, and the local scheduler ticks on that time, so a schedule
whose time the clock passed fires on the next pump round. An offset (not a frozen time) keeps the
clock running after a `set`, as jobs and tokens expect.
"""

from __future__ import annotations

import json
import os
import re
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

from earnloop.local.samples import REPO_ROOT
from earnloop.platform.clock import LOCAL_CLOCK_VARIABLE, local_offset

if TYPE_CHECKING:
    from pathlib import Path

CLOCK_FILE = REPO_ROOT / ".local" / "clock.json"
_DURATION = re.compile(r"^(?:(\d+)d)?(?:(\d+)h)?(?:(\d+)m)?(?:(\d+)s)?$")


def environment(path: Path | None = None) -> dict[str, str]:
    """The variable that makes this process (and the functions it runs) read the moved clock."""
    return {LOCAL_CLOCK_VARIABLE: str(path or CLOCK_FILE)}


def parse_duration(text: str) -> timedelta:
    """`3d`, `12h`, `90m`, `1d12h`, `30s`: a step forward (back is `set` or `reset`).

    Raises:
        ValueError: anything else.
    """
    match = _DURATION.match(text.strip())
    if not text.strip() or match is None:
        raise ValueError(f"not a duration: {text!r} (e.g. 3d, 12h, 90m, 1d12h)")
    days, hours, minutes, seconds = (int(part or 0) for part in match.groups())
    return timedelta(days=days, hours=hours, minutes=minutes, seconds=seconds)


def parse_moment(text: str) -> datetime:
    """An ISO-8601 time with its offset: `2027-01-01T00:10+08:00`, `2026-12-31T16:10Z`.

    Raises:
        ValueError: not ISO-8601, or no offset (a bare wall time would be a guess at the zone).
    """
    moment = datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    if moment.tzinfo is None:
        raise ValueError(f"{text!r} has no offset: add +08:00 (Shanghai) or Z (UTC)")
    return moment


def offset(path: Path | None = None) -> timedelta:
    return local_offset(str(path or CLOCK_FILE))


def write(moved_by: timedelta, path: Path | None = None) -> timedelta:
    """Keeps `moved_by`; replaced in one rename, so a reader sees the old file or the new one."""
    path = path or CLOCK_FILE
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_suffix(".tmp")
    partial.write_text(json.dumps({"offset_s": moved_by.total_seconds()}) + "\n")
    os.replace(partial, path)
    return moved_by


def advance(step: timedelta, path: Path | None = None) -> timedelta:
    return write(offset(path) + step, path)


def set_to(moment: datetime, path: Path | None = None, real_now: datetime | None = None) -> timedelta:
    return write(moment - (real_now or datetime.now(UTC)), path)


def reset(path: Path | None = None) -> None:
    (path or CLOCK_FILE).unlink(missing_ok=True)


def describe(moved_by: timedelta, real_now: datetime | None = None) -> str:
    """`2026-12-05T16:10:00Z (Asia/Shanghai 2026-12-06 00:10), real time +3 days, 0:00:00`."""
    from earnloop.platform.clock import BUSINESS_TZ

    now = (real_now or datetime.now(UTC)) + moved_by
    shown = now.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    business = now.astimezone(BUSINESS_TZ).strftime("%Y-%m-%d %H:%M")
    step = timedelta(seconds=round(moved_by.total_seconds()))
    moved = f"real time {'+' if step > timedelta(0) else ''}{step}" if moved_by else "the real time"
    return f"{shown} (Asia/Shanghai {business}), {moved}"
