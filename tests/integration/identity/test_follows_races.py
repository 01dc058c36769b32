"""Follow and unfollow storms on one pair and on one followee, on DynamoDB Local (moto's
transactions are not thread-safe): the counters always equal the follow items."""

from __future__ import annotations

import random
import threading
from datetime import UTC, datetime
from typing import Any

from earnloop.identity import follows_service as service
from earnloop.identity.context import CONTEXT as IDENTITY
from earnloop.identity.follows_store import FollowStore
from earnloop.identity.models import User
from earnloop.identity.store import user_key
from earnloop.platform.dynamo import marshal, unmarshal
from earnloop.platform.errors import ConcurrencyError

from tests.support.races import fresh_table, race_client

NOW = datetime(2026, 12, 2, 9, 0, tzinfo=UTC)
LI = "01JDQ3Z8V7X6M5N4B3C2A1ZLI0"
FANS = [f"01JDQ3Z8V7X6M5N4B3C2A1F0{i:02d}" for i in range(3)]
THREADS = 6


def test_follow_unfollow_storms_keep_counts_equal_to_the_follow_items(dynamodb_local: str) -> None:
    ddb = race_client(dynamodb_local, THREADS)
    table = fresh_table(ddb, IDENTITY.table)
    for user_id in [LI, *FANS]:
        user = User(user_id=user_id, created_at="2026-11-23T00:00:00.000Z")
        ddb.put_item(
            TableName=table, Item=marshal({**user_key(user_id), "entity": "User", **user.model_dump()})
        )
    store = FollowStore(ddb, table)
    start = threading.Barrier(THREADS)
    outcomes: list[Any] = []

    def storm(seed: int) -> None:
        rng = random.Random(seed)
        start.wait()
        for _ in range(4):
            # Two threads per fan: the same pair followed and unfollowed at the same moments.
            fan = FANS[seed % len(FANS)]
            command = service.follow if rng.random() < 0.6 else service.unfollow
            try:
                outcomes.append(command(store, fan, LI, NOW))
            except ConcurrencyError:
                outcomes.append("gave up")

    threads = [threading.Thread(target=storm, args=(seed,)) for seed in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    items = [unmarshal(i) for i in ddb.scan(TableName=table, ConsistentRead=True)["Items"]]
    following = {i["pk"] for i in items if i["sk"].startswith("FOLLOWING#")}
    followers = {i["sk"] for i in items if i["sk"].startswith("FOLLOWER#")}
    profiles = {i["user_id"]: i for i in items if i["sk"] == "PROFILE"}
    assert True in outcomes and False in outcomes  # repeats happened, and were no-ops
    assert len(followers) == len(following)
    assert profiles[LI].get("follower_count", 0) == len(followers)
    for fan in FANS:
        assert profiles[fan].get("following_count", 0) == (1 if f"USER#{fan}" in following else 0)
