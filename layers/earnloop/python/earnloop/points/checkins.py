"""Daily check-ins: once per business day (Asia/Shanghai); the streak grows on consecutive days and
starts again at 1 after a missed day; day `checkin_bonus_day` of a streak, and every multiple of it
(the cycle restarts, so a long streak keeps a weekly bonus), pays the rule's points times
`checkin_bonus_multiplier`, never more than the rule's daily cap.

One write: the ledger transaction of the earn (`checkin#<user>#<day>`, the `checkin` rule, tiered
like every rule earn) carries the day's `CHECKIN#<day>` item (condition: not there yet, so a second
check-in the same day, even a concurrent one, is 409 `limit_reached` and earns nothing) and a
ConditionCheck that yesterday's item is as read (the streak was computed from it). While the rule
is off the check-in is still recorded (streak kept, 0 points). A frozen account cannot check in
(423): a check-in is the user's own act, answered now, unlike the earns of events that are held.

Items on the account's partition `ACCT#<user>`: `CHECKIN#<YYYY-MM-DD>` (entity CheckIn) with the
streak and the rule's points of that day; a TTL removes it after `CHECKIN_RETENTION_DAYS` (only
yesterday's is ever read). Its stream record derives `CheckedIn`.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, ConfigDict

from earnloop.platform.clock import BUSINESS_TZ, business_day, iso
from earnloop.platform.dynamo import TxAction, marshal, transact, unmarshal
from earnloop.platform.errors import AccountFrozenError, ConcurrencyError, LimitReachedError
from earnloop.platform.observability import logger
from earnloop.platform.settings import get_settings
from earnloop.points.earning_rules import earning_rule, rule_command
from earnloop.points.store import account_not_frozen_check

if TYPE_CHECKING:
    from collections.abc import Mapping

    from mypy_boto3_dynamodb import DynamoDBClient

    from earnloop.points.service import Ledger

CHECKIN_RULE = "checkin"
CHECKIN_RETENTION_DAYS = 40


class CheckIn(BaseModel):
    """One day's check-in as stored. `points`: what the rule paid that day (before a tier's
    multiplier), 0 while the rule was off."""

    model_config = ConfigDict(frozen=True)

    user_id: str
    day: date
    streak: int
    points: int
    checked_in_at: str


class CheckInResult(BaseModel):
    """`POST /v1/checkins`: the streak after today's check-in and the points it credited."""

    streak: int
    points: int


def checkin_txn_id(user_id: str, day: date) -> str:
    return f"checkin#{user_id}#{day.isoformat()}"


def checkin_key(user_id: str, day: date) -> dict[str, str]:
    return {"pk": f"ACCT#{user_id}", "sk": f"CHECKIN#{day.isoformat()}"}


def next_streak(yesterday: CheckIn | None) -> int:
    """Yesterday's streak plus one; 1 after a missed day (or the first check-in)."""
    return yesterday.streak + 1 if yesterday is not None else 1


def day_points(base: int, streak: int, bonus_day: int, multiplier: int, cap: int | None) -> int:
    """The rule's points for the `streak`-th consecutive day: the bonus on every `bonus_day`-th."""
    points = base * multiplier if streak % bonus_day == 0 else base
    return min(points, cap) if cap is not None else points


def _already(_: Mapping[str, Any]) -> Exception:
    return LimitReachedError("already checked in today")


def _yesterday_moved(_: Mapping[str, Any]) -> Exception:
    # Yesterday's check-in committed after we read it (a check-in across midnight): read again.
    return ConcurrencyError("check-in changed meanwhile, please retry")


def _frozen(_: Mapping[str, Any]) -> Exception:
    return AccountFrozenError("points account is frozen")


