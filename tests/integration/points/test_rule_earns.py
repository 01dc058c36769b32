"""The points worker earns by the earning rules as they stand: a post or a scan pays the rule's
points within its cap, nothing while the rule is off; a scan refused so is credited by a later
delivery (the codes sweep re-delivers an uncredited claim) once the rule allows it."""

from __future__ import annotations

import copy
import json
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from earnloop.platform.clock import LOCAL_CLOCK_VARIABLE
from earnloop.points.earning_rules import RULE_TTL_S
from earnloop.points.store import PointsStore

from tests.integration.points.test_post_rewards import deliver, event
from tests.support.lambdas import call_http, sample_body

if TYPE_CHECKING:
    from pathlib import Path

    import pytest

SCANNER = "01JDQ3Z8V7X6M5N4B3C2A1Z0YX"  # the user of the ScanClaimed sample


def set_rule(moto_cloud: Any, rule: str, points: int | None, cap: int | None, enabled: bool = True) -> None:
    answer = call_http(
        "admin_earning_rules_put",
        token=moto_cloud.token("boss", "admin"),
        body={"points": points, "daily_cap": cap, "enabled": enabled},
        path_parameters={"rule": rule},
    )
    assert answer.status == 200, answer.body


class Clock:
    def __init__(self, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
        self._file = tmp_path / "clock.json"
        monkeypatch.setenv(LOCAL_CLOCK_VARIABLE, str(self._file))
        self.move(timedelta(0))

    def move(self, by: timedelta) -> None:
        self._file.write_text(json.dumps({"offset_s": by.total_seconds()}))


def scan(code: str) -> dict[str, Any]:
    body = copy.deepcopy(sample_body("sqs/points_earn.json"))
    body["detail"] |= {"code": code, "scan_id": f"scan-{code}", "event_id": f"e-{code}"}
    return body


def txn_ids(user: str) -> list[str]:
    return sorted(e.txn_id for e in PointsStore.default().entries(user))


def test_posts_earn_the_changed_rule_within_its_cap_and_nothing_while_it_is_off(
    moto_cloud, monkeypatch, tmp_path
) -> None:
    clock = Clock(monkeypatch, tmp_path)
    set_rule(moto_cloud, "post", 15, 15)
    deliver(event("PostPublished", "P1"), event("PostPublished", "P2"))
    assert len(txn_ids("alice")) == 1
    assert PointsStore.default().account("alice").balance == 15

    set_rule(moto_cloud, "post", 15, 45, enabled=False)
    clock.move(timedelta(seconds=RULE_TTL_S + 1))
    deliver(event("PostPublished", "P3"))
    assert len(txn_ids("alice")) == 1


def test_a_scan_refused_by_its_rule_is_credited_by_a_later_delivery_once_allowed(
    moto_cloud, monkeypatch, tmp_path
) -> None:
    clock = Clock(monkeypatch, tmp_path)
    set_rule(moto_cloud, "scan", None, 60)
    deliver(scan("C1"), scan("C2"))
    # 50 points each: the second would pass the cap of 60 today.
    assert PointsStore.default().account(SCANNER).balance == 50
    [credited] = txn_ids(SCANNER)

    set_rule(moto_cloud, "scan", None, 60, enabled=False)
    clock.move(timedelta(days=1))
    deliver(scan("C1"), scan("C2"), scan("C3"))  # the sweep's re-delivery, and a new claim
    assert txn_ids(SCANNER) == [credited]

    set_rule(moto_cloud, "scan", None, None)
    clock.move(timedelta(days=1, seconds=RULE_TTL_S + 1))
    deliver(scan("C1"), scan("C2"), scan("C3"))
    assert txn_ids(SCANNER) == ["scan#C1", "scan#C2", "scan#C3"]
    assert PointsStore.default().account(SCANNER).balance == 150
