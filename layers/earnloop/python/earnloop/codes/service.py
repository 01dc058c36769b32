"""Use cases of the codes context: one function per action, dependencies passed in."""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import timedelta
from typing import TYPE_CHECKING, Protocol

from aws_lambda_powertools.metrics import MetricUnit, single_metric
from botocore.exceptions import BotoCoreError, ClientError

from earnloop.codes.codec import (
    CodeRef,
    QrKeys,
    Signer,
    is_batch_id,
    new_batch_id,
    parse_scan_id,
    parse_unverified,
    verify,
)
from earnloop.codes.csv_export import csv_chunks
from earnloop.codes.models import (
    Batch,
    BatchCreate,
    Claim,
    Product,
    ScanAccepted,
    ScanCreate,
    ScanPublic,
)
from earnloop.codes.rules import (
    PENDING_SHARDS,
    REJECTION_SHARDS,
    ExportRange,
    batch_rejection,
    export_range,
    rejection_counter,
    rejection_error,
)
from earnloop.codes.store import BatchIdTakenError, ClaimRequest
from earnloop.platform.clock import iso
from earnloop.platform.dynamo import TransactionConflictError
from earnloop.platform.errors import (
    EarnloopError,
    InvalidCodeError,
    NotFoundError,
    RateLimitedError,
    ValidationFailedError,
)
from earnloop.platform.observability import logger, mask, metrics
from earnloop.risk.windows import Gate, Subject

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator, Sequence
    from datetime import datetime

    from earnloop.platform.audit import AuditOf
    from earnloop.points.events import PointsChanged
    from earnloop.risk.far_apart import ScanLocation

CLAIM_ATTEMPTS = 3
BATCH_ID_ATTEMPTS = 3


class Store(Protocol):
    def put_batch(self, batch: Batch, audit: AuditOf | None = None) -> None: ...
    def get_batch(self, batch_id: str) -> Batch | None: ...
    def revoke_batch(self, batch_id: str, by: str, now: datetime, audit: AuditOf | None = None) -> Batch: ...
    def claim(self, request: ClaimRequest) -> None: ...
    def get_claim(self, batch_id: str, serial: int) -> Claim | None: ...
    def mark_credited(
        self, batch_id: str, serial: int, code: str, user_id: str, credited_at: str
    ) -> tuple[Claim | None, bool]: ...
    def stale_pending_claims(self, shard: int, older_than_iso: str, limit: int) -> list[tuple[str, int]]: ...
    def touch_for_sweep(self, batch_id: str, serial: int, now_iso: str) -> bool: ...
    def count_rejection(self, day: str, shard: int, reason: str, expires_at: int) -> None: ...


class Risk(Protocol):
    def open(self, action: str, subjects: Sequence[Subject], now: datetime) -> Gate: ...
    def count(self, gate: Gate) -> None: ...


class Batches(Protocol):
    def get(self, batch_id: str, load: Callable[[str], Batch | None]) -> Batch | None: ...


class ClaimMismatchError(Exception):
    """Points were credited for a code whose claim is missing or someone else's: a data fault, kept
    for an operator (the message goes to the dead-letter queue), never silently dropped."""


# Admin: batches


def create_batch(
    store: Store, keys: QrKeys, body: BatchCreate, by: str, now: datetime, audit: AuditOf | None = None
) -> Batch:
    """A new batch of `body.count` codes, signed with the current key. No per-code item is written;
    `audit` (the admin's record) is written with the batch.

    Raises:
        ValidationFailedError: its validity window has already ended.
    """
    if body.valid_until is not None and body.valid_until <= now:
        raise ValidationFailedError("valid_until is in the past")
    for _ in range(BATCH_ID_ATTEMPTS):
        batch = Batch(
            batch_id=new_batch_id(),
            sku=body.sku,
            product_name=body.product_name,
            points=body.points,
            count=body.count,
            tags=list(dict.fromkeys(body.tags)),
            campaign=body.campaign,
            valid_from=iso(body.valid_from) if body.valid_from else None,
            valid_until=iso(body.valid_until) if body.valid_until else None,
            revoked=False,
            key_version=keys.current,
            created_at=iso(now),
            created_by=by,
        )
        try:
            store.put_batch(batch, audit)
        except BatchIdTakenError:
            continue
        logger.info(
            "batch created", extra={"batch_id": batch.batch_id, "count": batch.count, "sku": batch.sku}
        )
        return batch
    raise RuntimeError("could not find a free batch id")


