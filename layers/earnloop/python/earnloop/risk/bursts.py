"""Bursts: farming rules that count a command's successes in a short sliding window.

A burst counter is one item per watched pair (a batch and a device, a referrer): `b<bucket>` =
successes in that bucket (risk/windows.py), `expires_at` (TTL), and beside them what the stream needs
to judge it without any read: the window (`window_s`, `buckets`), the `threshold` of the moment, the
instant of the last write (`last_at`) and who made it. The command adds to it unconditionally in its
own transaction (a burst is not refused, it is flagged); its context's stream derives `RiskFlagged`
(risk/events.py) for every write that leaves the window at or over the threshold: the Nth success
within the window flags, the ones before it do not, and neither do the same user's next ones while
the window stays over it (another user's do: each account behind a device). The flag id is the rule,
the pair, the user and the bucket written, so a redelivered record derives the same flag and the
freeze it asks for is done once (points/risk_freeze.py); a later burst is a new flag.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from earnloop.platform.clock import iso, parse_iso
from earnloop.platform.dynamo import TxAction, marshal
from earnloop.risk.windows import SlidingWindow, used

if TYPE_CHECKING:
    from collections.abc import Mapping
    from datetime import datetime

BURST_ENTITY = "RiskBurst"


@dataclass(frozen=True)
class Burst:
    """One success of a watched pair: `rule` names the farming rule, `key` its counter item, `user_id`
    who is flagged, `evidence` what the admins are shown (and is stored on the item)."""

    rule: str
    key: Mapping[str, str]
    user_id: str
    window: SlidingWindow
    threshold: int
    evidence: Mapping[str, str] = field(default_factory=dict)


def burst_action(table: str, burst: Burst, now: datetime) -> TxAction:
    """Adds one success to the current bucket, drops buckets no window counts again, and writes the
    rule's parameters of the moment beside them (unconditional: in the command's transaction)."""
    current = burst.window.bucket(now)
    stale = list(burst.window.stale(current))
    names = {"#b": f"b{current}", **{f"#s{i}": f"b{index}" for i, index in enumerate(stale)}}
    values: dict[str, Any] = {
        ":one": 1,
        ":entity": BURST_ENTITY,
        ":rule": burst.rule,
        ":user": burst.user_id,
        ":window": burst.window.length_s,
        ":buckets": burst.window.buckets,
        ":threshold": burst.threshold,
        ":at": iso(now),
        ":exp": burst.window.expires_at(current),
        ":evidence": dict(burst.evidence),
    }
    sets = [
        "entity = :entity",
        "#rule = :rule",
        "user_id = :user",
        "window_s = :window",
        "#buckets = :buckets",
        "threshold = :threshold",
        "last_at = :at",
        "expires_at = :exp",
        "evidence = :evidence",
    ]
    names.update({"#rule": "rule", "#buckets": "buckets"})
    removes = ", ".join(f"#s{i}" for i in range(len(stale)))
    update = {
        "TableName": table,
        "Key": marshal(dict(burst.key)),
        "UpdateExpression": f"ADD #b :one SET {', '.join(sets)} REMOVE {removes}",
        "ExpressionAttributeNames": names,
        "ExpressionAttributeValues": marshal(values),
    }
    return TxAction({"Update": update})


def burst_count(image: Mapping[str, Any], at: str | None = None) -> int:
    """The successes a counter's image holds within the window ending at its last write (or `at`)."""
    window = SlidingWindow(int(image["window_s"]), int(image["buckets"]))
    counts = {
        int(name[1:]): int(value) for name, value in image.items() if name[:1] == "b" and name[1:].isdigit()
    }
    return used(counts, window, parse_iso(at or str(image["last_at"])))


@dataclass(frozen=True)
class BurstFlag:
    """What a burst counter's write flags: the flag's id and fields (risk/events.py builds the event
    under the source of the context whose stream saw it)."""

    flag_id: str
    user_id: str
    rule: str
    evidence: dict[str, Any]
    flagged_at: str


def burst_flag(new: Mapping[str, Any], old: Mapping[str, Any] | None) -> BurstFlag | None:
    """The flag of a counter's write that takes the window to the threshold written with it, or
    that comes from another user while the window is at or over it (each account behind a device
    is flagged); None otherwise: below it, for the same user's later writes over it (one flag a
    burst, not one a success)."""
    count, threshold = burst_count(new), int(new["threshold"])
    if count < threshold:
        return None
    same_user = old is not None and old.get("user_id") == new.get("user_id")
    if old is not None and same_user and burst_count(old, at=str(new["last_at"])) >= threshold:
        return None
    window = SlidingWindow(int(new["window_s"]), int(new["buckets"]))
    at = str(new["last_at"])
    bucket = window.bucket(parse_iso(at))
    rule, user = str(new["rule"]), str(new["user_id"])
    pair = str(new["pk"]).split("#", 2)[-1]
    return BurstFlag(
        flag_id=f"{rule}#{pair}#{user}#{bucket}",
        user_id=user,
        rule=rule,
        evidence={**dict(new.get("evidence") or {}), "count": count, "window_s": window.length_s},
        flagged_at=at,
    )
