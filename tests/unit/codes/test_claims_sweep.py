"""The safety net for lost `ScanClaimed` events: what the stream publisher derives from a claim's
writes, and which claims a sweep touches."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from earnloop.codes import service
from earnloop.codes.events import ScanClaimed, derive
from earnloop.codes.rules import PENDING_SHARDS
from earnloop.platform.clock import iso
from earnloop.platform.events import Change

NOW = datetime(2026, 11, 23, 9, 30, tzinfo=UTC)

CLAIM: dict[str, Any] = {
    "pk": "CODE#AK7Q2M3X#31",
    "sk": "CLAIM",
    "entity": "Claim",
    "scan_id": "AK7Q2M3X-31",
    "code": "AK7Q2M3X.7.MFRGGZDFMZTWQ2LKNNWG23TPOA",
    "batch_id": "AK7Q2M3X",
    "serial": 31,
    "user_id": "u1",
    "points": 50,
    "sku": "YOG-1",
    "product_name": "Yogurt",
    "tags": ["yogurt"],
    "campaign": None,
    "claimed_at": "2026-11-23T09:00:00.000Z",
    "status": "accepted",
    "pending_pk": "PENDING#3",
    "pending_sk": "2026-11-23T09:00:00.000Z",
}
SWEPT = {**CLAIM, "sweeps": 1, "swept_at": "2026-11-23T09:30:00.000Z"}
CREDITED = {**CLAIM, "status": "credited", "credited_at": "2026-11-23T09:00:01.250Z"}
for _attribute in ("pending_pk", "pending_sk"):
    del CREDITED[_attribute]


def change(kind: str, old: dict[str, Any] | None, new: dict[str, Any] | None) -> Change:
    return Change(table="codes", kind=kind, old=old, new=new)  # type: ignore[arg-type]


def test_an_accepted_claim_becomes_scan_claimed() -> None:
    [event] = derive(change("INSERT", None, CLAIM))

    assert isinstance(event, ScanClaimed)
    assert event.scan_id == "AK7Q2M3X-31" and event.points == 50 and event.user_id == "u1"


def test_a_sweep_of_a_claim_still_accepted_republishes_the_same_scan_claimed() -> None:
    assert derive(change("MODIFY", CLAIM, SWEPT)) == derive(change("INSERT", None, CLAIM))
    again = {**SWEPT, "sweeps": 2}
    assert derive(change("MODIFY", SWEPT, again)) == derive(change("INSERT", None, CLAIM))


@pytest.mark.parametrize(
    ("old", "new"),
    [
        pytest.param(CLAIM, CREDITED, id="credited"),
        pytest.param(SWEPT, {**CREDITED, "sweeps": 1}, id="credited-after-a-sweep"),
        pytest.param(CLAIM, {**CLAIM, "tags": ["yogurt", "oat"]}, id="other-attribute"),
        pytest.param(SWEPT, {**SWEPT, "swept_at": "2026-11-23T09:45:00.000Z"}, id="sweeps-unchanged"),
    ],
)
def test_other_claim_changes_mean_nothing(old: dict[str, Any], new: dict[str, Any]) -> None:
    assert derive(change("MODIFY", old, new)) == []


def test_removals_and_other_entities_mean_nothing() -> None:
    assert derive(change("REMOVE", CLAIM, None)) == []
    assert derive(change("INSERT", None, {**CLAIM, "entity": "Batch"})) == []


class SweepStore:
    """The pending index as `(shard, claimed_at, batch_id, serial)`, and which claims are accepted."""

    def __init__(self, pending: list[tuple[int, str, str, int]], credited: set[tuple[str, int]]) -> None:
        self.pending = pending
        self.credited = credited
        self.touched: list[tuple[str, int, str]] = []
        self.queried: list[tuple[int, str, int]] = []

    def stale_pending_claims(self, shard: int, older_than_iso: str, limit: int) -> list[tuple[str, int]]:
        self.queried.append((shard, older_than_iso, limit))
        found = sorted(p for p in self.pending if p[0] == shard and p[1] < older_than_iso)
        return [(batch_id, serial) for _, _, batch_id, serial in found[:limit]]

    def touch_for_sweep(self, batch_id: str, serial: int, now_iso: str) -> bool:
        if (batch_id, serial) in self.credited:
            return False
        self.touched.append((batch_id, serial, now_iso))
        return True


def test_a_sweep_touches_each_shards_claims_older_than_the_cutoff_only() -> None:
    old, fresh = iso(NOW - timedelta(minutes=16)), iso(NOW - timedelta(minutes=14))
    store = SweepStore(
        [(0, old, "B", 1), (7, old, "B", 2), (3, fresh, "B", 3), (5, old, "B", 4)], credited={("B", 4)}
    )

    touched = service.sweep_pending_claims(store, NOW)  # type: ignore[arg-type]

    assert touched == 2
    assert store.touched == [("B", 1, iso(NOW)), ("B", 2, iso(NOW))]
    cutoff = iso(NOW - timedelta(minutes=15))
    assert store.queried == [(shard, cutoff, 100) for shard in range(PENDING_SHARDS)]


def test_a_sweep_takes_at_most_its_limit_per_shard() -> None:
    old = iso(NOW - timedelta(hours=1))
    store = SweepStore([(2, old, "B", serial) for serial in range(1, 6)], credited=set())

    assert service.sweep_pending_claims(store, NOW, per_shard_limit=3) == 3  # type: ignore[arg-type]
