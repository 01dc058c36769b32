"""Pure rules of the codes context: batch validity, export ranges, claim shards, rejection counters.

Scan rate limits are the risk package's sliding windows (`earnloop.risk`)."""

from __future__ import annotations

import zlib
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Literal

from earnloop.platform.clock import business_day, iso
from earnloop.platform.errors import InvalidCodeError, ValidationFailedError

if TYPE_CHECKING:
    from collections.abc import Mapping

PENDING_SHARDS = 8
# Rejected scans are counted per (business day, shard) for the statistics; a random shard per
# rejection keeps a flood of dead codes under a partition's write limit (docs/decisions.md).
REJECTION_SHARDS = 16
REJECTION_COUNTER_DAYS = 35
# A deployed Lambda answers at most 6 MB. A row is at most 7 + 41 + 64 + 41 characters plus
# separators (a serial, a code, a URL base of up to 64 characters and the code again), about 157
# bytes once JSON-escaped in Lambda's response: 30,000 rows stay under 4.8 MB.
MAX_EXPORT_ROWS = 30_000
BatchRejection = Literal["revoked", "not_yet_valid", "expired"]


def batch_rejection(batch: Mapping[str, object], now: datetime) -> BatchRejection | None:
    """Why a batch's codes cannot be claimed at `now`, or None when they can.

    A missing `valid_from`/`valid_until` leaves that side of the window open. Timestamps are
    compared as stored text (UTC ISO with milliseconds sorts as time), exactly as DynamoDB does.
    """
    if batch.get("revoked") is not False:
        return "revoked"
    at = iso(now)
    valid_from, valid_until = batch.get("valid_from"), batch.get("valid_until")
    if isinstance(valid_from, str) and valid_from > at:
        return "not_yet_valid"
    if isinstance(valid_until, str) and valid_until <= at:
        return "expired"
    return None


def rejection_error(reason: BatchRejection, batch: Mapping[str, object]) -> InvalidCodeError:
    """What a scanner is told about a code its batch does not accept now: a promotion that has
    not started says when it starts (`starts_at`, UTC), so the app need not say "no longer valid"."""
    if reason == "not_yet_valid":
        starts_at = str(batch.get("valid_from"))
        return InvalidCodeError(f"this promotion starts at {starts_at}", reason=reason, starts_at=starts_at)
    if reason == "expired":
        return InvalidCodeError("this promotion has ended", reason=reason)
    return InvalidCodeError("this code has been withdrawn", reason=reason)


def pending_shard(scan_id: str) -> int:
    """The shard of the pending-claims index a claim waits in; spreads a spike over 8 partitions."""
    return zlib.crc32(scan_id.encode()) % PENDING_SHARDS


@dataclass(frozen=True)
class ExportRange:
    """Serials `first`..`last` inclusive."""

    first: int
    last: int

    @property
    def rows(self) -> int:
        return self.last - self.first + 1


def export_range(
    batch_count: int, start: int | None, count: int | None, *, whole_batch_allowed: bool
) -> ExportRange:
    """The serials an export covers. Without `count` it runs to the end of the batch, which only
    a local stage may do for more than `MAX_EXPORT_ROWS` codes (a deployed answer is capped at 6 MB).

    Raises:
        ValidationFailedError: a range outside the batch, or too large for one answer.
    """
    first = 1 if start is None else start
    if first < 1 or first > batch_count:
        raise ValidationFailedError(f"start must be between 1 and {batch_count}")
    if count is not None:
        if not 1 <= count <= MAX_EXPORT_ROWS:
            raise ValidationFailedError(f"count must be between 1 and {MAX_EXPORT_ROWS}")
        return ExportRange(first, min(batch_count, first + count - 1))
    wanted = ExportRange(first, batch_count)
    if wanted.rows > MAX_EXPORT_ROWS and not whole_batch_allowed:
        raise ValidationFailedError(
            f"export at most {MAX_EXPORT_ROWS} codes per request with ?start=&count=",
            max_count=MAX_EXPORT_ROWS,
        )
    return wanted


def rejection_counter(now: datetime) -> tuple[str, int]:
    """The business day (Asia/Shanghai, ISO) whose rejection counter a rejection at `now` goes to,
    and when that counter may be deleted (epoch seconds)."""
    day = business_day(now)
    return day.isoformat(), int((now + timedelta(days=REJECTION_COUNTER_DAYS)).timestamp())
