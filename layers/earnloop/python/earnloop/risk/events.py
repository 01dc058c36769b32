"""Events of risk control."""

from __future__ import annotations

from typing import Any

from earnloop.platform.events import DomainEvent


class RiskFlagged(DomainEvent):
    """A farming rule flagged `user_id`. The points context freezes the account on it (txn id
    `freeze#risk#<flag_id>`, so a redelivery is a no-op) and the admins see `rule` and `evidence`.

    The scan's rules are derived from the codes table's stream, hence the codes source; a rule of
    another context's command is derived from that context's stream under its own source."""

    source = "earnloop.codes"
    detail_type = "RiskFlagged"

    flag_id: str
    user_id: str
    rule: str
    evidence: dict[str, Any]
    flagged_at: str


class SharingRiskFlagged(RiskFlagged):
    """A farming rule of the sharing context's commands (the referral burst), from its stream."""

    source = "earnloop.sharing"
