"""Events of the codes context."""

from __future__ import annotations

from earnloop.codes.farming import farming_flags
from earnloop.platform.audit import ENTITY as ADMIN_ACTION
from earnloop.platform.audit import derive_recorded
from earnloop.platform.events import Change, DomainEvent
from earnloop.risk.bursts import BURST_ENTITY
from earnloop.risk.events import RiskFlagged
from earnloop.risk.far_apart import PLACE_ENTITY
from earnloop.risk.farming import DEVICE_ACCOUNTS, DEVICE_ACCOUNTS_ENTITY, flagged_accounts

# The batch-device burst and the scan places (codes/farming.py).
FARMING_ENTITIES = (BURST_ENTITY, PLACE_ENTITY)


class ScanClaimed(DomainEvent):
    """A user claimed a QR code; points are due. Carries what consumers need, so none reads our table."""

    source = "earnloop.codes"
    detail_type = "ScanClaimed"

    scan_id: str
    code: str
    batch_id: str
    serial: int
    user_id: str
    points: int
    sku: str
    product_name: str
    tags: list[str]
    campaign: str | None = None
    claimed_at: str


class ScanRejectionsCounted(DomainEvent):
    """The rejected scans of one business day (Asia/Shanghai), reason and counter shard reached
    `count`: consumers keep the highest count they saw (a total, not an increment: repeats and
    reordering are harmless)."""

    source = "earnloop.codes"
    detail_type = "ScanRejectionsCounted"

    day: str
    reason: str
    shard: int
    count: int


def rejection_counts(change: Change) -> list[DomainEvent]:
    """One event per reason whose count this write raised."""
    new, old = change.new or {}, change.old or {}
    return [
        ScanRejectionsCounted(
            day=str(new["day"]), reason=name.removeprefix("r#"), shard=int(new["shard"]), count=int(count)
        )
        for name, count in sorted(new.items())
        if name.startswith("r#") and count != old.get(name)
    ]


def derive(change: Change) -> list[DomainEvent]:
    if change.entity == ADMIN_ACTION:  # a batch created or revoked (codes/api.py)
        return derive_recorded(change)
    if change.entity == "RejectionCounter":
        return rejection_counts(change) if change.kind != "REMOVE" else []
    if change.entity == DEVICE_ACCOUNTS_ENTITY:
        return device_accounts_flags(change) if change.kind != "REMOVE" else []
    if change.entity in FARMING_ENTITIES:
        return farming_flags(change)
    return _claims(change)


def device_accounts_flags(change: Change) -> list[DomainEvent]:
    """`RiskFlagged` for the accounts behind one device once its day's set reaches the threshold
    the scan wrote beside it (the flag id is per device, day and account: one freeze each)."""
    new, old = change.new or {}, change.old or {}
    after, before = set(new.get("users") or ()), set(old.get("users") or ())
    device, day = str(new["device_id"]), str(new["day"])
    return [
        RiskFlagged(
            flag_id=f"{DEVICE_ACCOUNTS}#{device}#{day}#{user}",
            user_id=user,
            rule=DEVICE_ACCOUNTS,
            evidence={"device_id": device, "day": day, "accounts": len(after)},
            flagged_at=str(new["last_at"]),
        )
        for user in flagged_accounts(before, after, int(new["threshold"]))
    ]


def _claims(change: Change) -> list[DomainEvent]:
    """`ScanClaimed` when a claim is accepted, and again when the sweep touches a claim still not
    credited (its first event was lost): the republish goes through this outbox too."""
    if change.entity != "Claim" or change.new is None:
        return []
    if change.kind == "INSERT" or (change.kind == "MODIFY" and _swept_while_accepted(change)):
        return [ScanClaimed.model_validate(change.new)]
    return []


def _swept_while_accepted(change: Change) -> bool:
    new, old = change.new or {}, change.old or {}
    return new.get("status") == "accepted" and int(new.get("sweeps", 0)) > int(old.get("sweeps", 0))
