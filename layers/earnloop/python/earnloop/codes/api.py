"""HTTP routes of the codes context: scanning codes, the admin's code batches, and what the code
domain serves (a printed code's URL opened outside WeChat, WeChat's domain verification file)."""

from __future__ import annotations

from functools import lru_cache
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Response
from fastapi.responses import HTMLResponse, PlainTextResponse, StreamingResponse

from earnloop.codes import landing, service
from earnloop.codes.codec import QrKeys
from earnloop.codes.models import BatchCreate, BatchPublic, ScanAccepted, ScanCreate, ScanPublic
from earnloop.codes.rules import MAX_EXPORT_ROWS
from earnloop.codes.store import BatchCache, CodesStore, codes_store
from earnloop.platform import aws
from earnloop.platform.audit import admin_audit
from earnloop.platform.auth import AdminUser, CurrentUser
from earnloop.platform.clock import utcnow
from earnloop.platform.errors import NotFoundError
from earnloop.platform.secrets import secret_json
from earnloop.platform.settings import get_settings
from earnloop.risk import client
from earnloop.risk.counters import RiskCounters

router = APIRouter()


def qr_keys() -> QrKeys:
    # Re-read through the secrets cache on each call, so a rotated key reaches warm containers.
    return QrKeys.from_secret(secret_json(get_settings().secret_id("qr_keys")))


@lru_cache(maxsize=1)
def batch_cache() -> BatchCache:
    return BatchCache()


def scan_risk() -> RiskCounters:
    # The scan's counters live in the codes table, so the claim transaction can count the attempt.
    return RiskCounters(aws.dynamodb(), get_settings().table_name("codes"))


Store = Annotated[CodesStore, Depends(codes_store)]
Risk = Annotated[RiskCounters, Depends(scan_risk)]
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
    body: ScanCreate,
    user: CurrentUser,
    store: Store,
    keys: Keys,
    batches: Batches,
    risk: Risk,
    ip: client.SourceIp,
    response: Response,
    device_id: client.DeviceId = None,
) -> ScanAccepted:
    settings = get_settings()
    subjects = client.subjects(
        user.user_id,
        device_id,
        ip,
        per_user=settings.scans_per_hour,
        per_device=settings.scans_per_hour_per_device,
        per_ip=settings.scans_per_hour_per_ip,
    )
    accepted = service.create_scan(
        store, keys, batches, body, user.user_id, utcnow(), risk, subjects, settings.qr_url_bases
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
    now = utcnow()
    audit = admin_audit("codes", admin.user_id, "code_batch.create", "batch created", now)
    return BatchPublic.of(service.create_batch(store, keys, body, admin.user_id, now, audit))


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
    now = utcnow()
    audit = admin_audit("codes", admin.user_id, "code_batch.revoke", "batch revoked", now)
    return BatchPublic.of(service.revoke_batch(store, batch_id, admin.user_id, now, audit))


@router.get(
    "/q/{code}",
    name="code_landing",
    response_class=HTMLResponse,
    tags=["code domain"],
    summary="A printed code's URL opened outside WeChat: a page saying to scan it with WeChat",
    responses={404: {"content": {"text/html": {}}, "description": "Not one of our codes"}},
)
def code_landing(code: str) -> HTMLResponse:
    if landing.is_code(code):
        return HTMLResponse(landing.open_in_wechat_page(), headers=landing.HEADERS)
    return HTMLResponse(landing.not_a_code_page(), status_code=404, headers=landing.HEADERS)


@router.get(
    "/{file_name}",
    name="code_domain_verification",
    response_class=PlainTextResponse,
    tags=["code domain"],
    summary="WeChat's verification file for the plain-URL QR rule, at the code domain's root",
)
def code_domain_verification(file_name: str) -> PlainTextResponse:
    # WeChat's console names a file and its content; it fetches the file once to prove the domain ours.
    settings = get_settings()
    if settings.wechat_verify_file is None or file_name != settings.wechat_verify_file:
        raise NotFoundError("no such file")
    return PlainTextResponse(settings.wechat_verify_content or "", headers={"Cache-Control": "no-store"})
