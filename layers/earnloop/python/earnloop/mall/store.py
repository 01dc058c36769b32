"""The only place that builds keys and expressions for the mall's rewards, orders, idempotency
records and per-user limit counters (stock shards: `stock.py`; coupon pools: `coupons.py`).

Items of the mall table:
- `REWARD#<id>` / `REWARD` (entity Reward); while listed, `cat_pk = LISTED` and
  `cat_sk = <ends_at UTC or ~>#<id>` put it in the sparse `catalog` index, ending soonest first;
- `ORDER#<id>` / `ORDER` (entity Order); `user_pk = USER#<user>`, `user_sk = <id>` (ULID: time
  order) in `by_user`; while it waits for an admin, `status_pk = <status>` in the sparse `by_status`;
- `IDEM#<user>#<key>` / `IDEM` (entity Idempotency): the request fingerprint and the order it made;
- `LIMIT#<user>#<reward>#<period>` / `LIMIT` (entity LimitCounter): units the user redeemed.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from botocore.exceptions import ClientError

from earnloop.mall.models import PENDING_REVIEW, Order, OrderStatus, Reward
from earnloop.platform import aws
from earnloop.platform.clock import iso
from earnloop.platform.dynamo import (
    TxAction,
    decode_cursor,
    encode_cursor,
    is_condition_failure,
    marshal,
    transact,
    unmarshal,
)
from earnloop.platform.errors import ConcurrencyError, LimitReachedError
from earnloop.platform.settings import get_settings

if TYPE_CHECKING:
    from collections.abc import Sequence

    from mypy_boto3_dynamodb import DynamoDBClient

CATALOG_INDEX = "catalog"
USER_INDEX = "by_user"
STATUS_INDEX = "by_status"
LISTED = "LISTED"
# Sorts after every ISO date: rewards without an end come last.
_NO_END = "~"
# Order statuses the `by_status` index holds (the ones an admin must act on).
INDEXED_STATUSES: frozenset[OrderStatus] = frozenset({PENDING_REVIEW})

_ULID = r"[0-9A-HJKMNP-TV-Z]{26}"
_CATALOG_CURSOR = {
    "cat_sk": re.compile(rf"(~|\d{{4}}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{{3}}Z)#{_ULID}"),
    "pk": re.compile(rf"REWARD#{_ULID}"),
    "sk": re.compile("REWARD"),
}
_ORDER_CURSOR = {"pk": re.compile(rf"ORDER#{_ULID}"), "sk": re.compile("ORDER")}
_USER_CURSOR = {**_ORDER_CURSOR, "user_sk": re.compile(_ULID)}
_STATUS_CURSOR = {**_ORDER_CURSOR, "status_sk": re.compile(_ULID)}


class IdempotencyKeyTakenError(Exception):
    """The user's idempotency key has a record already: answer from it instead."""


class OrderMovedError(Exception):
    """The order is no longer in the status the transition was planned from: read it again."""


class RewardChangedError(ConcurrencyError):
    """The reward changed since it was read (another admin's edit)."""


def reward_key(reward_id: str) -> dict[str, str]:
    return {"pk": f"REWARD#{reward_id}", "sk": "REWARD"}


def order_key(order_id: str) -> dict[str, str]:
    return {"pk": f"ORDER#{order_id}", "sk": "ORDER"}


def idempotency_key(user_id: str, key: str) -> dict[str, str]:
    return {"pk": f"IDEM#{user_id}#{key}", "sk": "IDEM"}


def limit_key(user_id: str, reward_id: str, period: str) -> dict[str, str]:
    return {"pk": f"LIMIT#{user_id}#{reward_id}#{period}", "sk": "LIMIT"}


def _reward_item(reward: Reward) -> dict[str, Any]:
    item: dict[str, Any] = {
        **reward_key(reward.reward_id),
        "entity": "Reward",
        **reward.model_dump(mode="json"),
    }
    if reward.listed:
        ends = reward.window.ends_at
        item["cat_pk"] = LISTED
        item["cat_sk"] = f"{iso(ends) if ends else _NO_END}#{reward.reward_id}"
        # Top-level, so the listing's filter can read it.
        item["sale_starts"] = iso(reward.window.starts_at) if reward.window.starts_at else None
    return item


def _order_item(order: Order) -> dict[str, Any]:
    item: dict[str, Any] = {
        **order_key(order.order_id),
        "entity": "Order",
        **order.model_dump(mode="json"),
        "user_pk": f"USER#{order.user_id}",
        "user_sk": order.order_id,
    }
    if order.status in INDEXED_STATUSES:
        item["status_pk"] = order.status
        item["status_sk"] = order.order_id
    return item


