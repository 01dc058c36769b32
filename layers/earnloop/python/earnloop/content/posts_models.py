"""Shapes of posts, comments and reports: what is stored, what the routes take and return."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StrictStr

PostStatus = Literal["pending", "published", "in_review", "rejected", "removed"]
MediaKind = Literal["image", "video"]
MediaState = Literal["pending", "ready", "rejected"]
Verdict = Literal["pass", "review", "reject"]

ULID = "[0-9A-HJKMNP-TV-Z]{26}"
MAX_TEXT = 1000
MAX_COMMENT = 500
MAX_IMAGES = 9
MAX_TOPICS = 5
MAX_TOPIC_CHARS = 20


class PostMedia(BaseModel):
    """One media item of a post, as the post knows it: copied from the media item when the post
    claims it, then kept up to date by the content worker from `MediaReady`/`MediaRejected`."""

    media_id: str
    kind: MediaKind
    status: MediaState = "pending"
    moderation: Literal["pass", "review"] | None = None
    renditions: dict[str, str] = Field(default_factory=dict)
    width: int | None = None
    height: int | None = None
    duration_s: float | None = None
    reason: str | None = None


class Author(BaseModel):
    """The author as readers see them, copied from the profile when the post is created."""

    id: str
    nickname: str | None = None
    avatar_url: str | None = None


class Post(BaseModel):
    """A stored post (`POST#<id>` / `POST`)."""

    post_id: str
    author: Author
    text: str
    topics: list[str] = Field(default_factory=list)
    sku: str | None = None
    media: list[PostMedia] = Field(default_factory=list)
    status: PostStatus
    reason: str | None = None
    text_verdict: Verdict = "pass"
    # An admin approved it: review verdicts no longer hold it back.
    approved: bool = False
    report_count: int = 0
    created_at: str
    published_at: str | None = None
    in_review_since: str | None = None
    removed_by: Literal["author", "admin", "moderation"] | None = None
    version: int = 1

    @property
    def author_id(self) -> str:
        return self.author.id


class PostCreate(BaseModel):
    """`POST /v1/posts`."""

    model_config = ConfigDict(extra="forbid")

    text: StrictStr = Field(default="", max_length=MAX_TEXT)
    media_ids: list[Annotated[StrictStr, Field(pattern=f"^{ULID}$")]] = Field(
        default_factory=list, max_length=MAX_IMAGES
    )
    topics: list[StrictStr] = Field(default_factory=list, max_length=20)
    sku: StrictStr | None = Field(default=None, min_length=1, max_length=64)


class MediaPublic(BaseModel):
    media_id: str
    kind: MediaKind
    status: MediaState
    urls: dict[str, str] | None = None
    width: int | None = None
    height: int | None = None
    duration_s: float | None = None


class PostPublic(BaseModel):
    """A post as API.md shows it. `reason` only reaches the author (why it is in review or rejected)."""

    post_id: str
    author: Author
    text: str
    media: list[MediaPublic]
    topics: list[str]
    sku: str | None
    status: Literal["pending", "published", "in_review", "rejected"]
    reason: str | None = None
    like_count: int
    comment_count: int
    liked_by_me: bool
    created_at: str


class Comment(BaseModel):
    """A stored comment (`POST#<post>` / `COMMENT#<comment-id>`)."""

    comment_id: str
    post_id: str
    author: Author
    text: str
    created_at: str


class CommentCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    text: StrictStr = Field(min_length=1, max_length=MAX_COMMENT)


class CommentPublic(BaseModel):
    comment_id: str
    post_id: str
    author: Author
    text: str
    created_at: str


class CommentPage(BaseModel):
    items: list[CommentPublic]
    next_cursor: str | None = None


class ReportCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    reason: StrictStr = Field(min_length=1, max_length=200)


class ReportAccepted(BaseModel):
    post_id: str
    status: Literal["accepted"] = "accepted"


class ModerationItem(BaseModel):
    """One post waiting for an admin (`GET /v1/admin/moderation`)."""

    post_id: str
    author: Author
    text: str
    media: list[MediaPublic]
    topics: list[str]
    reason: str | None
    report_count: int
    created_at: str
    in_review_since: str


class ModerationPage(BaseModel):
    items: list[ModerationItem]
    next_cursor: str | None = None


class AdminDecision(BaseModel):
    model_config = ConfigDict(extra="forbid")

    reason: StrictStr | None = Field(default=None, min_length=1, max_length=200)
