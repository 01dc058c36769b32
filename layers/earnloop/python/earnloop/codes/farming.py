"""The scan's farming rules beyond the device's accounts (issue 10): many codes of one batch from
one device within minutes (a burst, risk/bursts.py) and scans from places too far apart for the
time between them (risk/far_apart.py). Both are written by the claim transaction and judged from the
codes stream, which derives `RiskFlagged` for the scanning user; the points worker freezes."""

from __future__ import annotations

from typing import TYPE_CHECKING

from earnloop.platform.settings import get_settings
from earnloop.risk.bursts import BURST_ENTITY, Burst, burst_action, burst_flag
from earnloop.risk.events import RiskFlagged
from earnloop.risk.far_apart import FAR_APART, PLACE_ENTITY, far_apart, place_put
from earnloop.risk.windows import SlidingWindow

if TYPE_CHECKING:
    from earnloop.codes.store import ClaimRequest
    from earnloop.platform.dynamo import TxAction
    from earnloop.platform.events import Change, DomainEvent

BATCH_DEVICE = "batch_device"


def batch_device_key(batch_id: str, device_id: str) -> dict[str, str]:
    return {"pk": f"RISK#batch-device#{batch_id}#{device_id}", "sk": "RISK"}


def farming_actions(table: str, request: ClaimRequest) -> list[TxAction]:
    """What an accepted scan adds to its transaction for these rules: the (batch, device) burst
    counter when the scan names its device, the user's place when it says where it is."""
    settings = get_settings()
    claim, actions = request.claim, []
    minutes = settings.batch_codes_per_device_minutes
    for each in request.gate.allowances:
        if each.subject.kind != "device":
            continue
        burst = Burst(
            rule=BATCH_DEVICE,
            key=batch_device_key(claim.batch_id, each.subject.value),
            user_id=claim.user_id,
            # Minute buckets: the Nth code within the last `minutes` (to a minute more) flags.
            window=SlidingWindow(length_s=minutes * 60, buckets=minutes),
            threshold=settings.batch_codes_per_device,
            evidence={"batch_id": claim.batch_id, "device_id": each.subject.value},
        )
        actions.append(burst_action(table, burst, request.now))
    if request.location is not None:
        actions.append(
            place_put(
                table,
                claim.user_id,
                request.location,
                request.now,
                min_km=settings.far_apart_scans_min_km,
                max_kmh=settings.far_apart_scans_max_kmh,
            )
        )
    return actions


def farming_flags(change: Change) -> list[DomainEvent]:
    """`RiskFlagged` for a burst counter's or a place's write that a rule flags."""
    new = change.new
    if change.kind == "REMOVE" or new is None:
        return []
    if change.entity == BURST_ENTITY:
        flag = burst_flag(new, change.old)
        return [RiskFlagged(**vars(flag))] if flag is not None else []
    if change.entity == PLACE_ENTITY:
        evidence = far_apart(new, change.old)
        if evidence is None:
            return []
        user, at = str(new["user_id"]), str(new["at"])
        return [
            RiskFlagged(
                flag_id=f"{FAR_APART}#{user}#{at}",
                user_id=user,
                rule=FAR_APART,
                evidence=evidence,
                flagged_at=at,
            )
        ]
    return []
