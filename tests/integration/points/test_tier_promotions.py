"""A promotion end to end under moto: the points worker pays the crossing earn at the old tier and
stores the promotion; the stream publisher derives one TierChanged; the identity workers show the
tier on `/v1/me` and at login and put a `tier_promoted` note in the inbox; `/v1/points` shows it."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import TYPE_CHECKING

from earnloop.platform import aws
from earnloop.points.models import EarnCommand
from earnloop.points.service import Ledger
from earnloop.points.store import PointsStore, account_key

from tests.integration.points.points_harness import EARN_SAMPLE
from tests.support.lambdas import call_http, drain, invoke, pump_stream, sample_body, sqs_event, stored

if TYPE_CHECKING:
    from collections.abc import Callable, Sequence

    from earnloop.platform.dynamo import TxAction
    from earnloop.points.models import Posting

SEEDED = datetime(2026, 11, 1, 4, 0, tzinfo=UTC)


def scan_for(user_id: str, code: str, points: int) -> dict:
    """The sample ScanClaimed for `user_id` with its own code (txn id `scan#<code>`)."""
    body = sample_body(EARN_SAMPLE)
    return {**body, "detail": {**body["detail"], "user_id": user_id, "code": code, "points": points}}


def tier_events(queue_url: str) -> list[dict]:
    return [e for e in drain(queue_url) if e["detail-type"] == "TierChanged"]


def test_a_promotion_is_paid_after_the_crossing_earn_shown_everywhere_and_notified_once(moto_cloud):
    login = call_http("auth_login", body={"code": "dev:alice"}).json
    user_id, token = login["user"]["id"], login["token"]
    assert login["user"]["tier"] == "bronze"
    # Points from before (not a rule earn: no multiplier); 990 lifetime.
    Ledger.default().earn(EarnCommand(txn_id="seed", user_id=user_id, points=990, reason="seed"), SEEDED)

    crossing, next_one = scan_for(user_id, "C1", 50), scan_for(user_id, "C2", 50)
    assert invoke("points_earn", sqs_event(EARN_SAMPLE, crossing)) == {"batchItemFailures": []}
    # Redelivered with the next scan: the crossing earn is not paid again, the next is paid at silver.
    assert invoke("points_earn", sqs_event(EARN_SAMPLE, crossing, next_one)) == {"batchItemFailures": []}

    entries = {e.txn_id: e for e in PointsStore.default().entries(user_id)}
    assert (entries["scan#C1"].delta, entries["scan#C1"].tier, entries["scan#C1"].multiplier) == (
        50,
        "bronze",
        Decimal("1"),
    )
    assert (entries["scan#C2"].delta, entries["scan#C2"].base_points, entries["scan#C2"].tier) == (
        60,
        50,
        "silver",
    )
    account = stored(moto_cloud.settings.table_name("points"), account_key(user_id))
    assert account is not None
    assert (account["balance"], account["lifetime_earned"], account["tier"], account["tier_from"]) == (
        1100,
        1100,
        "silver",
        "bronze",
    )

    # Three account writes (seed, crossing, next), one crossing: one TierChanged to each queue.
    pump_stream(moto_cloud.streams["points"])
    [to_tags], [to_notify] = (
        tier_events(moto_cloud.queues["tags"].main),
        tier_events(moto_cloud.queues["notify"].main),
    )
    assert to_tags["detail"] == {
        **to_tags["detail"],
        "user_id": user_id,
        "from_tier": "bronze",
        "to_tier": "silver",
        "lifetime_earned": 1040,
        "changed_at": entries["scan#C1"].created_at,
    }
    # The stream handed over again (at-least-once) and every message delivered twice: told once.
    pump_stream(moto_cloud.streams["points"])
    [again] = tier_events(moto_cloud.queues["notify"].main)
    tags_event = sqs_event("sqs/profile_tags.json", to_tags, to_tags)
    assert invoke("profile_tags", tags_event) == {"batchItemFailures": []}
    notify_event = sqs_event("sqs/notify_inbox.json", to_notify, again)
    assert invoke("notify_inbox", notify_event) == {"batchItemFailures": []}

    assert call_http("me_get", token=token).json["tier"] == "silver"
    assert call_http("auth_login", body={"code": "dev:alice"}).json["user"]["tier"] == "silver"
    points = call_http("points_get", token=token).json
    assert (points["tier"], points["lifetime_earned"]) == ("silver", 1100)
    history = {i["txn_id"]: i for i in call_http("points_history", token=token).json["items"]}
    assert history["scan#C2"] == {**history["scan#C2"], "delta": 60, "base_points": 50, "multiplier": 1.2}
    assert "base_points" not in history["seed"] and "multiplier" not in history["seed"]
    notes = [
        n for n in call_http("notifications_list", token=token).json["items"] if n["kind"] == "tier_promoted"
    ]
    assert len(notes) == 1
    assert notes[0]["ref"] == {"type": "points", "id": "silver"} and "银卡" in notes[0]["text"]


def test_a_late_lower_promotion_never_lowers_the_tier_shown(moto_cloud):
    """Promotions travel on a queue without order: gold arrives before silver."""
    user_id = "01JDQ3Z8V7X6M5N4B3C2A1Z0YX"
    token = moto_cloud.token(user_id)

    def promoted(to_tier: str, from_tier: str, lifetime: int) -> dict:
        body = sample_body("sqs/profile_tags.json")
        detail = {
            "user_id": user_id,
            "from_tier": from_tier,
            "to_tier": to_tier,
            "lifetime_earned": lifetime,
            "changed_at": "2026-11-23T09:00:00.000Z",
        }
        return {**body, "source": "earnloop.points", "detail-type": "TierChanged", "detail": detail}

    gold, silver = promoted("gold", "silver", 5010), promoted("silver", "bronze", 1010)
    assert invoke("profile_tags", sqs_event("sqs/profile_tags.json", gold, silver, gold)) == {
        "batchItemFailures": []
    }
    assert call_http("me_get", token=token).json["tier"] == "gold"


class RivalFirst(PointsStore):
    """The real store, with another worker's earn committed between our read and our first write."""

    def __init__(self, table: str, rival: Callable[[], object]) -> None:
        super().__init__(aws.dynamodb(), table)
        self._rival: Callable[[], object] | None = rival

    def commit(self, posting: Posting, checks: Sequence[TxAction] = ()) -> None:
        rival, self._rival = self._rival, None
        if rival is not None:
            rival()
        super().commit(posting, checks)


