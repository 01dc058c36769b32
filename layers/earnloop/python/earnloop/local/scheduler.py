"""Fires the catalog's schedule functions locally (moto accepts schedule rules but never fires them).

Understands EventBridge schedule expressions: `rate(<n> minute|minutes|hour|hours|day|days)` and
`cron(<min> <hour> <day-of-month> <month> <day-of-week> <year>)` with `*`, `?`, lists, ranges, steps
and month/day names. The `L`, `W` and `#` forms are refused rather than guessed.

A cron() is evaluated in its function's time zone (`FunctionSpec.timezone`), as EventBridge Scheduler
does: a local time that daylight saving skips does not fire that day, one it repeats fires once (the
first). A rate() is a fixed period whatever the zone (`rate(1 day)` is 24 hours).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from earnloop.local import shapes
from earnloop.platform.observability import logger

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable

    from earnloop.platform.catalog import FunctionSpec

_RATE = re.compile(r"^rate\((\d+)\s+(minute|minutes|hour|hours|day|days)\)$")
_CRON = re.compile(r"^cron\((.+)\)$")
_UNIT_SECONDS = {"minute": 60, "hour": 3600, "day": 86400}
_MONTH_NAMES = ("JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC")
_MONTHS = {name: number for number, name in enumerate(_MONTH_NAMES, start=1)}
# EventBridge numbers days of the week 1 (SUN) to 7 (SAT).
_DAYS = {
    name: number for number, name in enumerate(("SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"), start=1)
}
_SEARCH_DAYS = 366 * 5
_UTC = ZoneInfo("UTC")


def _field(text: str, low: int, high: int, names: dict[str, int] | None = None) -> frozenset[int] | None:
    """The values a cron field allows; None for `*`/`?` (any)."""
    if text in ("*", "?"):
        return None
    for token in re.split(r"[,/-]", text):
        if not (token == "*" or token.isdigit() or (names and token.upper() in names)):
            raise ValueError(f"cron field {text!r} is not supported locally (L, W and # are not)")
    values: set[int] = set()
    for part in text.split(","):
        base, _, step_text = part.partition("/")
        step = int(step_text) if step_text else 1
        if base == "*":
            start, end = low, high
        elif "-" in base:
            first, last = base.split("-", 1)
            start, end = _value(first, names), _value(last, names)
        else:
            start = _value(base, names)
            end = high if step_text else start
        if not (low <= start <= high and low <= end <= high) or step < 1:
            raise ValueError(f"cron field {text!r} is outside {low}-{high}")
        values.update(range(start, end + 1, step))
    return frozenset(values)


def _value(text: str, names: dict[str, int] | None) -> int:
    if names and text.upper() in names:
        return names[text.upper()]
    return int(text)


@dataclass(frozen=True)
class Cron:
    minutes: frozenset[int] | None
    hours: frozenset[int] | None
    days: frozenset[int] | None
    months: frozenset[int] | None
    weekdays: frozenset[int] | None
    years: frozenset[int] | None
    zone: ZoneInfo = _UTC

    @classmethod
    def parse(cls, body: str, timezone: str = "UTC") -> Cron:
        parts = body.split()
        if len(parts) != 6:
            raise ValueError(f"cron needs 6 fields, got {len(parts)}: {body!r}")
        minute, hour, day, month, weekday, year = parts
        if (day == "?") == (weekday == "?"):
            raise ValueError("exactly one of day-of-month and day-of-week must be '?'")
        return cls(
            _field(minute, 0, 59),
            _field(hour, 0, 23),
            _field(day, 1, 31),
            _field(month, 1, 12, _MONTHS),
            _field(weekday, 1, 7, _DAYS),
            _field(year, 1970, 2199),
            ZoneInfo(timezone),
        )

    def _day_matches(self, day: date) -> bool:
        weekday = day.isoweekday() % 7 + 1  # Monday=1..Sunday=7 -> SUN=1..SAT=7
        return (
            (self.years is None or day.year in self.years)
            and (self.months is None or day.month in self.months)
            and (self.days is None or day.day in self.days)
            and (self.weekdays is None or weekday in self.weekdays)
        )

    def next_after(self, moment: datetime) -> datetime | None:
        """The first firing time strictly after `moment`, in UTC, or None within the next five years.

        The fields are matched against the wall clock of `zone`. A wall time that does not exist
        (spring forward) is skipped; one that exists twice (fall back) is only taken the first time
        (`fold=0`), so it fires once.
        """
        start = moment.astimezone(UTC).replace(second=0, microsecond=0) + timedelta(minutes=1)
        hours = sorted(self.hours if self.hours is not None else range(24))
        minutes = sorted(self.minutes if self.minutes is not None else range(60))
        first_day = start.astimezone(self.zone).date()
        for offset in range(_SEARCH_DAYS):
            day = first_day + timedelta(days=offset)
            if not self._day_matches(day):
                continue
            for hour in hours:
                for minute in minutes:
                    wall = datetime(day.year, day.month, day.day, hour, minute, tzinfo=self.zone)
                    candidate = wall.astimezone(UTC)
                    if candidate < start or not self._exists(wall, candidate):
                        continue
                    return candidate
        return None

    def last_until(self, first: datetime, now: datetime) -> datetime:
        """The latest firing time in [`first`, `now`], `first` being one. Looked for in a widening
        window before `now`, so a clock moved a year ahead costs a few searches, not a walk
        through every minute of the year."""
        for window in (timedelta(hours=1), timedelta(days=2), timedelta(days=40), timedelta(days=400)):
            candidate = self.next_after(max(first - timedelta(minutes=1), now - window))
            if candidate is not None and candidate <= now:
                return _walk(self, candidate, now)
        return _walk(self, first, now)

    def _exists(self, wall: datetime, instant: datetime) -> bool:
        """False for a wall time inside a spring-forward gap: it does not come back from UTC."""
        return instant.astimezone(self.zone).replace(tzinfo=None) == wall.replace(tzinfo=None)


@dataclass(frozen=True)
class Rate:
    every: timedelta

    @classmethod
    def parse(cls, value: str, unit: str) -> Rate:
        amount = int(value)
        singular = unit.rstrip("s")
        if amount < 1 or (amount == 1) != (unit == singular):
            raise ValueError(f"rate({value} {unit}) is not a valid rate (1 uses the singular unit)")
        return cls(timedelta(seconds=amount * _UNIT_SECONDS[singular]))

    def next_after(self, moment: datetime) -> datetime:
        return moment + self.every

    def last_until(self, first: datetime, now: datetime) -> datetime:
        """The latest firing time in [`first`, `now`], `first` being one."""
        return first + ((now - first) // self.every) * self.every


def _walk(schedule: Cron, fire: datetime, now: datetime) -> datetime:
    """From a firing time at or before `now`, the last one at or before `now`."""
    while (upcoming := schedule.next_after(fire)) is not None and upcoming <= now:
        fire = upcoming
    return fire


def parse_schedule(expression: str, timezone: str = "UTC") -> Cron | Rate:
    """Raises ValueError for anything EventBridge would not accept (or we do not support).
    `timezone` (IANA) is the zone a cron() is evaluated in."""
    text = expression.strip()
    if match := _RATE.match(text):
        return Rate.parse(*match.groups())
    if match := _CRON.match(text):
        return Cron.parse(match.group(1), timezone)
    raise ValueError(f"not a schedule expression: {expression!r}")


class Scheduler:
    """Invokes each schedule function when its expression comes due, with the Scheduled Event shape.

    A rate schedule first fires one period after the scheduler starts, as a new EventBridge rule does.
    Time may jump (`earnloop clock`): forward, each schedule whose time was passed fires once; back,
    every schedule is planned again from the earlier time, so it fires when that time next comes.
    """

    def __init__(
        self,
        specs: Iterable[FunctionSpec],
        invoke: Callable[[str, dict[str, Any]], Any],
        region: str,
        now: datetime,
        rule_prefix: str = "earnloop-local",
    ) -> None:
        self.invoke = invoke
        self.region = region
        self.rule_prefix = rule_prefix
        self._schedules: dict[str, Cron | Rate] = {}
        self._next: dict[str, datetime | None] = {}
        self._last_tick = now
        for spec in specs:
            if spec.kind != "schedule" or not spec.schedule:
                continue
            schedule = parse_schedule(spec.schedule, spec.timezone)
            self._schedules[spec.name] = schedule
            self._next[spec.name] = schedule.next_after(now)

    @property
    def names(self) -> list[str]:
        return sorted(self._schedules)

    def next_fire(self, name: str) -> datetime | None:
        return self._next[name]

    def tick(self, now: datetime) -> list[str]:
        """Fires every schedule due at `now` (once, even if several periods were missed, as a
        stopped laptop catches up: as of the latest time missed, so a clock moved a year ahead runs
        a daily job for that year's last day); returns the names fired."""
        if now < self._last_tick:
            # The clock was set back: the times planned from the later one would wait for it.
            self._next = {name: schedule.next_after(now) for name, schedule in self._schedules.items()}
        self._last_tick = now
        fired: list[str] = []
        for name, schedule in self._schedules.items():
            due = self._next[name]
            if due is None or due > now:
                continue
            latest = schedule.last_until(due, now)
            try:
                self.fire(name, latest)
            except Exception:  # a failed run must not stop the other schedules (or the pumps)
                logger.exception("schedule run failed", extra={"function": name})
            fired.append(name)
            self._next[name] = schedule.next_after(latest)
        return fired

    def fire(self, name: str, moment: datetime) -> Any:
        """Invokes the schedule function `name` now, as its rule would at `moment`."""
        event = shapes.scheduled_event(f"{self.rule_prefix}-{name}", moment, self.region)
        logger.info("schedule fired", extra={"function": name, "time": event["time"]})
        return self.invoke(name, event)
