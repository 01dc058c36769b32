"""`points_like_pay` (every minute): pays authors the likes they received, once per author and
closed minute (points/like_rewards.py says why the author's earns are aggregated).

A minute is closed `CLOSE_AFTER` after it ends: the points worker records a like in the minute it
reads the clock, and commits within its own timeout, so nothing is added to a minute that old.
Each run pays, oldest first, the closed minutes after the last one paid (a cursor item), at most
`MAX_MINUTES_PER_RUN`: a run that failed, or a schedule that paused, is caught up by the next runs.
Paying a minute reads its `PAY_SHARDS` partitions (Queries, never a Scan: the cost grows with the
likes, not the users), credits each author once with txn `like_received#<author>#<minute>` (a
rerun of a minute paid but whose cursor did not move credits nothing twice), then moves the cursor.

The cap: the minute's likes times the rule's points, cut to what is left of the author's daily
`like_received` cap (the counter is read, and charged again inside the ledger transaction with a
ceiling, so a race can only refuse, never overpay: then it reads again). Likes beyond the cap
are not carried over, as an earn over a cap is dropped everywhere else.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from earnloop.platform.clock import business_day, parse_iso
from earnloop.platform.errors import LimitReachedError
from earnloop.platform.observability import logger, metrics, tracer
from earnloop.platform.scheduled import due_time
from earnloop.points.earning_rules import earning_rule, rule_command
from earnloop.points.like_pay_store import LikePayStore, minute_of
from earnloop.points.service import Ledger

LIKE_RECEIVED = "like_received"
CLOSE_AFTER = timedelta(minutes=2)
# Minutes one run pays at most (about 16 Queries each when empty): a backlog after an outage is
# caught up by the next runs.
MAX_MINUTES_PER_RUN = 30
FIRST_RUN_BACK = timedelta(minutes=5)
ATTEMPTS = 3


def like_received_txn_id(author_id: str, minute: str) -> str:
    return f"like_received#{author_id}#{minute}"


def minutes_to_pay(paid_through: str | None, now: datetime) -> list[str]:
    """The closed minutes after `paid_through`, oldest first, at most `MAX_MINUTES_PER_RUN`
    (before the first run: the last `FIRST_RUN_BACK` of them)."""
    last = now.replace(second=0, microsecond=0) - CLOSE_AFTER
    first = parse_iso(f"{paid_through}:00Z") + timedelta(minutes=1) if paid_through else last - FIRST_RUN_BACK
    count = int((last - first) / timedelta(minutes=1)) + 1
    return [minute_of(first + timedelta(minutes=n)) for n in range(max(0, min(count, MAX_MINUTES_PER_RUN)))]


def pay_author(
    store: LikePayStore, ledger: Ledger, author_id: str, minute: str, likes: int, now: datetime
) -> str:
    """Credits one author's likes of one minute; returns what happened."""
    rule = earning_rule(LIKE_RECEIVED)
    if not rule.enabled or rule.points is None:
        return "rule off"
    at = parse_iso(f"{minute}:00Z")
    for _ in range(ATTEMPTS):
        points = likes * rule.points
        if rule.daily_cap is not None:
            points = min(points, rule.daily_cap - store.cap_used(author_id, LIKE_RECEIVED, business_day(at)))
        if points <= 0:
            return "over the daily cap"
        command = rule_command(
            LIKE_RECEIVED,
            txn_id=like_received_txn_id(author_id, minute),
            user_id=author_id,
            reason=f"{likes} like{'s' if likes > 1 else ''} received",
            reference=minute,
            occurred_at=at,
            points=points,
        )
        if command is None:
            return "rule off"
        try:
            return ledger.credit(command, now).status
        except LimitReachedError:
            # Another earn of the rule took the room meanwhile: read what is left again.
            continue
    return "over the daily cap"


def pay(store: LikePayStore, ledger: Ledger, now: datetime) -> dict[str, int]:
    """Pays the closed minutes not paid yet, oldest first, moving the cursor after each."""
    paid_through = store.paid_through()
    minutes = authors = 0
    for minute in minutes_to_pay(paid_through, now):
        owed = store.owed(minute)
        for author_id, likes in sorted(owed.items()):
            outcome = pay_author(store, ledger, author_id, minute, likes, now)
            logger.info(
                "likes paid",
                extra={"author_id": author_id, "minute": minute, "likes": likes, "outcome": outcome},
            )
        if not store.mark_paid(minute, paid_through, now):
            # Another run (a retry overlapping this one) is paying: it goes on from here.
            break
        paid_through = minute
        minutes, authors = minutes + 1, authors + len(owed)
    return {"minutes": minutes, "authors": authors}


@metrics.log_metrics
@tracer.capture_lambda_handler(capture_response=False)
@logger.inject_lambda_context(clear_state=True)
def lambda_handler(event: dict[str, Any], context: Any) -> dict[str, int]:
    return pay(LikePayStore.default(), Ledger.default(), due_time(event))
