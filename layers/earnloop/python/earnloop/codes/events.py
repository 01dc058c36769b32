"""Events of the codes context."""

from __future__ import annotations

from earnloop.platform.events import Change, DomainEvent


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


def derive(change: Change) -> list[DomainEvent]:
    if change.kind == "INSERT" and change.entity == "Claim" and change.new is not None:
        return [ScanClaimed.model_validate(change.new)]
    return []
