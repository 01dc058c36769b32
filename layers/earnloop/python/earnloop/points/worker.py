"""The points worker (queue `points`): credits scans and published posts (and claws back a post
taken down), and releases held earns when an account is unfrozen. Every credit carries a
deterministic txn id, so a redelivered message is a no-op."""

from __future__ import annotations

from aws_lambda_powertools.metrics import MetricUnit

from earnloop.codes.events import ScanClaimed
from earnloop.platform.clock import utcnow
from earnloop.platform.errors import LimitReachedError
from earnloop.platform.observability import logger, metrics
from earnloop.platform.workers import queue_worker
from earnloop.points.comment_rewards import CommentAdded, earn_for_comment
from earnloop.points.earning_rules import SCAN, rule_command
from earnloop.points.events import PointsChanged
from earnloop.points.like_rewards import PostLiked, earn_for_like
from earnloop.points.models import Outcome
from earnloop.points.post_rewards import PostPublished, PostTakenDown, claw_back, earn_for_post
from earnloop.points.risk_freeze import freeze_on_flag
from earnloop.points.risk_ranks import RiskRankChanged, record_risk_rank
from earnloop.points.service import Ledger
from earnloop.points.sharing_rewards import ReferralAccepted, ShareRewarded, earn_for_referral, earn_for_share
from earnloop.points.wakeup_gift import SegmentChanged, gift_on_sleep
from earnloop.risk.events import RiskFlagged


def _issued(outcomes: list[Outcome]) -> None:
    points = sum(o.entry.delta for o in outcomes if o.status == "applied" and o.entry is not None)
    if points:
        metrics.add_metric(name="PointsIssued", unit=MetricUnit.Count, value=points)


def credit_scan(event: ScanClaimed, ledger: Ledger | None = None) -> None:
    """Credits a claimed scan with txn id `scan#<code>`; held while the account is frozen."""
    if event.points <= 0:
        logger.warning("scan without points ignored", extra={"scan_id": event.scan_id})
        return
    ledger = ledger or Ledger.default()
    command = rule_command(
        SCAN,
        txn_id=f"scan#{event.code}",
        user_id=event.user_id,
        reason="scan",
        reference=event.scan_id,
        points=event.points,
    )
    if command is None:
        # The rule is off (logged). The claim stays uncredited, so the codes sweep delivers it
        # again: it is credited once the rule is back on (docs/decisions.md, 2026-12-02).
        return
    try:
        outcome = ledger.credit(command, utcnow())
    except LimitReachedError:
        # Over the scan rule's cap today: credited by a later delivery of the sweep, on a day with room.
        logger.info("scan credit over the daily cap, deferred", extra={"scan_id": event.scan_id})
        return
    _issued([outcome])
    logger.info(
        "scan credit",
        extra={"scan_id": event.scan_id, "user_id": event.user_id, "outcome": outcome.status},
    )


def release_on_unfreeze(event: PointsChanged, ledger: Ledger | None = None) -> None:
    """On an unfreeze entry: credits the earns held while the account was frozen."""
    if event.entry_type != "unfreeze":
        logger.warning("points change not for this worker", extra={"entry_type": event.entry_type})
        return
    outcomes = (ledger or Ledger.default()).release_holds(event.user_id, utcnow())
    _issued(outcomes)
    logger.info("holds released", extra={"user_id": event.user_id, "count": len(outcomes)})


lambda_handler = queue_worker(
    {
        ScanClaimed.detail_type: (ScanClaimed, credit_scan),
        PointsChanged.detail_type: (PointsChanged, release_on_unfreeze),
        PostPublished.detail_type: (PostPublished, earn_for_post),
        PostTakenDown.detail_type: (PostTakenDown, claw_back),
        PostLiked.detail_type: (PostLiked, earn_for_like),
        CommentAdded.detail_type: (CommentAdded, earn_for_comment),
        ShareRewarded.detail_type: (ShareRewarded, earn_for_share),
        ReferralAccepted.detail_type: (ReferralAccepted, earn_for_referral),
        SegmentChanged.detail_type: (SegmentChanged, gift_on_sleep),
        # A farming rule's flag freezes the account (points/risk_freeze.py).
        RiskFlagged.detail_type: (RiskFlagged, freeze_on_flag),
        # WeChat's risk rank onto the account: a risky user's earns are pending (points/risk_ranks.py).
        RiskRankChanged.detail_type: (RiskRankChanged, record_risk_rank),
    }
)
