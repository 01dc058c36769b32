"""Functions of the codes context."""

from __future__ import annotations

from earnloop.platform.catalog import FunctionSpec, http, secret, table, worker

FUNCTIONS: tuple[FunctionSpec, ...] = (
    http(
        "code_batches_create",
        table("codes", "readwrite"),
        secret("session"),
        secret("qr_keys"),
        description="Creates a batch of printable codes",
    ),
    http(
        "code_batches_codes",
        table("codes"),
        secret("session"),
        secret("qr_keys"),
        description="Exports a batch's codes as CSV",
        timeout_s=29,
    ),
    http(
        "code_batches_revoke", table("codes", "readwrite"), secret("session"), description="Revokes a batch"
    ),
    http(
        "scans_create",
        table("codes", "readwrite"),
        # Read-only: a ConditionCheck that the scanner's points account is not frozen.
        table("points"),
        secret("session"),
        secret("qr_keys"),
        description="Claims a scanned code",
    ),
    http("scans_get", table("codes"), secret("session"), description="A scan's status"),
    worker("scans_mark_credited", "claims", table("codes", "readwrite"), description="Marks claims credited"),
    FunctionSpec(
        "claims_sweep",
        "schedule",
        (table("codes", "readwrite"),),
        description="Republishes ScanClaimed for claims not credited after 15 minutes",
        schedule="rate(15 minutes)",
        timeout_s=60,
    ),
)
