"""An order's buyer note through the outbox sweep (`mall_outbox_sweep`), under moto: an order whose
`RedemptionPlaced` never reached the inbox is published again after the delay, and the buyer is
told once; the note's `RedemptionNoted` confirms the order, which is then never touched."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from earnloop.local.samples import load
from earnloop.mall.outbox import ORDER_NOTED, outbox_key
from earnloop.platform.clock import iso, parse_iso

from tests.integration.mall.mall_harness import create_reward, fund, redeem
from tests.support.lambdas import all_items, drain, invoke, pump_stream, sqs_event, stored


def sweep_at(created_at: str, later: timedelta) -> dict[str, int]:
    event = {**load("scheduled/mall_outbox_sweep.json"), "time": iso(parse_iso(created_at) + later)}
    return invoke("mall_outbox_sweep", event)  # type: ignore[no-any-return]


def placed(cloud: Any, order_id: str) -> list[dict[str, Any]]:
    """The mall stream pumped (from its start); the order's `RedemptionPlaced` on the notify queue."""
    pump_stream(cloud.streams["mall"])
    return [
        e
        for e in drain(cloud.queues["notify"].main)
        if e["detail-type"] == "RedemptionPlaced" and e["detail"]["order_id"] == order_id
    ]


def notify(events: list[dict[str, Any]]) -> None:
    assert invoke("notify_inbox", sqs_event("sqs/notify_inbox.json", *events)) == {"batchItemFailures": []}


def confirm(cloud: Any) -> None:
    """The identity stream pumped; the notes' `RedemptionNoted` handed to the mall worker."""
    pump_stream(cloud.streams["identity"])
    noted = drain(cloud.queues["mall"].main)
    assert noted and {e["detail-type"] for e in noted} == {"RedemptionNoted"}
    assert invoke("mall_worker", sqs_event("sqs/mall_worker.json", *noted)) == {"batchItemFailures": []}


def notes_of(cloud: Any, user: str) -> list[dict[str, Any]]:
    table = cloud.settings.table_name("identity")
    return [i for i in all_items(table) if i["pk"] == f"USER#{user}" and i["sk"].startswith("NOTE#")]


def order(cloud: Any, user: str, key: str) -> tuple[str, str]:
    reward = create_reward(cloud, points=50)
    fund(user, 100)
    answer = redeem(cloud, user, reward["reward_id"], key)
    assert answer.status == 201, answer.body
    return answer.json["order_id"], answer.json["created_at"]


def test_an_order_whose_note_never_came_is_published_again_and_noted_once(moto_cloud) -> None:
    order_id, created_at = order(moto_cloud, "li", "key-outbox-0001")
    assert len(placed(moto_cloud, order_id)) == 1  # ... and lost on its way to the inbox

    assert sweep_at(created_at, ORDER_NOTED.delay - timedelta(minutes=1)) == {"touched": 0, "exhausted": 0}
    assert sweep_at(created_at, ORDER_NOTED.delay + timedelta(minutes=1)) == {"touched": 1, "exhausted": 0}
    again = placed(moto_cloud, order_id)

    assert len(again) == 2  # the stream's redelivery of the order, and the sweep's republish
    notify(again)
    confirm(moto_cloud)
    assert [n["kind"] for n in notes_of(moto_cloud, "li")] == ["redemption_placed"]
    marker = stored(moto_cloud.settings.table_name("mall"), outbox_key(order_id))
    assert marker is not None and "due_pk" not in marker
    assert sweep_at(created_at, timedelta(hours=3)) == {"touched": 0, "exhausted": 0}


def test_an_order_whose_note_arrived_is_never_touched(moto_cloud) -> None:
    order_id, created_at = order(moto_cloud, "wang", "key-outbox-0002")

    notify(placed(moto_cloud, order_id))
    confirm(moto_cloud)

    assert sweep_at(created_at, timedelta(hours=1)) == {"touched": 0, "exhausted": 0}
    assert len(placed(moto_cloud, order_id)) == 1
