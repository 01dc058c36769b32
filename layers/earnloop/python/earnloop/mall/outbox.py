"""The mall's pending effect (platform/outbox_sweep.py): an order whose buyer has not been told.

Which effect: the buyer's inbox note of the order (`RedemptionPlaced` -> the identity notify
worker). Every order has one, it is what the buyer sees, and its guard item is written once per
order, so identity can say so (`RedemptionNoted`). The tags counted from a redemption are not
chosen: a reward without tags counts nothing, so no confirmation would ever come; the same
republished `RedemptionPlaced` reaches the tags worker too, which counts an order once.

The redemption's transaction puts `ORDER#<id>` / `OUTBOX#order_noted` with a copy of the order's
`RedemptionPlaced`; `RedemptionNoted` (queue `mall`, `mall_worker`) confirms it; `mall_outbox_sweep`
(every 15 minutes) touches what is still pending `ORDER_NOTED.delay` after the order, and the mall's
deriver publishes the copy again (at most `max_sweeps` times).
"""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING, Any

from earnloop.mall.events import placed_event
from earnloop.platform import aws
from earnloop.platform.clock import parse_iso
from earnloop.platform.dynamo import TxAction, marshal
from earnloop.platform.events import DomainEvent
from earnloop.platform.observability import logger, metrics, tracer
from earnloop.platform.outbox_sweep import OutboxSweeper, Sweep, pending_event_item
from earnloop.platform.scheduled import due_time
from earnloop.platform.settings import get_settings

if TYPE_CHECKING:
    from earnloop.mall.models import Order

ORDER_NOTED = Sweep("order_noted", delay=timedelta(minutes=30), max_sweeps=3)
# Every kind of pending effect on the mall table, swept by `mall_outbox_sweep`.
SWEEPS: tuple[Sweep, ...] = (ORDER_NOTED,)


def outbox_key(order_id: str) -> dict[str, str]:
    return {"pk": f"ORDER#{order_id}", "sk": f"OUTBOX#{ORDER_NOTED.kind}"}


def order_noted_marker(table: str, order: Order) -> TxAction:
    """The marker put in the transaction that places `order`."""
    event = placed_event(order.model_dump(mode="json"))
    item = pending_event_item(
        outbox_key(order.order_id), ORDER_NOTED, order.order_id, event, parse_iso(order.created_at)
    )
    return TxAction({"Put": {"TableName": table, "Item": marshal(item)}})


class RedemptionNoted(DomainEvent):
    """From the identity context: the buyer's inbox has the order's note."""

    source = "earnloop.identity"
    detail_type = "RedemptionNoted"

    order_id: str
    user_id: str


def sweeper() -> OutboxSweeper:
    return OutboxSweeper(aws.dynamodb(), get_settings().table_name("mall"))


def order_noted(event: RedemptionNoted, outbox: OutboxSweeper | None = None) -> None:
    """The order's note arrived: its marker leaves the outbox index (a redelivery changes nothing)."""
    confirmed = (outbox or sweeper()).confirm(outbox_key(event.order_id))
    logger.info("order note confirmed", extra={"order_id": event.order_id, "marker": confirmed})


def sweep_outbox(event: dict[str, Any]) -> dict[str, int]:
    return sweeper().sweep_all(SWEEPS, due_time(event))


@metrics.log_metrics
@tracer.capture_lambda_handler(capture_response=False)
@logger.inject_lambda_context(clear_state=True)
def lambda_handler(event: dict[str, Any], context: Any) -> dict[str, int]:
    """`mall_outbox_sweep`: republishes `RedemptionPlaced` of orders whose buyer was not told."""
    return sweep_outbox(event)
