"""HTTP routes of the codes context: scanning codes, and the admin's code batches."""

from __future__ import annotations

from functools import lru_cache
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Response
from fastapi.responses import StreamingResponse

from earnloop.codes import service
from earnloop.codes.codec import QrKeys
from earnloop.codes.models import BatchCreate, BatchPublic, ScanAccepted, ScanCreate, ScanPublic
from earnloop.codes.rules import MAX_EXPORT_ROWS
from earnloop.codes.store import BatchCache, CodesStore, codes_store
from earnloop.platform.auth import AdminUser, CurrentUser
from earnloop.platform.clock import utcnow
from earnloop.platform.secrets import secret_json
from earnloop.platform.settings import get_settings

router = APIRouter()


def qr_keys() -> QrKeys:
    # Re-read through the secrets cache on each call, so a rotated key reaches warm containers.
    return QrKeys.from_secret(secret_json(get_settings().secret_id("qr_keys")))


@lru_cache(maxsize=1)
def batch_cache() -> BatchCache:
    return BatchCache()


Store = Annotated[CodesStore, Depends(codes_store)]
Keys = Annotated[QrKeys, Depends(qr_keys)]
Batches = Annotated[BatchCache, Depends(batch_cache)]


@router.post(
    "/v1/scans",
    name="scans_create",
    status_code=202,
    response_model=ScanAccepted,
    tags=["points"],
    summary="Claim a scanned QR code; points follow through the queue",
)
def scans_create(
    body: ScanCreate, user: CurrentUser, store: Store, keys: Keys, batches: Batches, response: Response
) -> ScanAccepted:
    accepted = service.create_scan(
        store, keys, batches, body, user.user_id, utcnow(), get_settings().scans_per_hour
    )
    response.headers["Location"] = f"/v1/scans/{accepted.scan_id}"
    return accepted


@router.get(
    "/v1/scans/{scan_id}",
    name="scans_get",
    response_model=ScanPublic,
    response_model_exclude_none=True,
    tags=["points"],
    summary="A scan's status: accepted, then credited",
)
def scans_get(scan_id: str, user: CurrentUser, store: Store) -> ScanPublic:
    return service.get_scan(store, scan_id, user.user_id)


@router.post(
    "/v1/admin/code-batches",
    name="code_batches_create",
    status_code=201,
    response_model=BatchPublic,
    tags=["admin"],
    summary="Create a batch of printable codes (no per-code items are written)",
)
def code_batches_create(body: BatchCreate, admin: AdminUser, store: Store, keys: Keys) -> BatchPublic:
    return BatchPublic.of(service.create_batch(store, keys, body, admin.user_id, utcnow()))


@router.get(
    "/v1/admin/code-batches/{batch_id}/codes",
    name="code_batches_codes",
    response_class=StreamingResponse,
    responses={200: {"content": {"text/csv": {}}, "description": "`serial,code,url` rows"}},
    tags=["admin"],
    summary=f"Export a batch's codes as CSV, in ranges of at most {MAX_EXPORT_ROWS} codes",
)
def code_batches_codes(
    batch_id: str,
    admin: AdminUser,
    store: Store,
    keys: Keys,
    start: Annotated[int | None, Query(ge=1, description="first serial (default 1)")] = None,
    count: Annotated[int | None, Query(ge=1, le=MAX_EXPORT_ROWS, description="codes in this range")] = None,
) -> StreamingResponse:
    settings = get_settings()
    export = service.export_codes(
        store,
        keys,
        batch_id,
        start=start,
        count=count,
        url_base=settings.qr_url_base,
        whole_batch_allowed=settings.is_local,
    )
    return StreamingResponse(
        export.chunks,
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{export.filename}"'},
    )


@router.post(
    "/v1/admin/code-batches/{batch_id}/revoke",
    name="code_batches_revoke",
    response_model=BatchPublic,
    tags=["admin"],
    summary="Revoke a batch: its unclaimed codes stop earning (idempotent)",
)
def code_batches_revoke(batch_id: str, admin: AdminUser, store: Store) -> BatchPublic:
    return BatchPublic.of(service.revoke_batch(store, batch_id, admin.user_id, utcnow()))