class CheckInStore:
    def __init__(self, ddb: DynamoDBClient, table_name: str) -> None:
        self._ddb = ddb
        self._table = table_name

    def get(self, user_id: str, day: date) -> CheckIn | None:
        response = self._ddb.get_item(
            TableName=self._table, Key=marshal(checkin_key(user_id, day)), ConsistentRead=True
        )
        item = response.get("Item")
        return CheckIn.model_validate(unmarshal(item)) if item else None

    def actions(self, today: CheckIn, yesterday: CheckIn | None) -> list[TxAction]:
        """Today's item (only if absent) and the check that yesterday's is the one the streak used."""
        expires = datetime.combine(today.day + timedelta(days=CHECKIN_RETENTION_DAYS), time.max, BUSINESS_TZ)
        item = {
            **checkin_key(today.user_id, today.day),
            "entity": "CheckIn",
            **today.model_dump(mode="json"),
            "expires_at": int(expires.timestamp()),
        }
        previous_key = marshal(checkin_key(today.user_id, today.day - timedelta(days=1)))
        previous: dict[str, Any] = (
            {"ConditionExpression": "attribute_not_exists(pk)"}
            if yesterday is None
            else {
                "ConditionExpression": "#streak = :streak",
                "ExpressionAttributeNames": {"#streak": "streak"},
                "ExpressionAttributeValues": marshal({":streak": yesterday.streak}),
            }
        )
        return [
            TxAction(
                {
                    "Put": {
                        "TableName": self._table,
                        "Item": marshal(item),
                        "ConditionExpression": "attribute_not_exists(pk)",
                    }
                },
                on_condition_failed=_already,
            ),
            TxAction(
                {"ConditionCheck": {"TableName": self._table, "Key": previous_key, **previous}},
                on_condition_failed=_yesterday_moved,
            ),
        ]

    def record(self, today: CheckIn, yesterday: CheckIn | None) -> None:
        """The check-in alone (the rule is off), still refused while the account is frozen."""
        frozen_check = TxAction(account_not_frozen_check(self._table, today.user_id), _frozen)
        transact(self._ddb, [*self.actions(today, yesterday), frozen_check])


def check_in(user_id: str, now: datetime, ledger: Ledger, store: CheckInStore) -> CheckInResult:
    """Today's check-in of `user_id`.

    Raises:
        LimitReachedError: already checked in this business day.
        AccountFrozenError: the points account is frozen.
        ConcurrencyError: the account kept changing (the client may retry).
    """
    settings = get_settings()
    today = business_day(now)
    yesterday = store.get(user_id, today - timedelta(days=1))
    streak = next_streak(yesterday)
    rule = earning_rule(CHECKIN_RULE)
    points = day_points(
        rule.points or 0,
        streak,
        settings.checkin_bonus_day,
        settings.checkin_bonus_multiplier,
        rule.daily_cap,
    )
    command = rule_command(
        CHECKIN_RULE,
        txn_id=checkin_txn_id(user_id, today),
        user_id=user_id,
        reason="checkin",
        reference=today.isoformat(),
        occurred_at=now,
        points=points,
    )
    record = CheckIn(
        user_id=user_id,
        day=today,
        streak=streak,
        points=points if command is not None else 0,
        checked_in_at=iso(now),
    )
    actions = store.actions(record, yesterday)
    if command is None:
        store.record(record, yesterday)
        logger.info("check-in, rule off", extra={"user_id": user_id, "streak": streak})
        return CheckInResult(streak=streak, points=0)
    outcome = ledger.earn(command, now, checks=actions)
    if outcome.entry is None:
        # The earn's txn id is in the ledger but today's item was not: it was written, so this
        # is today's second check-in (the item's TTL is far beyond today).
        raise LimitReachedError("already checked in today")
    # What the earn credited, a debt it repaid included (and a tier's multiplier, once applied).
    credited = outcome.entry.delta - (outcome.entry.debt_delta or 0)
    logger.info("check-in", extra={"user_id": user_id, "streak": streak, "points": credited})
    return CheckInResult(streak=streak, points=credited)