def test_an_earn_that_lost_its_race_to_a_promotion_is_paid_at_the_new_tier_once(moto_cloud):
    user = "01JDQ3Z8V7X6M5N4B3C2A1Z0YX"
    Ledger.default().earn(EarnCommand(txn_id="seed", user_id=user, points=990, reason="seed"), SEEDED)
    rival = EarnCommand(txn_id="scan#rival", user_id=user, points=20, reason="scan", tiered=True)
    mine = EarnCommand(txn_id="scan#mine", user_id=user, points=10, reason="scan", tiered=True)
    store = RivalFirst(moto_cloud.settings.table_name("points"), lambda: Ledger.default().earn(rival, SEEDED))
    racing = Ledger(store, pause=lambda attempt: None)

    outcome = racing.earn(mine, SEEDED)
    # Redelivered, both: nothing more.
    assert (
        racing.earn(mine, SEEDED).status == Ledger.default().earn(rival, SEEDED).status == "already_applied"
    )

    entries = {e.txn_id: e for e in PointsStore.default().entries(user)}
    assert (entries["scan#rival"].delta, entries["scan#rival"].tier) == (20, "bronze")
    assert outcome.entry is not None and outcome.entry == entries["scan#mine"]
    assert (
        outcome.entry.delta,
        outcome.entry.base_points,
        outcome.entry.tier,
        outcome.entry.balance_after,
    ) == (
        12,
        10,
        "silver",
        1022,
    )
    account = PointsStore.default().account(user)
    assert (account.balance, account.lifetime_earned, account.tier, account.version) == (
        1022,
        1022,
        "silver",
        3,
    )
