"""Domain events: what a committed write means to other contexts.

Events are never published by the function that writes. The stream publisher reads each table's
stream, asks the owning context's `derive` what each change means, and puts the result on the bus
(the transactional outbox). Consumers receive them from SQS and must be idempotent.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, ClassVar, Literal

from pydantic import BaseModel, ConfigDict

from earnloop.platform.dynamo import Item


class DomainEvent(BaseModel):
    """Base of every event's `detail`. Subclasses set `source` and `detail_type`."""

    model_config = ConfigDict(frozen=True, extra="ignore")

    source: ClassVar[str]
    detail_type: ClassVar[str]


@dataclass(frozen=True)
class Change:
    """One committed write, as the stream saw it."""

    table: str
    kind: Literal["INSERT", "MODIFY", "REMOVE"]
    old: Item | None
    new: Item | None

    @property
    def entity(self) -> str | None:
        """The item's `entity` attribute ("Claim", "LedgerEntry", "User", ...), set by its store."""
        image = self.new or self.old or {}
        value = image.get("entity")
        return value if isinstance(value, str) else None

    def became(self, attribute: str, value: Any) -> bool:
        """True when this write set `attribute` to `value` (and it was not so before)."""
        before = (self.old or {}).get(attribute)
        after = (self.new or {}).get(attribute)
        return after == value and before != value


Deriver = Callable[[Change], list[DomainEvent]]


def envelope_detail(event: DomainEvent, event_id: str, occurred_at: str) -> dict[str, Any]:
    """The JSON `detail` put on the bus: the event's fields plus its id and commit time."""
    return {**event.model_dump(mode="json"), "event_id": event_id, "occurred_at": occurred_at}
