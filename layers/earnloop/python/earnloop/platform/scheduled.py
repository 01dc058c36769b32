"""The moment a scheduled run was due, as EventBridge's "Scheduled Event" gives it."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from pydantic import AwareDatetime, BaseModel, ConfigDict

from earnloop.platform.clock import utcnow

if TYPE_CHECKING:
    from collections.abc import Mapping
    from datetime import datetime


class ScheduledRun(BaseModel):
    """The one field a scheduled function reads of its event."""

    model_config = ConfigDict(extra="ignore")

    time: AwareDatetime | None = None


def due_time(event: Mapping[str, Any]) -> datetime:
    """When the run was due: a retried or replayed run acts as of then, and tests choose it. Now
    when the schedule sent its own input (or none)."""
    return ScheduledRun.model_validate(event).time or utcnow()
