"""The mall part of a user's data export (`GET /v1/me/export`, identity/export.py): every order of
the user (index `by_user`, newest first), with its delivery address."""

from __future__ import annotations

from typing import Any

from earnloop.mall.store import MallStore

PAGE = 100


def export_orders(user_id: str, store: MallStore | None = None) -> list[dict[str, Any]]:
    store = store or MallStore.default()
    found: list[dict[str, Any]] = []
    cursor: str | None = None
    while True:
        orders, cursor = store.orders_of(user_id, PAGE, cursor)
        found += [
            order.model_dump(
                mode="json", exclude={"idempotency_key", "stock_parts", "stock_shards", "spend_txn_id"}
            )
            for order in orders
        ]
        if cursor is None:
            return found
