"""A comment's transaction meets other writers on its post's counter and on its risk counters: a
lost race (nothing written) is tried again, and its attempt is counted once, only by the write that
committed. Fakes stand in for the table, the profiles and moderation (no clock, no cloud)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import pytest
from earnloop.content import comments_service
from earnloop.content.posts_models import Author, Comment, Post
from earnloop.identity.models import User
from earnloop.moderation.verdicts import TextVerdict
from earnloop.platform.dynamo import TransactionConflictError
from earnloop.risk.attempts import Attempt
from earnloop.risk.windows import Gate, SlidingWindow

NOW = datetime(2026, 12, 2, 9, tzinfo=UTC)


@dataclass
class Table:
    """The posts store's comment write, losing its first `conflicts` races as DynamoDB reports them."""

    conflicts: int
    comments: list[tuple[Comment, tuple[Any, ...]]] = field(default_factory=list)
    tries: int = 0

    def get_post(self, post_id: str) -> Post:
        return Post(
            post_id=post_id,
            author=Author(id="alice"),
            text="my bowl",
            status="published",
            created_at="2026-12-02T08:00:00.000Z",
        )

    def add_comment(self, comment: Comment, post_author_id: str, counting: Any = ()) -> None:
        self.tries += 1
        if self.tries <= self.conflicts:
            raise TransactionConflictError()
        self.comments.append((comment, tuple(counting)))


class People:
    def get_user(self, user_id: str) -> User:
        return User(user_id=user_id, nickname="Bob", created_at="2026-11-01T00:00:00.000Z")


class Passes:
    def check_text(self, text: str, *, openid: str | None) -> TextVerdict:
        return TextVerdict(outcome="pass", provider="fake")


def comment(table: Table, attempt: Attempt) -> None:
    comments_service.add_comment(
        table,  # type: ignore[arg-type]
        People(),
        Passes(),
        "01JDAAAAAAAAAAAAAAAAAAAAAA",
        "bob",
        "yum",
        NOW,
        attempt=attempt,
    )


def test_a_comment_that_lost_a_race_is_tried_again_and_counted_once_it_commits() -> None:
    table = Table(conflicts=2)
    attempt = Attempt("content", Gate("comment", SlidingWindow(), ()))

    comment(table, attempt)

    assert table.tries == 3 and len(table.comments) == 1
    assert attempt.is_counted


def test_a_comment_that_keeps_losing_is_a_conflict_and_leaves_its_attempt_to_its_own_count() -> None:
    table = Table(conflicts=comments_service.COMMIT_ATTEMPTS)
    attempt = Attempt("content", Gate("comment", SlidingWindow(), ()))

    with pytest.raises(TransactionConflictError):
        comment(table, attempt)

    assert table.tries == comments_service.COMMIT_ATTEMPTS and table.comments == []
    assert not attempt.is_counted  # Limiter.attempt charges it by the counters' own writes
