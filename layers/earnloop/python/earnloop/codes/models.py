"""Shapes of the codes context: request and response bodies, and the stored batch and claim."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Literal

from pydantic import (
    AfterValidator,
    AwareDatetime,
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    model_validator,
)

from earnloop.codes.events import ScanClaimed
from earnloop.risk.far_apart import ScanLocation

ScanStatus = Literal["accepted", "credited"]

_Strict = ConfigDict(strict=True, extra="forbid")
Tag = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=32)]


def _in_utc(moment: datetime) -> datetime:
    # Stored and compared in UTC: a moment whose UTC day falls outside years 1-9999
    # ("0001-01-01T00:00:00+01:00") cannot be stored, and is refused here rather than crash later.
    try:
        return moment.astimezone(UTC)
    except OverflowError as error:
        raise ValueError("must be a moment between years 1 and 9999 in UTC") from error


# Lax on purpose: JSON carries datetimes as strings, which strict mode refuses.
Moment = Annotated[AwareDatetime, Field(strict=False), AfterValidator(_in_utc)]


class BatchCreate(BaseModel):
    """`POST /v1/admin/code-batches`."""

    model_config = _Strict

    sku: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=64)]
    product_name: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=120)]
    points: Annotated[int, Field(ge=1, le=100_000)]
    count: Annotated[int, Field(ge=1, le=1_000_000)]
    tags: Annotated[list[Tag], Field(max_length=20)] = []
    campaign: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=64)] | None = (
        None
    )
    valid_from: Moment | None = None
    valid_until: Moment | None = None

    @model_validator(mode="after")
    def _window_is_ordered(self) -> BatchCreate:
        if self.valid_from and self.valid_until and self.valid_until <= self.valid_from:
            raise ValueError("valid_until must be after valid_from")
        return self


class Batch(BaseModel):
    """A batch of printed codes, as stored (timestamps are UTC ISO text)."""

    batch_id: str
    sku: str
    product_name: str
    points: int
    count: int
    tags: list[str]
    campaign: str | None = None
    valid_from: str | None = None
    valid_until: str | None = None
    revoked: bool = False
    key_version: str
    created_at: str
    created_by: str


class BatchPublic(BaseModel):
    batch_id: str
    sku: str
    product_name: str
    points: int
    count: int
    tags: list[str]
    campaign: str | None
    valid_from: str | None
    valid_until: str | None
    revoked: bool
    created_at: str
    codes_url: str

    @classmethod
    def of(cls, batch: Batch) -> BatchPublic:
        return cls(
            **batch.model_dump(exclude={"key_version", "created_by"}),
            codes_url=f"/v1/admin/code-batches/{batch.batch_id}/codes",
        )


class ScanCreate(BaseModel):
    """`POST /v1/scans`: the bare code or the URL printed in the QR symbol."""

    model_config = _Strict

    code: Annotated[str, StringConstraints(min_length=1, max_length=512)]
    # Optional, and only where the user authorized `wx.getLocation`: two scans from places too far
    # apart for the time between them freeze the account (risk/far_apart.py).
    location: ScanLocation | None = Field(
        default=None, description="Where the user is (wx.getLocation), for the far-apart scans rule"
    )


class Product(BaseModel):
    sku: str
    name: str


class ScanAccepted(BaseModel):
    scan_id: str
    status: Literal["accepted"] = "accepted"
    points: int
    product: Product


class ScanPublic(BaseModel):
    scan_id: str
    status: ScanStatus
    points: int
    credited_at: str | None = None


class Claim(ScanClaimed):
    """A claimed code, as stored: the `ScanClaimed` event it becomes, plus its crediting state."""

    status: ScanStatus = "accepted"
    credited_at: str | None = None
