"""A like/unlike storm on one post, on DynamoDB Local (moto's transactions are not thread-safe):
whatever the interleaving, each shard's count equals its like items that are liked."""

from __future__ import annotations

import random
import threading
from datetime import UTC, datetime
from typing import TYPE_CHECKING

import pytest
from earnloop.content import likes_service, posts_service
from earnloop.content.context import CONTEXT as CONTENT
from earnloop.content.likes_store import LikesStore, count_keys, like_partition, shard_of
from earnloop.content.posts_models import PostCreate
from earnloop.content.posts_store import PostsStore
from earnloop.identity.models import User
from earnloop.moderation.local import LocalModeration
from earnloop.moderation.words import WordLists
from earnloop.platform.dynamo import marshal, unmarshal

from tests.support.races import fresh_table, race_client

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient

NOW = datetime(2026, 12, 2, 9, 0, tzinfo=UTC)
THREADS = 4
OPS_PER_THREAD = 4


class Profiles:
    def get_user(self, user_id: str) -> User:
        return User(user_id=user_id, created_at="2026-11-23T00:00:00.000Z")


@pytest.fixture
def ddb(dynamodb_local: str) -> DynamoDBClient:
    return race_client(dynamodb_local, THREADS * 2)


def liked_in_shard(ddb: DynamoDBClient, table: str, post_id: str, shard: int) -> int:
    items = ddb.query(
        TableName=table,
        KeyConditionExpression="pk = :pk AND begins_with(sk, :like)",
        ExpressionAttributeValues=marshal({":pk": like_partition(post_id, shard), ":like": "LIKE#"}),
        ConsistentRead=True,
    )["Items"]
    return sum(1 for i in map(unmarshal, items) if i["liked"] is True)


def test_a_like_storm_keeps_every_count_equal_to_its_likes(ddb) -> None:
    table = fresh_table(ddb, CONTENT.table)
    posts, likes = PostsStore(ddb, table), LikesStore(ddb, table)
    checker = LocalModeration(WordLists.of([], []))
    post = posts_service.create_post(posts, Profiles(), checker, PostCreate(text="bowl"), "alice", None, NOW)
    # Likers crowded into one shard, so every transaction touches the same counter item.
    crowd = [u for u in (f"user-{i}" for i in range(400)) if shard_of(u) == 0][:6]
    failures: list[BaseException] = []
    start = threading.Barrier(THREADS)

    def storm(seed: int) -> None:
        rng = random.Random(seed)
        start.wait()
        try:
            for _ in range(OPS_PER_THREAD):
                likes_service.set_like(posts, likes, post.post_id, rng.choice(crowd), rng.random() < 0.6, NOW)
        except BaseException as error:
            failures.append(error)

    threads = [threading.Thread(target=storm, args=(seed,)) for seed in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert not failures, failures
    counters = likes.batch_get(count_keys(post.post_id), consistent=True)
    # Only shard 0 was liked in; its count is its liked items, whatever the interleaving.
    assert [(k[0], int(v["like_count"])) for k, v in counters.items()] == [
        (like_partition(post.post_id, 0), liked_in_shard(ddb, table, post.post_id, 0))
    ]
