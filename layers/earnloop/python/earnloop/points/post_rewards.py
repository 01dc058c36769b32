"""Points for posting: a published post earns the `post` rule once, within a daily cap; a post
taken down by moderation gives back what it earned.

Earn: txn id `post#<post>`, the `post` earning rule's points (points/earning_rules.py: editable by
admins; nothing while it is off), at most its daily cap per business day of publication (an earn
over the cap is dropped, not deferred), held while the account is frozen like every earn.

Clawback: txn id `clawback#<post>`, an `adjust` entry. It takes back what the earn credited plus
what it repaid of an earlier debt (the points the post earned), as far as the balance goes,
oldest buckets first; what the balance cannot cover (the points were spent) becomes the account's
`debt`, recorded on the entry as `debt_delta`. Later earns repay the debt before they add to the
balance (`rules.plan_earn`), so `balance == sum(buckets) == sum(entry deltas)` and `balance >= 0`
always hold, and the debt is `sum(debt_delta)`.

Order. The two events travel on one queue without order: a takedown may be handled before the
publication's earn. The clawback therefore always writes its entry (with 0 points when nothing
was earned yet) and the earn commits only while no clawback entry exists (a ConditionCheck in
its transaction), so a late earn is refused and nothing is credited for a post taken down.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from earnloop.platform.clock import iso, parse_iso, utcnow
from earnloop.platform.errors import LimitReachedError
from earnloop.platform.events import DomainEvent
from earnloop.platform.observability import logger
from earnloop.platform.settings import get_settings
from earnloop.points.earning_rules import DEFAULTS, RuleName, rule_command
from earnloop.points.models import Account, LedgerEntry, Posting
from earnloop.points.rules import apply_deltas, earliest, take_oldest_first
from earnloop.points.service import Ledger
from earnloop.points.store import entry_absent_check

if TYPE_CHECKING:
    from collections.abc import Mapping
    from datetime import datetime

    from earnloop.points.store import PointsStore

POST_RULE: RuleName = "post"
# The rule's defaults; what applies now is `earning_rule(POST_RULE)` (admins may change it).
POST_POINTS: int = DEFAULTS[POST_RULE].points or 0
POST_DAILY_CAP: int = DEFAULTS[POST_RULE].daily_cap or 0


class PostPublished(DomainEvent):
    """From the content context (only the fields read here)."""

    source = "earnloop.content"
    detail_type = "PostPublished"

    post_id: str
    author_id: str
    published_at: str


class PostTakenDown(DomainEvent):
    source = "earnloop.content"
    detail_type = "PostTakenDown"

    post_id: str
    author_id: str


class ClawedBackError(Exception):
    """The post was taken down before its earn was credited."""


def post_txn_id(post_id: str) -> str:
    return f"post#{post_id}"


def clawback_txn_id(post_id: str) -> str:
    return f"clawback#{post_id}"


def earned_by(entry: LedgerEntry | None) -> int:
    """The points a post's earn entry earned: what it credited plus what it repaid of a debt."""
    if entry is None:
        return 0
    return entry.delta - (entry.debt_delta or 0)


def plan_clawback(account: Account, post_id: str, amount: int, now: datetime) -> Posting:
    """Takes `amount` back: from the balance, oldest buckets first, as far as it goes; the rest
    becomes debt. With `amount` 0 the entry only marks the post as taken down."""
    take = min(amount, account.balance)
    deltas = take_oldest_first(account.buckets, take) if take else {}
    debt = amount - take
    entry = LedgerEntry(
        txn_id=clawback_txn_id(post_id),
        user_id=account.user_id,
        entry_type="adjust",
        delta=-take,
        balance_after=account.balance - take,
        buckets={d.isoformat(): v for d, v in sorted(deltas.items())},
        reason="post taken down",
        actor="moderation",
        reference=post_id,
        created_at=iso(now),
        debt_delta=debt or None,
    )
    return Posting(
        account=account,
        entry=entry,
        bucket_deltas=deltas,
        emptied=frozenset(d for d, v in deltas.items() if account.buckets.get(d, 0) + v <= 0),
        next_expiry=earliest(apply_deltas(account.buckets, deltas)),
        debt_delta=debt,
    )


def _clawed_back(_: Mapping[str, Any]) -> Exception:
    return ClawedBackError()


def earn_for_post(event: PostPublished, ledger: Ledger | None = None) -> None:
    """Credits the post rule once per post (`post#<post>`), within the daily cap; nothing once
    the post was taken down."""
    ledger = ledger or Ledger.default()
    command = rule_command(
        POST_RULE,
        txn_id=post_txn_id(event.post_id),
        user_id=event.author_id,
        reason="post",
        reference=event.post_id,
        occurred_at=parse_iso(event.published_at),
    )
    if command is None:  # the rule is off (logged)
        return
    table = get_settings().table_name("points")
    check = entry_absent_check(table, event.author_id, clawback_txn_id(event.post_id), _clawed_back)
    try:
        outcome = ledger.credit(command, utcnow(), checks=[check])
    except LimitReachedError:
        logger.info("post earn over the daily cap", extra={"post_id": event.post_id})
        return
    except ClawedBackError:
        logger.info("post taken down before its earn", extra={"post_id": event.post_id})
        return
    logger.info("post earn", extra={"post_id": event.post_id, "outcome": outcome.status})


def claw_back(event: PostTakenDown, ledger: Ledger | None = None) -> None:
    """Takes back what the post earned (once: `clawback#<post>`); what is spent becomes debt."""
    ledger = ledger or Ledger.default()
    store: PointsStore = ledger.store  # type: ignore[assignment]
    earn_txn = post_txn_id(event.post_id)
    # An earn held while the account is frozen is not credited yet: it never will be.
    store.delete_hold(event.author_id, earn_txn)
    now = utcnow()
    earned = 0

    def plan(account: Account) -> Posting:
        # Read inside the plan: an earn that commits between our read and our write changes the
        # account's version, our write fails, and the next attempt sees the earn.
        nonlocal earned
        earned = earned_by(store.entry(event.author_id, earn_txn))
        return plan_clawback(account, event.post_id, earned, now)

    outcome = ledger.apply(event.author_id, clawback_txn_id(event.post_id), plan)
    logger.info(
        "post clawback", extra={"post_id": event.post_id, "points": earned, "outcome": outcome.status}
    )
