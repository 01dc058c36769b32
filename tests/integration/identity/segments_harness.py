"""Drives lifecycle segments as AWS would, under moto: activity events to `profile_tags`, the daily
schedule to `segments_plan`, each piece of the `segments` queue to `segments_move`, the identity
stream to the publisher and the points queue to `points_earn`. The platform clock is moved as
`earnloop clock` moves it (the activity worker judges segments as of now)."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from earnloop.local.samples import load
from earnloop.platform.clock import LOCAL_CLOCK_VARIABLE

from tests.integration.identity.checks import stored
from tests.integration.points.expiry_harness import take
from tests.support.lambdas import drain, invoke, pump_stream, sample_body, sqs_event

if TYPE_CHECKING:
    from pathlib import Path

    import pytest


class Clock:
    """Moves the local stage's platform clock to a moment."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
        self._file = tmp_path / "clock.json"
        monkeypatch.setenv(LOCAL_CLOCK_VARIABLE, str(self._file))

    def at(self, moment: str) -> None:
        """`2026-12-01T02:00` (UTC)."""
        offset = datetime.fromisoformat(moment).replace(tzinfo=UTC) - datetime.now(UTC)
        self._file.write_text(json.dumps({"offset_s": offset.total_seconds()}))


def deliver(detail_type: str, source: str, **detail: Any) -> None:
    """One event on the tags queue, handed to `profile_tags`."""
    body = sample_body("sqs/profile_tags.json")
    body["detail-type"], body["source"] = detail_type, source
    body["detail"] = detail
    assert invoke("profile_tags", sqs_event("sqs/profile_tags.json", body)) == {"batchItemFailures": []}


def register(user_id: str, at: str) -> None:
    """The user item as a login puts it, and its `UserRegistered` delivered."""
    from earnloop.identity.models import User
    from earnloop.identity.store import IdentityStore
    from earnloop.platform import aws
    from earnloop.platform.settings import get_settings

    store = IdentityStore(aws.dynamodb(), get_settings().table_name("identity"))
    store.create_user(User(user_id=user_id, created_at=at), [("wx_openid", f"openid-{user_id}")])
    deliver("UserRegistered", "earnloop.identity", user_id=user_id, created_at=at)


def scan(user_id: str, code: str, at: str, points: int = 50) -> None:
    deliver(
        "ScanClaimed",
        "earnloop.codes",
        scan_id=f"scan-{code}",
        code=code,
        batch_id="B1",
        serial=1,
        user_id=user_id,
        points=points,
        sku="SKU",
        product_name="Yogurt",
        tags=[],
        claimed_at=at,
    )


def user(user_id: str) -> dict[str, Any]:
    item = stored(f"USER#{user_id}", "PROFILE")
    assert item is not None
    return item


def run_job(queues: dict[str, Any], clock: Clock, when: str) -> int:
    """The daily move due at `when` (UTC), the clock moved there: plan, then every piece, resumed
    ones included; returns the pieces worked."""
    clock.at(when)
    plan = {**load("scheduled/segments_plan.json"), "time": f"{when}:00Z"}
    sent = invoke("segments_plan", plan)["pieces"]
    worked = 0
    while pieces := take(queues["segments"].main):
        for piece in pieces:
            answer = invoke("segments_move", sqs_event("sqs/segments_move.json", piece))
            assert answer == {"batchItemFailures": []}
            worked += 1
    assert worked >= sent
    return worked


def publish_identity_changes(moto_cloud: Any) -> list[dict[str, Any]]:
    """The identity stream through the publisher; returns the SegmentChanged events the points
    queue received (and hands them to `points_earn`)."""
    pump_stream(moto_cloud.streams["identity"])
    events = [e for e in drain(moto_cloud.queues["points"].main) if e["detail-type"] == "SegmentChanged"]
    if events:
        answer = invoke("points_earn", sqs_event("sqs/points_earn.json", *events))
        assert answer == {"batchItemFailures": []}
    return events