def revoke_batch(store: Store, batch_id: str, by: str, now: datetime, audit: AuditOf | None = None) -> Batch:
    """Revokes a batch (idempotent: a repeat records nothing). Claims already accepted are still
    credited.

    Raises:
        NotFoundError: no such batch.
    """
    batch = store.revoke_batch(_batch_id(batch_id), by, now, audit)
    logger.info("batch revoked", extra={"batch_id": batch.batch_id})
    return batch


@dataclass(frozen=True)
class Export:
    batch: Batch
    range: ExportRange
    chunks: Iterator[str]

    @property
    def filename(self) -> str:
        return f"codes-{self.batch.batch_id}-{self.range.first}-{self.range.last}.csv"


def export_codes(
    store: Store,
    keys: QrKeys,
    batch_id: str,
    *,
    start: int | None,
    count: int | None,
    url_base: str,
    whole_batch_allowed: bool,
) -> Export:
    """The CSV of a batch's codes (or a range of them), generated lazily: memory does not grow with
    the number of rows. Everything that can fail is checked before the first row.

    Raises:
        NotFoundError: no such batch.
        ValidationFailedError: a range outside the batch or too large for one answer.
    """
    batch = store.get_batch(_batch_id(batch_id))
    if batch is None:
        raise NotFoundError("no such batch")
    wanted = export_range(batch.count, start, count, whole_batch_allowed=whole_batch_allowed)
    signer = Signer(keys, batch.key_version, batch.batch_id)
    logger.info(
        "codes exported", extra={"batch_id": batch.batch_id, "first": wanted.first, "last": wanted.last}
    )
    return Export(batch, wanted, csv_chunks(signer.code, wanted.first, wanted.last, url_base))


# Scans


def create_scan(
    store: Store,
    keys: QrKeys,
    batches: Batches,
    body: ScanCreate,
    user_id: str,
    now: datetime,
    risk: Risk,
    subjects: Sequence[Subject],
    url_bases: Sequence[str],
) -> ScanAccepted:
    """Claims a scanned code for `user_id`: verified without a read, committed in one transaction.
    A printed URL is accepted only on one of `url_bases` (the code domain).

    Every attempt, accepted or not, costs its `subjects` (user, device, IP) one unit of their
    sliding-window limits: an accepted one inside the claim transaction, a rejected one by its own
    write (a forged code too). An attempt over a limit is refused from the counters' read alone.

    Raises:
        InvalidCodeError: malformed, on a foreign domain, forged, revoked, or outside its batch's
            window (400).
        CodeAlreadyClaimedError: claimed before, by anyone (409).
        AccountFrozenError: the user's points account is frozen (423).
        RateLimitedError: a subject is over its limit of attempts in the sliding window (429).
    """
    try:
        gate = risk.open("scan", subjects, now)
    except RateLimitedError as error:
        _rejected(error, user_id)
        raise
    try:
        ref = verify(keys, body.code, url_bases=url_bases)
    except EarnloopError as error:
        # Refused from the code's own bytes: no claim read or write, but the attempt is counted (a
        # forged code costs the caller a unit; a flood of them is limited after the limit).
        _rejected(error, user_id)
        risk.count(gate)
        raise
    try:
        accepted = _claim(store, batches, ref, user_id, now, gate, body.location)
    except RateLimitedError as error:
        _record_rejection(store, _rejected(error, user_id), now)
        raise
    except EarnloopError as error:
        _record_rejection(store, _rejected(error, user_id), now)
        risk.count(gate)  # the claim transaction did not commit its counting
        raise
    metrics.add_metric(name="ScansAccepted", unit=MetricUnit.Count, value=1)
    return accepted


def _claim(
    store: Store,
    batches: Batches,
    ref: CodeRef,
    user_id: str,
    now: datetime,
    gate: Gate,
    location: ScanLocation | None = None,
) -> ScanAccepted:
    batch = batches.get(ref.batch_id, store.get_batch)
    # Only the key holder can sign these; they mean a leaked key or a bug, so they are logged apart.
    if batch is None or batch.key_version != ref.key_version or ref.serial > batch.count:
        logger.warning(
            "signed code outside any batch", extra={"batch_id": ref.batch_id, "serial": ref.serial}
        )
        raise InvalidCodeError("this code is not genuine", reason="forged")
    # The cached batch answers most dead codes without a write; the transaction re-checks it.
    rejection = batch_rejection(batch.model_dump(), now)
    if rejection is not None:
        raise rejection_error(rejection, batch.model_dump())
    claim = Claim(
        scan_id=ref.scan_id,
        code=ref.code,
        batch_id=batch.batch_id,
        serial=ref.serial,
        user_id=user_id,
        points=batch.points,
        sku=batch.sku,
        product_name=batch.product_name,
        tags=batch.tags,
        campaign=batch.campaign,
        claimed_at=iso(now),
    )
    request = ClaimRequest(claim=claim, gate=gate, now=now, location=location)
    for attempt in range(1, CLAIM_ATTEMPTS + 1):
        try:
            store.claim(request)
            break
        except TransactionConflictError:
            # Someone scanned the same code (or the user scanned twice) at the same instant; the
            # retry sees the winner's claim and answers 409 like any later scan.
            if attempt == CLAIM_ATTEMPTS:
                raise
    logger.info("scan accepted", extra={"scan_id": claim.scan_id, "user_id": user_id, "points": claim.points})
    return ScanAccepted(
        scan_id=claim.scan_id, points=claim.points, product=Product(sku=claim.sku, name=claim.product_name)
    )


