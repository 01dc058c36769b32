"""The media item (`MEDIA#<id>` / `MEDIA` in the content table) and the API's shapes."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from earnloop.content.media_rules import MediaKind, MediaStatus

Moderation = Literal["pending", "pass", "review"]


class Media(BaseModel):
    """One upload and what became of it. Written by the uploads route (pending) and the media worker
    (ready or rejected, renditions, moderation); a post claims it by setting `post_id`."""

    model_config = ConfigDict(extra="ignore")

    media_id: str
    owner_id: str
    kind: MediaKind
    status: MediaStatus = "pending"
    # What the client declared (it chose the size class and the upload's Content-Type condition).
    declared_type: str
    declared_size: int
    created_at: str
    # What the worker found the bytes to be (`kind` is then corrected to match).
    content_type: str | None = None
    # The uploader's mini-program openid: WeChat's image check is asked on their behalf.
    openid: str | None = None
    reason: str | None = None
    # Rendition name ("display", "thumb", "poster", "video") -> S3 key under media/.
    renditions: dict[str, str] = Field(default_factory=dict)
    moderation: Moderation | None = None
    # WeChat's asynchronous image check: its verdict finds this item through `TRACE#<trace_id>`.
    trace_id: str | None = None
    width: int | None = None
    height: int | None = None
    duration_s: float | None = None
    processed_at: str | None = None
    decided_at: str | None = None
    post_id: str | None = None


class UploadCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    content_type: str = Field(max_length=100)
    size: int = Field(gt=0, description="Bytes the client is about to upload")


class UploadForm(BaseModel):
    url: str
    fields: dict[str, str]


class UploadCreated(BaseModel):
    media_id: str
    upload: UploadForm
    expires_in: int


class MediaUrls(BaseModel):
    display: str
    thumb: str
    # A video's own file; its `display` and `thumb` are made from its poster frame.
    video: str | None = None


class MediaPublic(BaseModel):
    media_id: str
    status: MediaStatus
    kind: MediaKind
    reason: str | None = None
    urls: MediaUrls | None = None
