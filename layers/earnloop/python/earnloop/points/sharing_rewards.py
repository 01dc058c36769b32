"""Points for shares and referrals, paid from the sharing context's events with the earning rules.

- `ShareRewarded` (a share led to a friend's first login, like or comment): the sharer earns the
  `share` rule once per share, `share#<share>`, within its daily cap.
- `ReferralAccepted` (a new user's first login came through the share): the referrer earns the
  `referral` rule once per new user, `referral#<referee>`, within its daily cap.

An earn over the cap is dropped (the ledger refuses it inside its transaction), as for every
rule; the sharing context already refuses referrals beyond the cap, with the reason recorded.
"""

from __future__ import annotations

from earnloop.platform.clock import parse_iso, utcnow
from earnloop.platform.errors import LimitReachedError
from earnloop.platform.observability import logger
from earnloop.points.earning_rules import rule_command
from earnloop.points.models import EarnCommand
from earnloop.points.service import Ledger
from earnloop.sharing.events import ReferralAccepted, ShareRewarded


def share_txn_id(share_id: str) -> str:
    return f"share#{share_id}"


def referral_txn_id(referee_id: str) -> str:
    return f"referral#{referee_id}"


def _credit(command: EarnCommand | None, ledger: Ledger | None) -> None:
    if command is None:
        return  # the rule is off (logged by rule_command)
    try:
        outcome = (ledger or Ledger.default()).credit(command, utcnow())
    except LimitReachedError:
        logger.info("earn over the daily cap", extra={"txn_id": command.txn_id})
        return
    logger.info("sharing earn", extra={"txn_id": command.txn_id, "outcome": outcome.status})


def earn_for_share(event: ShareRewarded, ledger: Ledger | None = None) -> None:
    command = rule_command(
        "share",
        txn_id=share_txn_id(event.share_id),
        user_id=event.sharer_id,
        reason="share",
        reference=event.share_id,
        occurred_at=parse_iso(event.rewarded_at),
    )
    _credit(command, ledger)


def earn_for_referral(event: ReferralAccepted, ledger: Ledger | None = None) -> None:
    command = rule_command(
        "referral",
        txn_id=referral_txn_id(event.referee_id),
        user_id=event.referrer_id,
        reason="referral",
        reference=event.referee_id,
        occurred_at=parse_iso(event.accepted_at),
    )
    _credit(command, ledger)
