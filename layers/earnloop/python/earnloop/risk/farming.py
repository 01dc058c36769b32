"""Farming rules the risk counters reveal: which accounts a counter's change flags, and why."""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING

from earnloop.platform.clock import business_day

if TYPE_CHECKING:
    from collections.abc import Collection
    from datetime import datetime

DEVICE_ACCOUNTS = "device_accounts"
DEVICE_ACCOUNTS_ENTITY = "DeviceAccounts"
# The day's set is kept a day after the day ends: a late stream record still finds it.
DEVICE_ACCOUNTS_KEEP = timedelta(days=2)


def device_accounts_key(device_id: str, day: str) -> dict[str, str]:
    """The accounts that scanned from one device on one business day (Asia/Shanghai)."""
    return {"pk": f"RISK#device-accounts#{device_id}#{day}", "sk": "RISK"}


def device_day(now: datetime) -> tuple[str, int]:
    """The business day a scan at `now` counts for, and when that day's set may be deleted."""
    return business_day(now).isoformat(), int((now + DEVICE_ACCOUNTS_KEEP).timestamp())


def flagged_accounts(before: Collection[str], after: Collection[str], threshold: int) -> list[str]:
    """The accounts a change of a device's day set flags: all of them when the set reaches
    `threshold` accounts, each newcomer after that; none below it (sorted, for stable events)."""
    if len(after) < threshold:
        return []
    if len(before) < threshold:
        return sorted(after)
    return sorted(set(after) - set(before))
