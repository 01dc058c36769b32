"""Use cases of posts: create (with text moderation and media claims), read, delete, and moving a
post on when its media are processed. Dependencies come in as arguments.

Every change of a post is a read followed by a write conditioned on the version read
(`PostsStore.save_post`), retried a few times: the media worker, the reporters, an admin and the
author may all move one post at the same moment, and none of their changes may be lost.
"""

from __future__ import annotations

import random
import time
from dataclasses import dataclass
from datetime import timedelta
from typing import TYPE_CHECKING, Literal, Protocol

from earnloop.content.posts_models import (
    Author,
    MediaPublic,
    Post,
    PostCreate,
    PostMedia,
    PostPublic,
)
from earnloop.content.posts_rules import body_fingerprint, check_media_mix, normalize_topics, settle
from earnloop.content.posts_store import (
    IdempotencyKeyTakenError,
    MediaClaim,
    MediaUnavailableError,
    PostRequest,
    PostsStore,
    StalePostError,
)
from earnloop.platform.clock import iso
from earnloop.platform.dynamo import TransactionConflictError
from earnloop.platform.errors import (
    ConcurrencyError,
    ForbiddenError,
    IdempotencyConflictError,
    NotFoundError,
    UnauthenticatedError,
    ValidationFailedError,
)
from earnloop.platform.ids import new_id
from earnloop.platform.observability import logger

if TYPE_CHECKING:
    from collections.abc import Callable, Mapping, Sequence
    from datetime import datetime
    from typing import Any

    from earnloop.identity.models import User
    from earnloop.moderation.verdicts import TextVerdict
    from earnloop.platform.dynamo import TxAction

ATTEMPTS = 8
# A removed post's item stays this long (the media area finds its media through it), then TTL.
REMOVED_RETENTION = timedelta(days=30)

VerdictOutcome = Literal["pass", "review", "reject"]


class TextChecker(Protocol):
    """What posts need of the moderation provider (`earnloop.moderation.Moderation`). A failed
    check raises (WeChatUnavailableError: 503): nothing is posted unchecked."""

    def check_text(self, text: str, *, openid: str | None) -> TextVerdict: ...


class Profiles(Protocol):
    def get_user(self, user_id: str) -> User | None: ...


@dataclass(frozen=True)
class Viewer:
    user_id: str | None
    is_admin: bool = False


def pause(attempt: int) -> None:
    """Full-jitter backoff after a lost race, so writers that collided spread out (as the ledger's)."""
    time.sleep(random.uniform(0, min(0.25, 0.005 * 2**attempt)))


def text_verdict(checker: TextChecker, text: str, openid: str | None) -> VerdictOutcome:
    """The provider's verdict on `text` (an empty text passes without a call)."""
    if not text.strip():
        return "pass"
    return checker.check_text(text, openid=openid).outcome


def create_post(
    store: PostsStore,
    profiles: Profiles,
    checker: TextChecker,
    body: PostCreate,
    user_id: str,
    idempotency_key: str | None,
    now: datetime,
) -> Post:
    """A new post, `pending` until its media are ready, or already published, in review or rejected.

    With an Idempotency-Key, the same key and body give the post made the first time.

    Raises:
        ValidationFailedError: no text and no media, a bad topic, a bad media mix, media that is
            not the caller's or belongs to another post or was rejected, a SKU never scanned.
        IdempotencyConflictError: the key was used with another body.
        UnauthenticatedError: the caller's user no longer exists.
    """
    media_ids = list(dict.fromkeys(body.media_ids))
    if not body.text.strip() and not media_ids:
        raise ValidationFailedError("a post needs text or media")
    topics = normalize_topics(body.topics)
    fingerprint = body_fingerprint(body)
    if idempotency_key is not None:
        earlier = _earlier(store, user_id, idempotency_key, fingerprint)
        if earlier is not None:
            return earlier
    user = profiles.get_user(user_id)
    if user is None:
        raise UnauthenticatedError("the user no longer exists")
    verdict = text_verdict(checker, body.text, user.wx_openid)
    author = Author(id=user_id, nickname=user.nickname, avatar_url=user.avatar_url)
    post_id = new_id()
    for attempt in range(ATTEMPTS):
        items = store.media_items(media_ids)
        media = [_post_media(items.get(m), m, user_id, post_id) for m in media_ids]
        check_media_mix(media)
        post = Post(
            post_id=post_id,
            author=author,
            text=body.text,
            topics=topics,
            sku=body.sku,
            media=media,
            status="pending",
            text_verdict=verdict,
            created_at=iso(now),
        )
        post = _settled(post, now)
        # A post rejected for its text claims nothing: its uploads stay free for a corrected post.
        claims = [] if verdict == "reject" else [MediaClaim(m.media_id, m.status) for m in media]
        request = (user_id, idempotency_key, PostRequest(fingerprint, post_id)) if idempotency_key else None
        try:
            store.create_post(post, claims, request, int(now.timestamp()))
        except (StalePostError, TransactionConflictError):
            pause(attempt)
            continue
        except IdempotencyKeyTakenError:
            # A concurrent request with the same key won: answer as it did.
            assert idempotency_key is not None
            earlier = _earlier(store, user_id, idempotency_key, fingerprint)
            if earlier is None:
                raise ConcurrencyError("the same request is being processed, please retry") from None
            return earlier
        logger.info(
            "post created",
            extra={"post_id": post_id, "status": post.status, "media": len(media), "verdict": verdict},
        )
        return post
    raise ConcurrencyError("media changed while the post was created, please retry")


