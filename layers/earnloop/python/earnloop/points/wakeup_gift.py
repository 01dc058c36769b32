"""The wake-up gift: when identity moves a user to the `sleeping` segment, the points worker credits
`wakeup_gift_points` valid for `wakeup_gift_days` (their own short bucket), once per sleep, if they
ever scanned a product: an account registered and left idle is no customer to win back, and paying
it would make farming accounts pay."""

from __future__ import annotations

from datetime import date, timedelta

from earnloop.platform.clock import business_day, parse_iso, utcnow
from earnloop.platform.events import DomainEvent
from earnloop.platform.observability import logger
from earnloop.platform.settings import get_settings
from earnloop.points.models import EarnCommand
from earnloop.points.service import Ledger

SLEEPING = "sleeping"


class SegmentChanged(DomainEvent):
    """Identity's event, as the points worker reads it."""

    source = "earnloop.identity"
    detail_type = "SegmentChanged"

    user_id: str
    to_segment: str
    changed_at: str
    first_scan_at: str | None = None


def wakeup_txn_id(user_id: str, slept_on: date) -> str:
    """One gift per user and sleep: a user falls asleep once per sleep, on one business day (a
    redelivered or replayed event names the same day; waking up and sleeping again, another)."""
    return f"wakeup#{user_id}#{slept_on.isoformat()}"


def gift_command(event: SegmentChanged, points: int, valid_days: int) -> EarnCommand | None:
    """The gift for a customer who fell asleep, or None (another segment, never scanned, or the gift
    is off). Valid
    for `valid_days` business days counting the day they fell asleep (the expiry job takes them at
    00:10 of the day after the last); no tier multiplier, no rule cap."""
    if event.to_segment != SLEEPING or event.first_scan_at is None or points <= 0:
        return None
    slept_on = business_day(parse_iso(event.changed_at))
    return EarnCommand(
        txn_id=wakeup_txn_id(event.user_id, slept_on),
        user_id=event.user_id,
        points=points,
        reason="wakeup_gift",
        reference=slept_on.isoformat(),
        expires_on=slept_on + timedelta(days=valid_days - 1),
    )


def gift_on_sleep(event: SegmentChanged, ledger: Ledger | None = None) -> None:
    """`points_earn`: credits the wake-up gift (held while the account is frozen, as any earn)."""
    settings = get_settings()
    command = gift_command(event, settings.wakeup_gift_points, settings.wakeup_gift_days)
    if command is None:
        logger.info("segment change without a gift", extra={"user_id": event.user_id, "to": event.to_segment})
        return
    outcome = (ledger or Ledger.default()).credit(command, utcnow())
    logger.info(
        "wake-up gift",
        extra={"user_id": event.user_id, "txn_id": command.txn_id, "outcome": outcome.status},
    )
