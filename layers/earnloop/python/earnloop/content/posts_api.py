"""HTTP routes of posts, comments, reports and the admins' moderation queue."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Any

from fastapi import APIRouter, Depends, Header, Path, Query, Response

from earnloop.content import comments_service, moderation_service, posts_service, reports_service
from earnloop.content.posts_models import (
    ULID,
    AdminDecision,
    CommentCreate,
    CommentPage,
    CommentPublic,
    ModerationPage,
    PostCreate,
    PostPublic,
    ReportAccepted,
    ReportCreate,
)
from earnloop.content.posts_service import Viewer
from earnloop.content.posts_store import PostsStore
from earnloop.platform import aws
from earnloop.platform.audit import admin_audit
from earnloop.platform.auth import AdminUser, CurrentUser
from earnloop.platform.clock import utcnow
from earnloop.platform.settings import get_settings
from earnloop.risk.attempts import CallerDep, Limiter, Limits

if TYPE_CHECKING:
    from collections.abc import Mapping

    from earnloop.content.posts_models import Post
    from earnloop.platform.dynamo import TxAction

router = APIRouter(tags=["content"])

# Post ids are ULIDs; anything else is refused before it reaches a key (DynamoDB would 500 on a
# key over 1 KB).
PostId = Annotated[str, Path(pattern=f"^{ULID}$")]
Limit = Annotated[int, Query(ge=1, le=100)]
Cursor = Annotated[str | None, Query(max_length=2048)]


def posts_store() -> PostsStore:
    return PostsStore.default()


def profiles() -> posts_service.Profiles:
    # The author's nickname, avatar and openid, read once when they post or comment.
    from earnloop.identity.store import IdentityStore

    return IdentityStore(aws.dynamodb(), get_settings().table_name("identity"))


def text_checker() -> posts_service.TextChecker:
    # Imported on use: only the routes that take text load the moderation providers.
    from earnloop.moderation import moderation_from_settings

    return moderation_from_settings()


def rendition_urls(renditions: Mapping[str, str]) -> dict[str, str]:
    """Presigned GETs of a visible post's renditions (callers check visibility first)."""
    from earnloop.content.media_serving import signed_url

    return {name: signed_url(key) for name, key in renditions.items()}


def content_limiter() -> Limiter:
    # Likes' and comments' risk counters live in the content table: the command's own transaction
    # counts its attempt.
    return Limiter(aws.dynamodb(), get_settings().table_name("content"))


Store = Annotated[PostsStore, Depends(posts_store)]
ContentLimiter = Annotated[Limiter, Depends(content_limiter)]
Profiles = Annotated[posts_service.Profiles, Depends(profiles)]
Checker = Annotated[posts_service.TextChecker, Depends(text_checker)]


def _viewer(user: Any) -> Viewer:
    return Viewer(user.user_id, user.is_admin)


def admin_still_is_one(admin_id: str) -> TxAction:
    """A ConditionCheck in the decision's write: a deleted or demoted admin's token decides nothing."""
    from earnloop.identity.store import live_admin_check

    return live_admin_check(get_settings().table_name("identity"), admin_id)


@router.post(
    "/v1/posts",
    name="posts_create",
    status_code=201,
    response_model=PostPublic,
    response_model_exclude_none=True,
    summary="Post text with photos or a video: pending until its media are ready and moderated",
)
def posts_create(
    body: PostCreate,
    user: CurrentUser,
    store: Store,
    people: Profiles,
    checker: Checker,
    response: Response,
    idempotency_key: Annotated[str | None, Header(min_length=1, max_length=128)] = None,
) -> PostPublic:
    post = posts_service.create_post(store, people, checker, body, user.user_id, idempotency_key, utcnow())
    response.headers["Location"] = f"/v1/posts/{post.post_id}"
    return posts_service.public(post, _viewer(user), rendition_urls)


@router.get(
    "/v1/posts/{post_id}",
    name="posts_get",
    response_model=PostPublic,
    response_model_exclude_none=True,
    summary="A post (the author also sees their pending and rejected posts, with the reason)",
)
def posts_get(post_id: PostId, user: CurrentUser, store: Store) -> PostPublic:
    return posts_service.get_post(store, post_id, _viewer(user), rendition_urls)


