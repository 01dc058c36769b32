"""Pure rules of posts: topics, what media a post may carry, and which status its verdicts give.

Nothing here reads a clock or a table.
"""

from __future__ import annotations

import hashlib
import json
import re
import unicodedata
from typing import TYPE_CHECKING

from earnloop.content.posts_models import MAX_IMAGES, MAX_TOPIC_CHARS, MAX_TOPICS, PostMedia, PostStatus
from earnloop.platform.errors import ValidationFailedError

if TYPE_CHECKING:
    from collections.abc import Sequence

    from earnloop.content.posts_models import Post, PostCreate

_SPACES = re.compile(r"\s+")


def normalize_topic(raw: str) -> str:
    """`" #Fruit  Bowl "` -> `"fruit bowl"`: NFKC (full-width letters become ASCII), case-folded,
    no leading `#`, inner whitespace collapsed. The feeds keep their topic pages under this form."""
    text = unicodedata.normalize("NFKC", raw).strip().lstrip("#").strip()
    return _SPACES.sub(" ", text).casefold()


def normalize_topics(raw: Sequence[str]) -> list[str]:
    """The distinct normalized topics, first occurrence first.

    Raises:
        ValidationFailedError: an empty or too long topic, or more than MAX_TOPICS distinct ones.
    """
    topics: list[str] = []
    for item in raw:
        topic = normalize_topic(item)
        if not topic or len(topic) > MAX_TOPIC_CHARS or not topic.isprintable():
            raise ValidationFailedError(f"a topic is 1 to {MAX_TOPIC_CHARS} printable characters")
        if topic not in topics:
            topics.append(topic)
    if len(topics) > MAX_TOPICS:
        raise ValidationFailedError(f"at most {MAX_TOPICS} topics")
    return topics


def check_media_mix(media: Sequence[PostMedia]) -> None:
    """Up to MAX_IMAGES images, or one video, never both.

    Raises:
        ValidationFailedError: otherwise.
    """
    videos = sum(1 for m in media if m.kind == "video")
    if videos and len(media) > 1:
        raise ValidationFailedError("a post carries up to 9 images or one video, not both")
    if len(media) > MAX_IMAGES:
        raise ValidationFailedError("a post carries up to 9 images")


def body_fingerprint(body: PostCreate) -> str:
    """What an Idempotency-Key is bound to: the request body, canonically (key order, whitespace)."""
    canonical = json.dumps(body.model_dump(mode="json"), sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()


def settle(post: Post) -> tuple[PostStatus, str | None]:
    """The status a post in `pending` moves to, given what is known of its text and media.

    Rejections win over waiting (a post with one rejected image is rejected at once, whatever
    the others do); then a post waits while any media is pending; then a review verdict (of the
    text or of an image) sends it to the admins unless one approved it; else it is published.
    """
    rejected = [m for m in post.media if m.status == "rejected"]
    if post.text_verdict == "reject":
        return "rejected", "text"
    if rejected:
        return "rejected", f"media:{rejected[0].reason or 'rejected'}"
    if any(m.status == "pending" for m in post.media):
        return "pending", None
    if not post.approved:
        if post.text_verdict == "review":
            return "in_review", "text"
        if any(m.moderation == "review" for m in post.media):
            return "in_review", "image"
    return "published", None
