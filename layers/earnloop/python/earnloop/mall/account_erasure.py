"""A deleted account's orders (issue 10, PIPL): from `UserDeleted`, the mall worker blanks the
delivery address of every order of the buyer (name, phone, street: the only personal data an order
holds). The orders stay for the books, under the account's random id. A redelivery writes nothing
(an order without an address is skipped by its condition)."""

from __future__ import annotations

from earnloop.mall.store import MallStore
from earnloop.platform.events import DomainEvent
from earnloop.platform.observability import logger

PAGE = 100


class UserDeleted(DomainEvent):
    """From the identity context: the person deleted their account."""

    source = "earnloop.identity"
    detail_type = "UserDeleted"

    user_id: str
    deleted_at: str


def blank_addresses(event: UserDeleted, store: MallStore | None = None) -> None:
    """Blanks the addresses of the buyer's orders (every page of `by_user`)."""
    store = store or MallStore.default()
    blanked = 0
    cursor: str | None = None
    while True:
        orders, cursor = store.orders_of(event.user_id, PAGE, cursor)
        for order in orders:
            if order.address is not None and store.blank_address(order.order_id, event.deleted_at):
                blanked += 1
        if cursor is None:
            break
    logger.info("deleted buyer's addresses blanked", extra={"user_id": event.user_id, "orders": blanked})