@router.delete(
    "/v1/posts/{post_id}", name="posts_delete", status_code=204, summary="Delete a post (author or admin)"
)
def posts_delete(post_id: PostId, user: CurrentUser, store: Store) -> Response:
    now = utcnow()
    audit = admin_audit("content", user.user_id, "post.remove", "removed by admin", now)

    def admin_removal(post: Post, removed: Post) -> list[TxAction]:
        # Another's post removed by an admin: the admin still is one, and it is audited.
        before, after = {"status": post.status}, {"status": removed.status}
        return [admin_still_is_one(user.user_id), audit.put(post_id, before=before, after=after)]

    posts_service.delete_post(store, post_id, _viewer(user), now, admin_removal)
    return Response(status_code=204)


@router.post(
    "/v1/posts/{post_id}/comments",
    name="comments_create",
    status_code=201,
    response_model=CommentPublic,
    summary="Comment on a published post (moderated like post text)",
)
def comments_create(
    post_id: PostId,
    body: CommentCreate,
    user: CurrentUser,
    store: Store,
    people: Profiles,
    checker: Checker,
    limiter: ContentLimiter,
    who: CallerDep,
) -> CommentPublic:
    # Every attempt costs the `comment` limits, a refused one (missing post, moderation) too.
    now, settings = utcnow(), get_settings()
    limits = Limits(
        settings.comments_per_hour, settings.comments_per_hour_per_device, settings.comments_per_hour_per_ip
    )
    with limiter.attempt("comment", user.user_id, who, limits, now) as attempt:
        return comments_service.add_comment(
            store, people, checker, post_id, user.user_id, body.text, now, attempt=attempt
        )


@router.get(
    "/v1/posts/{post_id}/comments",
    name="comments_list",
    response_model=CommentPage,
    response_model_exclude_none=True,
    summary="A post's comments, oldest first",
)
def comments_list(
    post_id: PostId, user: CurrentUser, store: Store, limit: Limit = 20, cursor: Cursor = None
) -> CommentPage:
    return comments_service.list_comments(store, post_id, _viewer(user), limit, cursor)


@router.post(
    "/v1/posts/{post_id}/reports",
    name="reports_create",
    status_code=202,
    response_model=ReportAccepted,
    summary="Report a post; enough distinct reporters send it to the admins",
)
def reports_create(post_id: PostId, body: ReportCreate, user: CurrentUser, store: Store) -> ReportAccepted:
    threshold = get_settings().post_report_threshold
    reports_service.report_post(store, post_id, user.user_id, body.reason, threshold, utcnow())
    return ReportAccepted(post_id=post_id)


@router.get(
    "/v1/admin/moderation",
    name="admin_moderation_list",
    response_model=ModerationPage,
    response_model_exclude_none=True,
    tags=["admin"],
    summary="Posts waiting for an admin, longest waiting first",
)
def admin_moderation_list(
    admin: AdminUser, store: Store, limit: Limit = 20, cursor: Cursor = None
) -> ModerationPage:
    return moderation_service.moderation_queue(store, limit, cursor, rendition_urls)


@router.post(
    "/v1/admin/posts/{post_id}/approve",
    name="admin_posts_approve",
    response_model=PostPublic,
    response_model_exclude_none=True,
    tags=["admin"],
    summary="Publish a post in review",
)
def admin_posts_approve(post_id: PostId, admin: AdminUser, store: Store) -> PostPublic:
    checks, now = [admin_still_is_one(admin.user_id)], utcnow()
    audit = admin_audit("content", admin.user_id, "post.approve", "approved", now)
    moderation_service.approve(store, post_id, admin.user_id, now, checks, audit)
    return posts_service.get_post(store, post_id, _viewer(admin), rendition_urls, consistent=True)


@router.post(
    "/v1/admin/posts/{post_id}/reject",
    name="admin_posts_reject",
    response_model=PostPublic,
    response_model_exclude_none=True,
    tags=["admin"],
    summary="Reject a post (a published one is taken down and its points clawed back)",
)
def admin_posts_reject(
    post_id: PostId, admin: AdminUser, store: Store, body: AdminDecision | None = None
) -> PostPublic:
    reason = body.reason if body is not None else None
    checks, now = [admin_still_is_one(admin.user_id)], utcnow()
    audit = admin_audit("content", admin.user_id, "post.reject", reason or "rejected", now)
    post = moderation_service.reject(store, post_id, admin.user_id, reason, now, checks, audit)
    return posts_service.public(post, _viewer(admin), rendition_urls)