def _put_new(table: str, item: dict[str, Any]) -> dict[str, Any]:
    return {
        "Put": {"TableName": table, "Item": marshal(item), "ConditionExpression": "attribute_not_exists(pk)"}
    }


_KEY_TAKEN = lambda reason: IdempotencyKeyTakenError()  # noqa: E731
_LIMIT = lambda reason: LimitReachedError("per-user limit of this reward reached")  # noqa: E731
_MOVED = lambda reason: OrderMovedError()  # noqa: E731
_REWARD_CHANGED = lambda reason: RewardChangedError("the reward changed meanwhile, please retry")  # noqa: E731


class MallStore:
    """Reads of the mall table and the transaction items of its commands."""

    def __init__(self, ddb: DynamoDBClient, table_name: str) -> None:
        self.ddb = ddb
        self.table = table_name

    @classmethod
    def default(cls) -> MallStore:
        return cls(aws.dynamodb(), get_settings().table_name("mall"))

    # -- rewards ---------------------------------------------------------------------------------

    def reward(self, reward_id: str, *, consistent: bool = False) -> Reward | None:
        item = self._get(reward_key(reward_id), consistent)
        return None if item is None else Reward.model_validate(item)

    def new_reward_action(self, reward: Reward) -> TxAction:
        return TxAction(_put_new(self.table, _reward_item(reward)))

    def put_reward(self, reward: Reward, seen_version: int, checks: Sequence[TxAction] = ()) -> None:
        """Replaces the reward if it still has `seen_version` (and `checks` hold).

        Raises:
            RewardChangedError: another edit came first.
        """
        put = {
            "Put": {
                "TableName": self.table,
                "Item": marshal(_reward_item(reward)),
                "ConditionExpression": "#version = :seen",
                "ExpressionAttributeNames": {"#version": "version"},
                "ExpressionAttributeValues": marshal({":seen": seen_version}),
            }
        }
        transact(self.ddb, [*checks, TxAction(put, on_condition_failed=_REWARD_CHANGED)])

    def listed_rewards(self, now: str, limit: int, cursor: str | None) -> tuple[list[Reward], str | None]:
        """One page of listed rewards whose sale has started and not ended at `now` (UTC ISO),
        ending soonest first: one Query on the sparse catalog index.

        Raises:
            ValidationFailedError: the cursor is not one this query issued.
        """
        start = decode_cursor(cursor, _CATALOG_CURSOR, fixed={"cat_pk": {"S": LISTED}})
        kwargs: dict[str, Any] = {
            "TableName": self.table,
            "IndexName": CATALOG_INDEX,
            # Ended sales are never read: `cat_sk` starts with the end.
            "KeyConditionExpression": "cat_pk = :listed AND cat_sk > :now",
            "FilterExpression": "attribute_not_exists(sale_starts) OR sale_starts <= :now",
            "ExpressionAttributeValues": marshal({":listed": LISTED, ":now": now}),
            "Limit": limit,
        }
        if start is not None:
            kwargs["ExclusiveStartKey"] = start
        response = self.ddb.query(**kwargs)
        rewards = [Reward.model_validate(unmarshal(item)) for item in response.get("Items", [])]
        return rewards, encode_cursor(response.get("LastEvaluatedKey"), drop=("cat_pk",))

    # -- redemption ------------------------------------------------------------------------------

    def idempotency(self, user_id: str, key: str) -> tuple[str, str] | None:
        """The fingerprint and order id recorded under the user's key, or None."""
        item = self._get(idempotency_key(user_id, key), consistent=True)
        return None if item is None else (item["fingerprint"], item["order_id"])

    def idempotency_action(self, order: Order, fingerprint: str) -> TxAction:
        item = {
            **idempotency_key(order.user_id, order.idempotency_key),
            "entity": "Idempotency",
            "fingerprint": fingerprint,
            "order_id": order.order_id,
            "created_at": order.created_at,
        }
        return TxAction(_put_new(self.table, item), on_condition_failed=_KEY_TAKEN)

    def limit_take_action(self, order: Order, limit: int) -> TxAction:
        """Counts the order's units against the user's limit: the counter must stay within `limit`."""
        assert order.limit_period is not None
        update = {
            "TableName": self.table,
            "Key": marshal(limit_key(order.user_id, order.reward_id, order.limit_period)),
            "UpdateExpression": "SET entity = :entity ADD #n :q",
            "ConditionExpression": "attribute_not_exists(#n) OR #n <= :ceiling",
            "ExpressionAttributeNames": {"#n": "n"},
            "ExpressionAttributeValues": marshal(
                {":entity": "LimitCounter", ":q": order.quantity, ":ceiling": limit - order.quantity}
            ),
        }
        return TxAction({"Update": update}, on_condition_failed=_LIMIT)

    def limit_return_action(self, order: Order) -> TxAction:
        """Gives the order's units back to the user's limit (guarded by the order's status condition
        in the same transaction)."""
        assert order.limit_period is not None
        update = {
            "TableName": self.table,
            "Key": marshal(limit_key(order.user_id, order.reward_id, order.limit_period)),
            "UpdateExpression": "ADD #n :back",
            "ExpressionAttributeNames": {"#n": "n"},
            "ExpressionAttributeValues": marshal({":back": -order.quantity}),
        }
        return TxAction({"Update": update})

    def new_order_action(self, order: Order) -> TxAction:
        return TxAction(_put_new(self.table, _order_item(order)))

    def transition_action(self, seen: Order, moved: Order) -> TxAction:
        """Replaces the order with `moved` if it still has the status it was read with (and, read
        with an address, still has it: a put never restores an address blanked meanwhile)."""
        condition = "#status = :seen"
        if seen.address_erased_at is None:
            condition += " AND attribute_not_exists(address_erased_at)"
        put = {
            "Put": {
                "TableName": self.table,
                "Item": marshal(_order_item(moved)),
                "ConditionExpression": condition,
                "ExpressionAttributeNames": {"#status": "status"},
                "ExpressionAttributeValues": marshal({":seen": seen.status}),
            }
        }
        return TxAction(put, on_condition_failed=_MOVED)

    def limit_used(self, user_id: str, reward_id: str, period: str) -> int:
        item = self._get(limit_key(user_id, reward_id, period), consistent=True)
        return 0 if item is None else int(item.get("n", 0))

    # -- orders ----------------------------------------------------------------------------------

    def order(self, order_id: str, *, consistent: bool = True) -> Order | None:
        item = self._get(order_key(order_id), consistent)
        return None if item is None else Order.model_validate(item)

    def orders_of(self, user_id: str, limit: int, cursor: str | None) -> tuple[list[Order], str | None]:
        """The user's orders, newest first, one Query on `by_user`."""
        return self._page(USER_INDEX, "user_pk", f"USER#{user_id}", _USER_CURSOR, limit, cursor)

    def blank_address(self, order_id: str, erased_at: str) -> bool:
        """Removes the order's delivery address (its buyer deleted their account); the order stays
        for the books. False when it had none (or no longer has one): nothing written."""
        try:
            self.ddb.update_item(
                TableName=self.table,
                Key=marshal(order_key(order_id)),
                UpdateExpression="REMOVE address SET address_erased_at = :at",
                ConditionExpression="attribute_exists(address) AND attribute_type(address, :map)",
                ExpressionAttributeValues=marshal({":at": erased_at, ":map": "M"}),
            )
        except ClientError as error:
            if is_condition_failure(error):
                return False
            raise
        return True

    def orders_in(
        self, status: OrderStatus, limit: int, cursor: str | None
    ) -> tuple[list[Order], str | None]:
        """Orders in an indexed status, newest first, one Query on `by_status`."""
        return self._page(STATUS_INDEX, "status_pk", status, _STATUS_CURSOR, limit, cursor)

    def _page(
        self,
        index: str,
        name: str,
        value: str,
        shape: dict[str, re.Pattern[str]],
        limit: int,
        cursor: str | None,
    ) -> tuple[list[Order], str | None]:
        start = decode_cursor(cursor, shape, fixed={name: {"S": value}})
        kwargs: dict[str, Any] = {
            "TableName": self.table,
            "IndexName": index,
            "KeyConditionExpression": "#k = :v",
            "ExpressionAttributeNames": {"#k": name},
            "ExpressionAttributeValues": marshal({":v": value}),
            "ScanIndexForward": False,
            # One more than asked tells whether a next page exists without returning an empty one.
            "Limit": limit + 1,
        }
        if start is not None:
            kwargs["ExclusiveStartKey"] = start
        items = [unmarshal(item) for item in self.ddb.query(**kwargs).get("Items", [])]
        page = items[:limit]
        next_cursor = None
        if len(items) > limit:
            last = page[-1]
            sort_name = "user_sk" if name == "user_pk" else "status_sk"
            key = {"pk": last["pk"], "sk": last["sk"], name: value, sort_name: last[sort_name]}
            next_cursor = encode_cursor(marshal(key), drop=(name,))
        return [Order.model_validate(item) for item in page], next_cursor

    def _get(self, key: dict[str, str], consistent: bool) -> dict[str, Any] | None:
        response = self.ddb.get_item(TableName=self.table, Key=marshal(key), ConsistentRead=consistent)
        item = response.get("Item")
        return unmarshal(item) if item else None
