"""Races on one post, on DynamoDB Local (moto's transactions are not thread-safe): a post created
while its media become ready, two images ready at once, reporters reporting at once."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

import pytest
from earnloop.content import posts_service, reports_service
from earnloop.content.context import CONTEXT as CONTENT
from earnloop.content.media_models import Media
from earnloop.content.media_store import MediaStore, Outcome
from earnloop.content.posts_models import PostCreate
from earnloop.content.posts_store import PostsStore
from earnloop.identity.models import User
from earnloop.moderation.local import LocalModeration
from earnloop.moderation.words import WordLists
from earnloop.platform.errors import ConcurrencyError, NotFoundError
from earnloop.platform.ids import new_id

from tests.support.races import fresh_table, race_client, run_together

if TYPE_CHECKING:
    from collections.abc import Callable

    from mypy_boto3_dynamodb import DynamoDBClient

NOW = datetime(2026, 12, 2, 9, 0, tzinfo=UTC)
THREADS = 8
CHECKER = LocalModeration(WordLists.of([], []))


class Profiles:
    def get_user(self, user_id: str) -> User:
        return User(user_id=user_id, nickname=f"{user_id}'s name", created_at="2026-11-23T00:00:00.000Z")


@pytest.fixture
def ddb(dynamodb_local: str) -> DynamoDBClient:
    return race_client(dynamodb_local, THREADS * 2)


@pytest.fixture
def table(ddb: DynamoDBClient) -> str:
    return fresh_table(ddb, CONTENT.table)


def new_media(media: MediaStore, owner: str) -> str:
    media_id = new_id()
    item = Media(
        media_id=media_id,
        owner_id=owner,
        kind="image",
        declared_type="image/jpeg",
        declared_size=1000,
        created_at="2026-12-02T09:00:00.000Z",
    )
    media.create(item, NOW, per_hour=10_000)
    return media_id


def redelivered(step: Callable[[], Any], times: int = 5) -> Any:
    """`step` as a queue runs it: a step that keeps losing its race (ConcurrencyError) fails its
    message, and SQS delivers it again."""
    for _ in range(times - 1):
        try:
            return step()
        except ConcurrencyError:
            continue
    return step()


def becomes_ready(media: MediaStore, posts: PostsStore, media_id: str) -> None:
    """The media worker's write, then (once its event arrives) the posts worker's step."""
    renditions = {"display": f"media/{media_id}/d.jpg", "thumb": f"media/{media_id}/t.jpg"}
    assert media.record(
        media_id, Outcome("ready", renditions=renditions, moderation="pass"), "2026-12-02T09:00:01Z"
    )
    update = {"status": "ready", "moderation": "pass", "renditions": renditions}
    redelivered(lambda: posts_service.apply_media_outcome(posts, media_id, update, NOW))


def test_a_post_created_while_its_media_become_ready_is_published_whichever_wins(ddb, table) -> None:
    posts, media = PostsStore(ddb, table), MediaStore(ddb, table)
    for _ in range(10):
        media_id = new_media(media, "alice")
        body = PostCreate(text="bowl", media_ids=[media_id])

        post, _ = run_together(
            [
                lambda b=body: posts_service.create_post(posts, Profiles(), CHECKER, b, "alice", None, NOW),
                lambda m=media_id: becomes_ready(media, posts, m),
            ]
        )

        stored = posts.get_post(post.post_id, consistent=True)
        assert stored is not None
        assert stored.status == "published", stored
        assert stored.media[0].renditions["display"] == f"media/{media_id}/d.jpg"


def test_images_ready_at_the_same_moment_are_all_recorded(ddb, table) -> None:
    posts, media = PostsStore(ddb, table), MediaStore(ddb, table)
    ids = [new_media(media, "alice") for _ in range(THREADS)]
    post = posts_service.create_post(
        posts, Profiles(), CHECKER, PostCreate(text="bowl", media_ids=ids), "alice", None, NOW
    )
    assert post.status == "pending"

    run_together([lambda m=m: becomes_ready(media, posts, m) for m in ids])

    stored = posts.get_post(post.post_id, consistent=True)
    assert stored is not None and stored.status == "published"
    assert all(m.status == "ready" for m in stored.media)


def test_reporters_at_the_same_moment_are_each_counted_once(ddb, table) -> None:
    posts = PostsStore(ddb, table)
    post = posts_service.create_post(posts, Profiles(), CHECKER, PostCreate(text="bowl"), "alice", None, NOW)
    reporters = [f"r{i}" for i in range(THREADS)]

    sent = run_together(
        [
            # A reporter whose request kept losing its race (409) sends it again.
            lambda r=r: redelivered(
                lambda: reports_service.report_post(posts, post.post_id, r, "spam", 100, NOW)
            )
            for r in reporters * 2
        ]
    )

    stored = posts.get_post(post.post_id, consistent=True)
    assert stored is not None
    assert (stored.status, stored.report_count) == ("published", THREADS)
    assert not any(sent)


def test_reporters_crossing_the_threshold_together_send_the_post_to_review_once(ddb, table) -> None:
    posts = PostsStore(ddb, table)
    post = posts_service.create_post(posts, Profiles(), CHECKER, PostCreate(text="bowl"), "alice", None, NOW)

    def report(reporter: str) -> str:
        try:
            sent = redelivered(
                lambda: reports_service.report_post(posts, post.post_id, reporter, "spam", 3, NOW)
            )
        except NotFoundError:
            return "hidden"  # it went to review first: a reader can no longer see (or report) it
        return "sent" if sent else "counted"

    outcomes = run_together([lambda r=r: report(r) for r in (f"r{i}" for i in range(THREADS))])

    stored = posts.get_post(post.post_id, consistent=True)
    assert stored is not None and stored.status == "in_review"
    assert outcomes.count("sent") == 1
    assert stored.report_count == outcomes.count("sent") + outcomes.count("counted") >= 3