def _rejected(error: EarnloopError, user_id: str) -> str:
    reason = str(error.extensions.get("reason", error.code))
    _count_rejection(reason)
    logger.info("scan rejected", extra={"reason": reason, "user_id": user_id})
    return reason


def _record_rejection(store: Store, reason: str, now: datetime) -> None:
    """Counts the rejection for the daily statistics on a random shard. Best effort: the caller
    is answered with the rejection whatever happens here (a lost count is logged)."""
    day, expires_at = rejection_counter(now)
    try:
        store.count_rejection(day, random.randrange(REJECTION_SHARDS), reason, expires_at)
    except (ClientError, BotoCoreError) as error:
        logger.warning("scan rejection not counted", extra={"reason": reason, "error": str(error)})


def _count_rejection(reason: str) -> None:
    with single_metric(
        name="ScansRejected",
        unit=MetricUnit.Count,
        value=1,
        namespace=metrics.namespace,
        default_dimensions={"service": str(metrics.service)},
    ) as metric:
        metric.add_dimension(name="reason", value=reason)


def get_scan(store: Store, scan_id: str, user_id: str) -> ScanPublic:
    """A scan's status, for the user who claimed it only.

    Raises:
        NotFoundError: no such scan, or someone else's.
    """
    parsed = parse_scan_id(scan_id)
    claim = store.get_claim(*parsed) if parsed else None
    if claim is None or claim.user_id != user_id:
        raise NotFoundError("no such scan")
    return ScanPublic(
        scan_id=claim.scan_id, status=claim.status, points=claim.points, credited_at=claim.credited_at
    )


def mark_credited(store: Store, event: PointsChanged) -> None:
    """Marks the claim behind a `scan#<code>` ledger entry credited; a redelivery is a no-op.

    Raises:
        ClaimMismatchError: no claim of that code, or one by another user.
    """
    code = event.txn_id.removeprefix("scan#")
    ref = parse_unverified(code) if event.txn_id.startswith("scan#") else None
    if ref is None:
        logger.warning("points change is not a scan credit", extra={"txn_id": event.txn_id})
        return
    claim, changed = store.mark_credited(ref.batch_id, ref.serial, ref.code, event.user_id, event.created_at)
    if claim is None or claim.user_id != event.user_id or claim.status != "credited":
        raise ClaimMismatchError(f"no claim of {ref.scan_id} by {mask(event.user_id)}")
    logger.info(
        "claim credited" if changed else "claim was credited already", extra={"scan_id": claim.scan_id}
    )


# Schedule: the safety net for lost `ScanClaimed` events

SWEEP_AFTER = timedelta(minutes=15)


def sweep_pending_claims(
    store: Store, now: datetime, older_than: timedelta = SWEEP_AFTER, per_shard_limit: int = 100
) -> int:
    """Touches every claim accepted more than `older_than` before `now` and still not credited, so
    the stream publisher emits its `ScanClaimed` again (crediting is idempotent on `scan#<code>`).
    Returns how many claims it touched.

    A claim held back legitimately (a frozen account's earns wait for the unfreeze) is touched on
    every run until it is credited; each touch costs one no-op delivery.
    """
    cutoff, touched_at = iso(now - older_than), iso(now)
    touched = 0
    for shard in range(PENDING_SHARDS):
        stale = store.stale_pending_claims(shard, cutoff, per_shard_limit)
        touched += sum(store.touch_for_sweep(batch_id, serial, touched_at) for batch_id, serial in stale)
        if len(stale) == per_shard_limit:
            logger.warning("pending shard has more stale claims than one sweep takes", extra={"shard": shard})
    if touched:
        logger.warning("claims swept", extra={"touched": touched, "older_than": cutoff})
    else:
        logger.info("no claims to sweep", extra={"older_than": cutoff})
    metrics.add_metric(name="ClaimsSwept", unit=MetricUnit.Count, value=touched)
    return touched


def _batch_id(text: str) -> str:
    if not is_batch_id(text):
        raise NotFoundError("no such batch")
    return text
