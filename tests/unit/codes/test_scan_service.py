"""Scan use cases against an in-memory store: what is checked before any write, and in what order."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

import pytest
from earnloop.codes import service
from earnloop.codes.codec import QrKeys, sign
from earnloop.codes.models import Batch, BatchCreate, Claim, ScanCreate
from earnloop.codes.rules import batch_rejection
from earnloop.codes.store import BatchCache, BatchIdTakenError, ClaimRequest
from earnloop.platform.dynamo import TransactionConflictError
from earnloop.platform.errors import (
    AccountFrozenError,
    CodeAlreadyClaimedError,
    InvalidCodeError,
    NotFoundError,
    RateLimitedError,
    ValidationFailedError,
)
from earnloop.points.events import PointsChanged
from earnloop.risk.windows import Gate, SlidingWindow, Subject, allowance, used

NOW = datetime(2026, 11, 23, 9, 15, tzinfo=UTC)
WINDOW = SlidingWindow()
KEYS = QrKeys.from_secret({"current": "A", "A": "s" * 40})


class FakeStore:
    """The codes table in a dict, with the conditions the real transaction enforces."""

    def __init__(self) -> None:
        self.batches: dict[str, Batch] = {}
        self.claims: dict[tuple[str, int], Claim] = {}
        self.rates: dict[tuple[str, str], dict[int, int]] = {}
        self.counted = 0  # rejected attempts counted apart from a claim
        self.frozen: set[str] = set()
        self.calls: list[str] = []
        self.conflicts = 0
        self.taken_ids = 0
        # (day, reason) of each rejection counted for the statistics (kept apart from `calls`).
        self.rejections: list[tuple[str, str]] = []

    def put_batch(self, batch: Batch, audit: object = None) -> None:
        self.calls.append("put_batch")
        if self.taken_ids:
            self.taken_ids -= 1
            raise BatchIdTakenError(batch.batch_id)
        self.batches[batch.batch_id] = batch

    def get_batch(self, batch_id: str) -> Batch | None:
        self.calls.append("get_batch")
        return self.batches.get(batch_id)

    def revoke_batch(self, batch_id: str, by: str, now: datetime, audit: object = None) -> Batch:
        self.calls.append("revoke_batch")
        if batch_id not in self.batches:
            raise NotFoundError("no such batch")
        self.batches[batch_id] = self.batches[batch_id].model_copy(update={"revoked": True})
        return self.batches[batch_id]

    def claim(self, request: ClaimRequest) -> None:
        self.calls.append("claim")
        claim = request.claim
        if self.conflicts:
            self.conflicts -= 1
            raise TransactionConflictError()
        reason = batch_rejection(self.batches[claim.batch_id].model_dump(), request.now)
        if reason:
            raise InvalidCodeError("closed", reason=reason)
        if claim.user_id in self.frozen:
            raise AccountFrozenError()
        if (claim.batch_id, claim.serial) in self.claims:
            raise CodeAlreadyClaimedError()
        self._count(request.gate)
        self.claims[(claim.batch_id, claim.serial)] = claim

    # The risk counters (the same table in production): bucket counts per subject.

    def open(self, action: str, subjects: Sequence[Subject], now: datetime) -> Gate:
        held = [(subject, self._counts(subject)) for subject in subjects]
        for subject, counts in held:
            if used(counts, WINDOW, now) >= subject.limit:
                raise RateLimitedError(allowance(subject, WINDOW, counts, now).retry_after_s)
        return Gate(
            action, WINDOW, tuple(allowance(subject, WINDOW, counts, now) for subject, counts in held)
        )

    def count(self, gate: Gate) -> None:
        self.counted += 1
        self._count(gate)

    def _counts(self, subject: Subject) -> dict[int, int]:
        return self.rates.setdefault((subject.kind, subject.value), {})

    def _count(self, gate: Gate) -> None:
        for each in gate.allowances:
            if self._counts(each.subject).get(each.bucket, 0) >= each.allowed:
                raise RateLimitedError(each.retry_after_s)
        for each in gate.allowances:
            counts = self._counts(each.subject)
            counts[each.bucket] = counts.get(each.bucket, 0) + 1

    def count_rejection(self, day: str, shard: int, reason: str, expires_at: int) -> None:
        self.rejections.append((day, reason))

    def get_claim(self, batch_id: str, serial: int) -> Claim | None:
        self.calls.append("get_claim")
        return self.claims.get((batch_id, serial))

    def mark_credited(
        self, batch_id: str, serial: int, code: str, user_id: str, credited_at: str
    ) -> tuple[Claim | None, bool]:
        self.calls.append("mark_credited")
        claim = self.claims.get((batch_id, serial))
        if claim is None or claim.code != code:
            return None, False
        if claim.user_id != user_id or claim.status == "credited":
            return claim, False
        self.claims[(batch_id, serial)] = claim.model_copy(
            update={"status": "credited", "credited_at": credited_at}
        )
        return self.claims[(batch_id, serial)], True


@pytest.fixture
def store() -> FakeStore:
    return FakeStore()


def new_batch(store: FakeStore, **overrides: object) -> Batch:
    body = BatchCreate.model_validate(
        {"sku": "YOG-1", "product_name": "Yogurt", "points": 50, "count": 100, **overrides}
    )
    batch = service.create_batch(store, KEYS, body, "admin", NOW - timedelta(days=1))
    store.calls.clear()
    return batch


def scan(store: FakeStore, code: str, user: str = "u1", limit: int = 20, now: datetime = NOW):
    subjects = [Subject("user", user, limit)]
    return service.create_scan(
        store,
        KEYS,
        BatchCache(),
        ScanCreate(code=code),
        user,
        now,
        store,
        subjects,
        ["https://example.com/q/"],
    )


def test_an_accepted_scan_claims_the_code_with_the_batch_points_and_product(store):
    batch = new_batch(store, tags=["fan", "fan", "yogurt"], campaign="autumn")
    accepted = scan(store, sign(KEYS, batch.batch_id, 7))
    assert accepted.scan_id == f"{batch.batch_id}-7"
    assert (accepted.points, accepted.product.sku, accepted.product.name) == (50, "YOG-1", "Yogurt")
    claim = store.claims[(batch.batch_id, 7)]
    assert claim.tags == ["fan", "yogurt"] and claim.campaign == "autumn" and claim.status == "accepted"


def test_a_forged_code_touches_no_claim_but_costs_its_caller_a_unit(store):
    batch = new_batch(store)
    code = sign(QrKeys.from_secret({"current": "A", "A": "x" * 40}), batch.batch_id, 7)
    with pytest.raises(InvalidCodeError):
        scan(store, code)
    assert store.calls == []
    assert store.counted == 1 and store.rates[("user", "u1")] == {WINDOW.bucket(NOW): 1}


@pytest.mark.parametrize("serial", [0, 101])
def test_a_signed_code_outside_its_batch_is_rejected_without_a_write(store, serial):
    batch = new_batch(store)
    code = sign(KEYS, batch.batch_id, serial) if serial else f"A{batch.batch_id}.A.{'A' * 26}"
    with pytest.raises(InvalidCodeError):
        scan(store, code)
    assert "claim" not in store.calls


def test_a_code_of_an_unknown_batch_is_invalid(store):
    with pytest.raises(InvalidCodeError) as caught:
        scan(store, sign(KEYS, "AAAAAAAA", 1))
    assert caught.value.extensions == {"reason": "forged"}


@pytest.mark.parametrize(
    ("window", "reason"),
    [
        ({"valid_from": "2026-11-23T10:00:00.000Z"}, "not_yet_valid"),
        ({"valid_until": "2026-11-23T09:14:59.000Z"}, "expired"),
    ],
)
def test_a_code_outside_its_window_is_rejected_from_the_cached_batch_without_a_write(store, window, reason):
    batch = new_batch(store)
    store.batches[batch.batch_id] = batch.model_copy(update=window)
    with pytest.raises(InvalidCodeError) as caught:
        scan(store, sign(KEYS, batch.batch_id, 1))
    assert caught.value.extensions["reason"] == reason
    assert "claim" not in store.calls


def test_a_revoked_batch_is_rejected(store):
    batch = new_batch(store)
    service.revoke_batch(store, batch.batch_id, "admin", NOW)
    with pytest.raises(InvalidCodeError) as caught:
        scan(store, sign(KEYS, batch.batch_id, 1))
    assert caught.value.extensions == {"reason": "revoked"}


def test_a_second_scan_by_anyone_including_the_claimant_is_409(store):
    batch = new_batch(store)
    code = sign(KEYS, batch.batch_id, 3)
    scan(store, code, user="u1")
    for user in ("u2", "u1"):
        with pytest.raises(CodeAlreadyClaimedError):
            scan(store, code, user=user)


def test_rejections_after_the_code_verified_are_counted_by_business_day_but_forgeries_are_not(store):
    batch = new_batch(store)
    code = sign(KEYS, batch.batch_id, 3)
    scan(store, code)
    with pytest.raises(CodeAlreadyClaimedError):
        scan(store, code, user="u2")
    store.batches[batch.batch_id] = batch.model_copy(update={"valid_until": "2026-11-23T09:00:00.000Z"})
    with pytest.raises(InvalidCodeError):
        scan(store, sign(KEYS, batch.batch_id, 4), now=NOW + timedelta(hours=15))  # the 24th in Shanghai
    with pytest.raises(InvalidCodeError):
        scan(store, sign(QrKeys.from_secret({"current": "A", "A": "x" * 40}), batch.batch_id, 5))
    assert store.rejections == [("2026-11-23", "code_already_claimed"), ("2026-11-24", "expired")]


def test_a_race_lost_to_a_concurrent_transaction_is_retried_and_answered_409(store):
    batch = new_batch(store)
    code = sign(KEYS, batch.batch_id, 3)
    scan(store, code, user="u1")
    store.conflicts = 1
    with pytest.raises(CodeAlreadyClaimedError):
        scan(store, code, user="u2")
    assert store.calls.count("claim") == 3  # one for u1, two for u2


def test_scans_beyond_the_limit_are_429_until_they_leave_the_sliding_hour(store):
    batch = new_batch(store)
    for serial in (1, 2):
        scan(store, sign(KEYS, batch.batch_id, serial), limit=2)
    with pytest.raises(RateLimitedError) as caught:
        scan(store, sign(KEYS, batch.batch_id, 3), limit=2)
    # Both scans sit in the 09:15-09:20 bucket, counted by every attempt until 10:20.
    assert caught.value.headers == {"Retry-After": str(65 * 60)}
    with pytest.raises(RateLimitedError):
        scan(store, sign(KEYS, batch.batch_id, 3), limit=2, now=NOW + timedelta(hours=1))
    assert scan(store, sign(KEYS, batch.batch_id, 3), limit=2, now=NOW + timedelta(minutes=65)).points == 50


def test_a_frozen_account_cannot_claim(store):
    batch = new_batch(store)
    store.frozen.add("u1")
    with pytest.raises(AccountFrozenError):
        scan(store, sign(KEYS, batch.batch_id, 1))


def test_a_batch_whose_window_already_ended_cannot_be_created(store):
    body = BatchCreate.model_validate(
        {"sku": "S", "product_name": "P", "points": 1, "count": 1, "valid_until": "2026-11-23T09:00:00Z"}
    )
    with pytest.raises(ValidationFailedError):
        service.create_batch(store, KEYS, body, "admin", NOW)


def test_a_colliding_batch_id_is_drawn_again(store):
    store.taken_ids = 2
    batch = new_batch(store)
    assert batch.batch_id in store.batches and batch.key_version == "A"


def test_a_scan_is_visible_to_its_claimant_only(store):
    batch = new_batch(store)
    accepted = scan(store, sign(KEYS, batch.batch_id, 9), user="u1")
    assert service.get_scan(store, accepted.scan_id, "u1").status == "accepted"
    for scan_id, user in ((accepted.scan_id, "u2"), ("nonsense", "u1"), (f"{batch.batch_id}-10", "u1")):
        with pytest.raises(NotFoundError):
            service.get_scan(store, scan_id, user)


def points_changed(code: str, user: str = "u1", txn_prefix: str = "scan#") -> PointsChanged:
    return PointsChanged(
        txn_id=f"{txn_prefix}{code}",
        user_id=user,
        entry_type="earn",
        delta=50,
        balance_after=50,
        reason="scan",
        reference=None,
        created_at="2026-11-23T09:15:02.000Z",
    )


def test_the_credit_event_marks_the_claim_credited_once(store):
    batch = new_batch(store)
    code = sign(KEYS, batch.batch_id, 4)
    scan(store, code)
    for _ in range(2):
        service.mark_credited(store, points_changed(code))
    credited = service.get_scan(store, f"{batch.batch_id}-4", "u1")
    assert (credited.status, credited.credited_at) == ("credited", "2026-11-23T09:15:02.000Z")


def test_a_credit_for_a_claim_that_does_not_exist_or_is_someone_elses_is_kept_for_an_operator(store):
    batch = new_batch(store)
    code = sign(KEYS, batch.batch_id, 4)
    with pytest.raises(service.ClaimMismatchError):
        service.mark_credited(store, points_changed(code))
    scan(store, code, user="u1")
    with pytest.raises(service.ClaimMismatchError):
        service.mark_credited(store, points_changed(code, user="u2"))


def test_points_changes_that_are_not_scan_credits_are_ignored(store):
    service.mark_credited(store, points_changed("whatever", txn_prefix="like#"))
    service.mark_credited(store, points_changed("not-a-code"))
    assert store.calls == []