def _earlier(store: PostsStore, user_id: str, key: str, fingerprint: str) -> Post | None:
    record = store.post_request(user_id, key)
    if record is None:
        return None
    if record.fingerprint != fingerprint:
        raise IdempotencyConflictError("this Idempotency-Key was used with another body")
    post = store.get_post(record.post_id, consistent=True)
    if post is None or post.status == "removed":
        raise NotFoundError("the post made with this Idempotency-Key is gone")
    return post


def _post_media(item: Mapping[str, Any] | None, media_id: str, user_id: str, post_id: str) -> PostMedia:
    """The post's view of a media item, checked to be claimable by this post."""
    if (
        item is None
        or item.get("owner_id") != user_id
        or item.get("post_id") not in (None, post_id)
        or item.get("status") == "rejected"
    ):
        raise MediaUnavailableError(
            f"media {media_id} is not yours, belongs to another post, or was rejected"
        )
    return PostMedia(
        media_id=media_id,
        kind=item["kind"],
        status=item.get("status", "pending"),
        moderation=item.get("moderation"),
        renditions=dict(item.get("renditions") or {}),
        width=item.get("width"),
        height=item.get("height"),
        duration_s=item.get("duration_s"),
    )


def _settled(post: Post, now: datetime) -> Post:
    """The post after `settle` (if it is pending), with the timestamps that go with its status."""
    if post.status != "pending":
        return post
    status, reason = settle(post)
    return _moved(post, status, reason, now)


def _moved(post: Post, status: str, reason: str | None, now: datetime) -> Post:
    update: dict[str, Any] = {"status": status, "reason": reason}
    if status == "published":
        update["published_at"] = post.published_at or iso(now)
        update["in_review_since"] = None
    elif status == "in_review":
        update["in_review_since"] = post.in_review_since or iso(now)
    else:
        update["in_review_since"] = None
    return post.model_copy(update=update)


def change_post(
    store: PostsStore,
    post_id: str,
    change: Callable[[Post], Post | None],
    *,
    expires_at: Callable[[Post], int | None] = lambda _: None,
    checks: Sequence[TxAction] = (),
    decided: Callable[[Post, Post], Sequence[TxAction]] = lambda _, __: (),
) -> Post | None:
    """Applies `change` to the post as read, writes it conditioned on that version (with
    `checks`, ConditionChecks such as the admin still being one, and what `decided` adds for the
    change from the post as read, such as an admin's audit record), and tries again if another
    write got there first. `change` returns None when nothing is to change.

    Raises:
        NotFoundError: no such post.
        whatever `change` raises.
        ConcurrencyError: every attempt lost its race.
    """
    for attempt in range(ATTEMPTS):
        post = store.get_post(post_id, consistent=True)
        if post is None:
            raise NotFoundError("no such post")
        changed = change(post)
        if changed is None:
            return post
        changed = changed.model_copy(update={"version": post.version + 1})
        try:
            store.save_post(
                changed,
                post.version,
                extra=[*checks, *decided(post, changed)],
                expires_at=expires_at(changed),
                first_publication=changed.status == "published" and post.published_at is None,
            )
        except (StalePostError, TransactionConflictError):
            pause(attempt)
            continue
        return changed
    raise ConcurrencyError("the post is busy, please retry")


# Reading


def visible_to(post: Post, viewer: Viewer) -> bool:
    """Published posts are public; the author sees their own in any state but removed; admins see
    what is waiting for them."""
    if post.status == "removed":
        return False
    if post.status == "published":
        return True
    return viewer.user_id == post.author_id or (viewer.is_admin and post.status == "in_review")


