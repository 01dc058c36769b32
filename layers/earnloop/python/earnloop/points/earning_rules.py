"""Earning rules: how many points each kind of act earns, the daily cap per user (Asia/Shanghai
business day) and an on/off switch, editable by admins without a deploy.

A rule lives in the points table as one `RULE#<name>` item (`points/rule_store.py`); a rule never
edited has no item and takes its code default below. Earners read a rule through a per-container
cache of `RULE_TTL_S` seconds (measured on the platform clock, so `earnloop clock advance` moves it
too): one read per rule per container per interval, and an admin's change reaches every container
within that interval. The stale window is harmless: the ledger's cap counter is charged inside the
earn's own transaction, so a cap is exact for the limit a command carries.

Every earn of a rule is built with `rule_command`: it returns None while the rule is off (the caller
earns nothing and logs why) and carries the rule's daily cap.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Literal

from pydantic import BaseModel, ConfigDict, Field

from earnloop.platform.clock import utcnow
from earnloop.platform.observability import logger
from earnloop.platform.settings import get_settings
from earnloop.platform.snapshot import on_restore
from earnloop.platform.ttl_cache import TtlCache
from earnloop.points.models import DailyCap, EarnCommand

if TYPE_CHECKING:
    from datetime import datetime

RuleName = Literal["scan", "checkin", "post", "like_given", "like_received", "comment", "share", "referral"]
RULES: tuple[RuleName, ...] = (
    "scan",
    "checkin",
    "post",
    "like_given",
    "like_received",
    "comment",
    "share",
    "referral",
)
# The rule whose points come from elsewhere (the code batch), never from the rule.
SCAN: RuleName = "scan"
# Comfortably under the one minute the issue allows for a change to take effect.
RULE_TTL_S = 30.0


class EarningRule(BaseModel):
    """One rule as it applies now. `version` 0: the code default (no stored item yet)."""

    model_config = ConfigDict(frozen=True)

    name: RuleName
    # None only for scan: the batch decides.
    points: int | None = Field(default=None, ge=1)
    daily_cap: int | None = Field(default=None, ge=1)
    enabled: bool = True
    version: int = Field(default=0, ge=0)
    updated_at: str | None = None
    updated_by: str | None = None


DEFAULTS: dict[RuleName, EarningRule] = {
    rule.name: rule
    for rule in (
        EarningRule(name="scan", points=None, daily_cap=None),
        # Day `checkin_bonus_day` of a streak pays `checkin_bonus_multiplier` times (settings).
        EarningRule(name="checkin", points=5, daily_cap=None),
        EarningRule(name="post", points=10, daily_cap=30),
        EarningRule(name="like_given", points=1, daily_cap=20),
        EarningRule(name="like_received", points=2, daily_cap=100),
        EarningRule(name="comment", points=2, daily_cap=20),
        EarningRule(name="share", points=5, daily_cap=25),
        EarningRule(name="referral", points=50, daily_cap=500),
    )
}


def _platform_seconds() -> float:
    return utcnow().timestamp()


_cache: TtlCache[EarningRule] = TtlCache(RULE_TTL_S, max_entries=64, clock=_platform_seconds)


def _load(key: str) -> EarningRule:
    # Imported here: the store module imports this one for the model and the defaults.
    from earnloop.points.rule_store import RuleStore

    table, name = key.split("|", 1)
    return RuleStore.for_table(table).rule(name, consistent=False)  # type: ignore[arg-type]


def earning_rule(name: str) -> EarningRule:
    """The rule as it applies now (stored, else the default), at most `RULE_TTL_S` old.

    Raises:
        KeyError: `name` is not one of `RULES`.
    """
    if name not in DEFAULTS:
        raise KeyError(f"no earning rule {name!r}")
    rule = _cache.get(f"{get_settings().table_name('points')}|{name}", _load)
    assert rule is not None  # _load never misses: a rule without an item is its default
    return rule


@on_restore
def forget_cached_rules() -> None:
    """Drops the cached rules: in each copy restored from a snapshot, and between tests (each
    makes a fresh table under the same name)."""
    global _cache
    _cache = TtlCache(RULE_TTL_S, max_entries=64, clock=_platform_seconds)


def rule_command(
    name: str,
    *,
    txn_id: str,
    user_id: str,
    reason: str,
    reference: str | None = None,
    occurred_at: datetime | None = None,
    points: int | None = None,
) -> EarnCommand | None:
    """The earn of rule `name`, or None while the rule is off (logged).

    `points`: the amount when the caller decides it (scan: the batch's points; an aggregated earn:
    a multiple of the rule's points); otherwise the rule's points. The command carries the rule's
    daily cap, charged inside the ledger transaction (`occurred_at`'s business day).

    Raises:
        KeyError: no such rule.
        ValueError: the rule has no points of its own (scan) and none were given.
    """
    rule = earning_rule(name)
    if not rule.enabled:
        logger.info("earning rule is off: nothing earned", extra={"rule": name, "txn_id": txn_id})
        return None
    amount = points if points is not None else rule.points
    if amount is None:
        raise ValueError(f"rule {name} takes its points from the caller")
    cap = DailyCap(rule=name, limit=rule.daily_cap) if rule.daily_cap is not None else None
    return EarnCommand(
        txn_id=txn_id,
        user_id=user_id,
        points=amount,
        reason=reason,
        reference=reference,
        cap=cap,
        occurred_at=occurred_at,
        # A rule's points: the ledger multiplies them by the account's tier (points/tiers.py).
        tiered=True,
    )
