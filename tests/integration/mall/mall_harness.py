"""What the mall tests share: rewards created through the admin route, users funded through the
ledger, and redemptions through `redemptions_create`, each on its sample event."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from earnloop.points.models import EarnCommand
from earnloop.points.service import Ledger
from earnloop.points.store import PointsStore

from tests.support.lambdas import HttpAnswer, call_http

if TYPE_CHECKING:
    from tests.conftest import MotoCloud

ADMIN = "admin1"
ADDRESS = {"name": "Li Lei", "phone": "13800138000", "region": "Shanghai Xuhui", "detail": "88 Caoxi Road"}
# Earned on these days, points land in different expiry buckets (12 months later, end of month).
EARN_DAYS = (datetime(2026, 1, 10, 2, tzinfo=UTC), datetime(2026, 3, 10, 2, tzinfo=UTC))


def create_reward(cloud: MotoCloud, **fields: Any) -> dict[str, Any]:
    body = {"name": "Trial pack", "kind": "virtual", "points": 100, "stock": 5, **fields}
    answer = call_http("rewards_create", token=cloud.token(ADMIN, "admin"), body=body)
    assert answer.status == 201, answer.body
    return answer.json  # type: ignore[no-any-return]


def fund(user_id: str, *amounts: int) -> None:
    """Credits each amount on its own day of `EARN_DAYS`, so each lands in its own bucket."""
    ledger = Ledger(PointsStore.default())
    for index, amount in enumerate(amounts):
        command = EarnCommand(txn_id=f"scan#{user_id}#{index}", user_id=user_id, points=amount, reason="scan")
        ledger.earn(command, EARN_DAYS[index])


def redeem(
    cloud: MotoCloud, user_id: str, reward_id: str, key: str, quantity: int = 1, **extra: Any
) -> HttpAnswer:
    body = {"reward_id": reward_id, "quantity": quantity, **extra}
    return call_http(
        "redemptions_create", token=cloud.token(user_id), body=body, headers={"Idempotency-Key": key}
    )
