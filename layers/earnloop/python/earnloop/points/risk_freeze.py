"""The freeze a farming rule asks for (`RiskFlagged`, earnloop/risk/events.py).

The account is frozen with reason `risk:<rule>` as a ledger `freeze` entry with txn id
`freeze#risk#<flag_id>`, in one transaction with an audit record (actor `risk:<rule>`, the evidence
in its reason) that `GET /v1/admin/audit` lists beside the admins' own actions. A redelivered flag
finds its entry (`already_applied`); a new flag of an account that is frozen already changes nothing
(`unchanged`, nothing recorded): neither is an error. The operator is told by a WARNING line with the
rule and evidence and by the `RiskFlags` metric, which an alarm watches (infra/monitoring.py); an
admin then unfreezes (the held earns are released) or sanctions (they are forfeited).
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

from aws_lambda_powertools.metrics import MetricUnit

from earnloop.platform.audit import AuditOf
from earnloop.platform.clock import utcnow
from earnloop.platform.observability import logger, metrics
from earnloop.platform.settings import get_settings
from earnloop.points.models import FROZEN
from earnloop.points.rules import plan_status
from earnloop.points.service import Ledger
from earnloop.risk.events import RiskFlagged

if TYPE_CHECKING:
    from earnloop.platform.dynamo import TxAction
    from earnloop.points.models import Account, Posting

# The audit record's reason holds the evidence; an admin's reason is at most 200 characters.
MAX_REASON = 200


def freeze_txn_id(flag_id: str) -> str:
    return f"freeze#risk#{flag_id}"


def audit_reason(event: RiskFlagged) -> str:
    """`risk:<rule> <evidence as JSON>`, cut to fit a reason."""
    evidence = json.dumps(event.evidence, sort_keys=True, separators=(",", ":"), default=str)
    return f"risk:{event.rule} {evidence}"[:MAX_REASON]


def freeze_on_flag(event: RiskFlagged, ledger: Ledger | None = None) -> None:
    """Freezes the flagged account once per flag id, with its audit record in the same transaction."""
    ledger = ledger or Ledger.default()
    now = utcnow()
    actor = reason = f"risk:{event.rule}"
    txn_id = freeze_txn_id(event.flag_id)

    def plan(account: Account) -> Posting | None:
        return plan_status(account, FROZEN, txn_id, reason, actor, now)

    # As an admin's freeze records it (points/admin_api.py), without loading the admin routes.
    audit = AuditOf(get_settings().table_name("points"), "points", actor, "freeze", audit_reason(event), now)

    def record(posting: Posting) -> TxAction:
        account = posting.account
        return audit.put(
            event.user_id,
            before={"status": account.status, "balance": account.balance},
            after={"status": posting.new_status or account.status, "balance": posting.entry.balance_after},
            reference=txn_id,
        )

    outcome = ledger.post(event.user_id, txn_id, plan, audit=record)
    if outcome.status != "already_applied":
        # Every new flag counts, an account frozen already too: the alarm is on flags, not freezes.
        metrics.add_metric(name="RiskFlags", unit=MetricUnit.Count, value=1)
        logger.warning(
            "risk flag: account frozen" if outcome.status == "applied" else "risk flag: account was frozen",
            extra={
                "flag_id": event.flag_id,
                "user_id": event.user_id,
                "rule": event.rule,
                "evidence": event.evidence,
                "flagged_at": event.flagged_at,
            },
        )
