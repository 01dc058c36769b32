"""New users arriving at once through one referrer's link, on DynamoDB Local (moto's transactions
are not thread-safe): the referrer's daily limit is never exceeded, each new user is judged once,
and the share pays off once."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

from earnloop.platform.dynamo import unmarshal
from earnloop.platform.errors import ConcurrencyError
from earnloop.sharing import service
from earnloop.sharing.context import CONTEXT as SHARING
from earnloop.sharing.models import Share
from earnloop.sharing.store import SharingStore
from earnloop.sharing.tokens import ShareKeys, sign

from tests.support.races import fresh_table, race_client

NOW = datetime(2026, 12, 2, 9, 0, tzinfo=UTC)
KEYS = ShareKeys.from_secret({"current": "A", "A": "k" * 32})
SHARE_ID = "01JDQ40M2X7V6B5N4M3K2J1H0G"
THREADS = 4
LIMIT = 2


def test_concurrent_registrations_never_exceed_the_referrers_daily_limit(dynamodb_local: str) -> None:
    ddb = race_client(dynamodb_local, THREADS)
    table = fresh_table(ddb, SHARING.table)
    store = SharingStore(ddb, table)
    store.put_share(
        Share(
            share_id=SHARE_ID,
            sharer_id="li",
            target_type="post",
            target_id="P1",
            created_at="2026-12-02T08:00:00.000Z",
            token_expires_at="2027-01-01T08:00:00.000Z",
        )
    )
    token = sign(KEYS, SHARE_ID, "li", NOW + timedelta(days=30))
    start = threading.Barrier(THREADS)
    conflicts: list[int] = []

    def register(index: int) -> None:
        start.wait()
        for _attempt in range(20):  # SQS redelivers a message whose transaction lost a race
            try:
                service.judge_registration(store, KEYS, f"new-{index}", token, NOW, NOW, limit=lambda: LIMIT)
                return
            except ConcurrencyError:
                conflicts.append(index)
        raise AssertionError("never judged")

    threads = [threading.Thread(target=register, args=(i,)) for i in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    items = [unmarshal(i) for i in ddb.scan(TableName=table, ConsistentRead=True)["Items"]]
    referrals = {i["referee_id"]: i for i in items if i["entity"] == "Referral"}
    assert len(referrals) == THREADS
    accepted = [r for r in referrals.values() if r["status"] == "accepted"]
    refused = [r for r in referrals.values() if r["status"] == "refused"]
    assert len(accepted) == LIMIT
    assert {r["reason"] for r in refused} == {"over_cap"}
    [counter] = [i for i in items if i["entity"] == "ReferralCount"]
    assert counter["referrals"] == LIMIT
    [share] = [i for i in items if i["entity"] == "Share"]
    assert share["trigger"] == "login" and share["friend_id"].startswith("new-")