def get_post(
    store: PostsStore,
    post_id: str,
    viewer: Viewer,
    urls: Callable[[Mapping[str, str]], dict[str, str]],
    *,
    consistent: bool = False,
) -> PostPublic:
    """The post as `viewer` may see it.

    Raises:
        NotFoundError: no such post, or not visible to the viewer.
    """
    post, likes, comments, liked = store.post_view(post_id, viewer.user_id, consistent=consistent)
    if post is None or not visible_to(post, viewer):
        raise NotFoundError("no such post")
    return public(post, viewer, urls, like_count=likes, comment_count=comments, liked_by_me=liked)


def public_media(post: Post, urls: Callable[[Mapping[str, str]], dict[str, str]]) -> list[MediaPublic]:
    return [
        MediaPublic(
            media_id=m.media_id,
            kind=m.kind,
            status=m.status,
            urls=urls(m.renditions) if m.status == "ready" and m.renditions else None,
            width=m.width,
            height=m.height,
            duration_s=m.duration_s,
        )
        for m in post.media
    ]


def public(
    post: Post,
    viewer: Viewer,
    urls: Callable[[Mapping[str, str]], dict[str, str]],
    *,
    like_count: int = 0,
    comment_count: int = 0,
    liked_by_me: bool = False,
) -> PostPublic:
    assert post.status != "removed"
    mine = viewer.user_id == post.author_id or viewer.is_admin
    return PostPublic(
        post_id=post.post_id,
        author=post.author,
        text=post.text,
        media=public_media(post, urls),
        topics=post.topics,
        sku=post.sku,
        status=post.status,
        # The author is told why; nobody else needs to know.
        reason=post.reason if mine else None,
        like_count=like_count,
        comment_count=comment_count,
        liked_by_me=liked_by_me,
        created_at=post.created_at,
    )


# Deleting


def delete_post(
    store: PostsStore,
    post_id: str,
    viewer: Viewer,
    now: datetime,
    admin_removal: Callable[[Post, Post], Sequence[TxAction]] = lambda _, __: (),
) -> None:
    """Removes the post (author or admin). Its comments, reports and media follow through the
    `PostRemoved` event. Deleting a removed post again is a 404, like any post one cannot see.
    An admin removing another's post writes `admin_removal`'s actions with it (the admin still is
    one, the audit record); an author's own delete is not an admin action.

    Raises:
        NotFoundError: no such post, or not visible to the caller.
        ForbiddenError: visible, but neither the author's nor the caller an admin.
    """
    assert viewer.user_id is not None
    retention = int((now + REMOVED_RETENTION).timestamp())

    def remove(post: Post) -> Post:
        if post.status == "removed":
            raise NotFoundError("no such post")
        if viewer.user_id == post.author_id:
            by = "author"
        elif viewer.is_admin:
            by = "admin"
        elif visible_to(post, viewer):
            raise ForbiddenError("only the author or an admin may delete a post")
        else:
            raise NotFoundError("no such post")
        return post.model_copy(
            update={"status": "removed", "removed_by": by, "in_review_since": None, "reason": None}
        )

    def decided(post: Post, removed: Post) -> Sequence[TxAction]:
        return admin_removal(post, removed) if removed.removed_by == "admin" else ()

    change_post(store, post_id, remove, expires_at=lambda _: retention, decided=decided)
    logger.info("post removed", extra={"post_id": post_id})


# Media outcomes (content worker)


def apply_media_outcome(
    store: PostsStore,
    media_id: str,
    update: Mapping[str, Any],
    now: datetime,
) -> Post | None:
    """Records a media item's outcome (`status` ready or rejected, renditions, moderation) on the
    post that claimed it, and moves the post on if it was waiting. Idempotent: a repeat changes
    nothing. Returns the post as it is now, or None when no post claimed the media.

    Why it cannot be missed: a post claims media only in the status it read them in (the claim's
    condition), so either the post was created after the media became ready (it read `ready`),
    or the claim came first and the item names the post when this runs.
    """
    item = store.media_item(media_id)
    post_id = (item or {}).get("post_id")
    if not post_id:
        logger.info("media outcome for no post", extra={"media_id": media_id})
        return None

    def record(post: Post) -> Post | None:
        index = next((i for i, m in enumerate(post.media) if m.media_id == media_id), None)
        if index is None or post.status == "removed":
            return None
        current = post.media[index]
        known = current.model_copy(update=dict(update))
        if known == current:
            return None
        media = [*post.media[:index], known, *post.media[index + 1 :]]
        return _settled(post.model_copy(update={"media": media}), now)

    try:
        return change_post(store, str(post_id), record)
    except NotFoundError:
        logger.warning("media claimed by a missing post", extra={"media_id": media_id, "post_id": post_id})
        return None
