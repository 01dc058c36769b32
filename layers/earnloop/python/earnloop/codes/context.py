"""The codes context: QR code batches, claims and scan rate counters."""

from __future__ import annotations

from earnloop.platform.catalog import FunctionSpec, http, key, secret, table, worker
from earnloop.platform.context import Context
from earnloop.platform.resources import Index, Key, Queue, Rule, Secret, Table

CONTEXT = Context(
    name="codes",
    router="earnloop.codes.api:router",
    derive="earnloop.codes.events:derive",
    table=Table(
        name="codes",
        # Claims accepted but not yet credited: the sweep finds stragglers without scanning.
        gsis=(Index("pending_claims", Key("pending_pk"), Key("pending_sk"), projection="KEYS_ONLY"),),
    ),
    queues=(Queue(name="claims", consumer="scans_mark_credited"),),
    rules=(
        Rule(
            "scan-credited-to-claims",
            "earnloop.points",
            ("PointsChanged",),
            queue="claims",
            detail={"txn_id": [{"prefix": "scan#"}]},
        ),
    ),
    # Codes carry the key version that signed them; add a version, point `current` at it, and
    # codes already printed keep verifying with theirs.
    secrets=(Secret("qr_keys", template={"current": "A"}, generate="A"),),
    functions=(
        http(
            "code_batches_create",
            table("codes", "readwrite"),
            # Read-only: a ConditionCheck that the creator still is an admin.
            table("identity"),
            key("session"),
            secret("qr_keys"),
            description="Creates a batch of printable codes",
        ),
        http(
            "code_batches_codes",
            table("codes"),
            key("session"),
            secret("qr_keys"),
            description="Exports a batch's codes as CSV",
            timeout_s=29,
        ),
        http(
            "code_batches_revoke",
            table("codes", "readwrite"),
            # Read-only: a ConditionCheck that the revoker still is an admin.
            table("identity"),
            key("session"),
            description="Revokes a batch",
        ),
        http(
            "scans_create",
            table("codes", "readwrite"),
            # Read-only: ConditionChecks that the scanner exists and its points account is not frozen.
            table("points"),
            table("identity"),
            key("session"),
            secret("qr_keys"),
            description="Claims a scanned code",
        ),
        http("scans_get", table("codes"), key("session"), description="A scan's status"),
        # The code domain's pages: no table, no secret, no token.
        http("code_landing", description="A printed code opened outside WeChat: scan it with WeChat"),
        http("code_domain_verification", description="WeChat's domain verification file"),
        worker(
            "scans_mark_credited", "claims", table("codes", "readwrite"), description="Marks claims credited"
        ),
        FunctionSpec(
            "claims_sweep",
            "schedule",
            (table("codes", "readwrite", indexes=("pending_claims",)),),
            description="Republishes ScanClaimed for claims not credited after 15 minutes",
            schedule="rate(15 minutes)",
            timeout_s=60,
        ),
    ),
)
