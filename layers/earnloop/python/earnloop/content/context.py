"""The content context: media, posts, comments, reports, moderation and feeds.

Three areas share this table and this declaration: media (uploads, the media worker, serving),
posts (posts, comments, reports, moderation outcomes, points for posting) and feeds (materialized
pages and topics). Each area adds its indexes, queues, rules and functions here.
"""

from __future__ import annotations

from earnloop.platform.catalog import FunctionSpec, bucket, http, key, moderation, secret, table, worker
from earnloop.platform.context import Context
from earnloop.platform.outbox_sweep import outbox_index
from earnloop.platform.resources import Bucket, Expiry, Index, Key, ObjectCreated, Queue, Rule, Secret, Table
from earnloop.wechat.context import TOKEN_GRANTS

# Raw uploads under `uploads/<user>/<media-id>` (never readable by a client, deleted by the worker or,
# abandoned, by the lifecycle rule after a day); renditions under `media/<media-id>/`.
MEDIA_BUCKET = Bucket(
    "media",
    prefixes=("uploads/", "media/"),
    notifications=(ObjectCreated("uploads/", queue="media"),),
    expiries=(Expiry("uploads/", days=1),),
)

CONTEXT = Context(
    name="content",
    router="earnloop.content.api:router",
    derive="earnloop.content.events:derive",
    table=Table(
        name="content",
        gsis=(
            # Posts waiting for an admin (sparse: only in_review posts carry review_pk), oldest first.
            Index("moderation", Key("review_pk"), Key("review_sk")),
            # Feeds (content/feed_store.py): every live post newest first; the materialized hot set
            # best first; topics by post count. One partition each, sized in docs/decisions.md.
            Index("feed_new", Key("new_pk"), Key("new_sk")),
            Index("feed_hot", Key("hot_pk"), Key("hot_sk")),
            Index("topics_by_count", Key("topics_pk"), Key("post_count", "N")),
            # Media waiting for an outcome, by when they are due for the media sweep (sparse).
            Index("media_sweep", Key("sweep_pk"), Key("sweep_sk"), projection="KEYS_ONLY"),
            # Events whose downstream effect has not been confirmed, by when they are due for
            # `content_outbox_sweep` (sparse; platform/outbox_sweep.py).
            outbox_index(),
            # Each author's posts not removed (sparse): a deleted account's posts are found by it.
            Index("by_author", Key("author_pk"), Key("author_sk"), projection="KEYS_ONLY"),
        ),
    ),
    buckets=(MEDIA_BUCKET,),
    queues=(
        # S3 notifications, one upload per invocation: processing takes seconds and memory, and a
        # failure retries that upload alone.
        Queue(name="media", consumer="media_process", batch_size=1, max_concurrency=10),
        # WeChat's image verdicts and removed posts: what happens to media after the worker.
        Queue(name="media-settle", consumer="media_settle"),
        # Posts waiting on their media, the products each user scanned, removed posts' comments.
        Queue(name="posts", consumer="posts_worker"),
        # Post events and scans materialized into feeds. Five copies at most: the cap on how fast
        # the feed indexes' single partitions are written (docs/decisions.md, "Feeds").
        Queue(name="feed", consumer="feed_materialize", max_concurrency=5),
        # Likes and unlikes, to set feed cards' like counts from the shards. Five copies at most: the
        # bound on how often a viral post's card is written (docs/decisions.md, "Likes").
        Queue(name="likes", consumer="likes_count", max_concurrency=5),
    ),
    rules=(
        Rule(
            "media-check-verdicts-to-media", "earnloop.wechat", ("MediaCheckVerdict",), queue="media-settle"
        ),
        Rule("post-removals-to-media", "earnloop.content", ("PostRemoved",), queue="media-settle"),
        Rule(
            "media-and-removals-to-posts",
            "earnloop.content",
            ("MediaReady", "MediaRejected", "PostRemoved"),
            queue="posts",
        ),
        Rule("scan-claimed-to-posts", "earnloop.codes", ("ScanClaimed",), queue="posts"),
        # A deleted account's posts are removed (content/account_erasure.py).
        Rule("user-deleted-to-posts", "earnloop.identity", ("UserDeleted",), queue="posts"),
        # ... and, for a user with more than one invocation's worth, goes on in rounds
        # (content/erasure_rounds.py).
        Rule("erasure-rounds-to-posts", "earnloop.content", ("UserErasureContinued",), queue="posts"),
        # A post's, a like's or a comment's earn arrived: its outbox marker is confirmed
        # (content/posts_outbox.py, content/interactions_outbox.py).
        Rule(
            "post-earned-to-posts",
            "earnloop.points",
            ("PointsChanged",),
            queue="posts",
            detail={"txn_id": [{"prefix": "post#"}, {"prefix": "like_given#"}, {"prefix": "comment#"}]},
        ),
        Rule(
            "posts-to-feed",
            "earnloop.content",
            ("PostPublished", "PostInReview", "PostRejected", "PostTakenDown", "PostRemoved", "CommentAdded"),
            queue="feed",
        ),
        Rule("scan-claimed-to-feed", "earnloop.codes", ("ScanClaimed",), queue="feed"),
        Rule("profile-changed-to-feed", "earnloop.identity", ("ProfileChanged",), queue="feed"),
        Rule("likes-to-likes", "earnloop.content", ("PostLiked", "PostUnliked"), queue="likes"),
        Rule("follows-to-feed", "earnloop.identity", ("UserFollowed", "UserUnfollowed"), queue="feed"),
        Rule("segments-to-feed", "earnloop.identity", ("SegmentChanged",), queue="feed"),
    ),
    # Signs feed cursors (HMAC), so a cursor is bound to its reader and feed.
    secrets=(Secret("feed_cursor", template={}, generate="key"),),
    functions=(
        # Reads the uploader's openid (WeChat checks images on their behalf); signs the upload form.
        http(
            "media_uploads_create",
            table("content", "readwrite"),
            table("identity"),
            bucket("media", "write", prefixes=("uploads/",)),
            key("session"),
            description="Starts an upload: the pending media item and a presigned S3 POST",
        ),
        http(
            "media_get",
            table("content"),
            bucket("media", "read", prefixes=("media/",)),
            key("session"),
            description="The caller's own media item, with presigned rendition URLs once ready",
        ),
        worker(
            "media_process",
            "media",
            table("content", "readwrite"),
            # Reads and deletes the raw upload, writes renditions.
            bucket("media", "readwrite", prefixes=("uploads/", "media/"), delete=True),
            # The WeChat image check (moderation provider `wechat`) needs the access token.
            *TOKEN_GRANTS,
            moderation(),
            description="Processes an uploaded file: renditions, moderation, the media item's outcome",
            # Pillow, pillow-heif, mutagen and PyAV: only this function carries them.
            layers=("imaging",),
            # A 50 MB video remuxed and a 12-megapixel HEIC decoded take seconds and memory (more
            # memory is also more CPU in Lambda).
            timeout_s=60,
            memory_mb=1536,
        ),
        worker(
            "media_settle",
            "media-settle",
            # Deletes a removed post's media items.
            table("content", "readwrite", delete=True),
            # A refused image's renditions, and a removed post's media, are deleted at once.
            bucket("media", "write", prefixes=("uploads/", "media/"), delete=True),
            description="Settles media waiting on WeChat's image check; deletes removed posts' media",
        ),
        FunctionSpec(
            "media_sweep",
            "schedule",
            (table("content", "readwrite", indexes=("media_sweep",)),),
            description="Rejects abandoned uploads; sends images WeChat never judged to review",
            schedule="rate(15 minutes)",
            timeout_s=60,
        ),
        FunctionSpec(
            "content_outbox_sweep",
            "schedule",
            (table("content", "readwrite", indexes=("outbox_due",)),),
            description="Republishes post events whose downstream effect has not arrived",
            schedule="rate(15 minutes)",
            timeout_s=60,
        ),
        # Posts, comments, reports, moderation outcomes (posts area). Posting and commenting read
        # the author's profile (nickname, avatar, openid for the text check) from identity.
        http(
            "posts_create",
            table("content", "readwrite"),
            table("identity"),
            # Signs the URLs of media already ready in the post it answers with.
            bucket("media", "read", prefixes=("media/",)),
            key("session"),
            *TOKEN_GRANTS,
            moderation(),
            description="Creates a post: text checked, media claimed, pending until ready",
        ),
        http(
            "posts_get",
            table("content"),
            bucket("media", "read", prefixes=("media/",)),
            key("session"),
            description="A post, with presigned rendition URLs",
        ),
        http(
            "posts_delete",
            table("content", "readwrite"),
            # Read-only: when an admin removes another's post, a ConditionCheck that they still are one.
            table("identity"),
            key("session"),
            description="Deletes a post",
        ),
        http(
            "comments_create",
            table("content", "readwrite"),
            table("identity"),
            key("session"),
            *TOKEN_GRANTS,
            moderation(),
            description="Comments on a published post",
        ),
        http("comments_list", table("content"), key("session"), description="A post's comments"),
        # Likes (issue 9): the like item and its shard's count in one transaction.
        http("posts_like", table("content", "readwrite"), key("session"), description="Likes a post"),
        http("posts_unlike", table("content", "readwrite"), key("session"), description="Unlikes a post"),
        worker(
            "likes_count",
            "likes",
            table("content", "readwrite"),
            description="Sets feed cards' like counts from the posts' like shards",
        ),
        http("reports_create", table("content", "readwrite"), key("session"), description="Reports a post"),
        http(
            "admin_moderation_list",
            table("content", indexes=("moderation",)),
            bucket("media", "read", prefixes=("media/",)),
            key("session"),
            description="Posts waiting for an admin",
        ),
        http(
            "admin_posts_approve",
            table("content", "readwrite"),
            # Read-only: a ConditionCheck that the admin still is one.
            table("identity"),
            bucket("media", "read", prefixes=("media/",)),
            key("session"),
            description="Publishes a post in review",
        ),
        http(
            "admin_posts_reject",
            table("content", "readwrite"),
            # Read-only: a ConditionCheck that the admin still is one.
            table("identity"),
            bucket("media", "read", prefixes=("media/",)),
            key("session"),
            description="Rejects or takes down a post",
        ),
        worker(
            "posts_worker",
            "posts",
            table("content", "readwrite", indexes=("by_author",), delete=True),
            description="Moves posts on as their media are processed; clears removed posts' comments",
        ),
        # Feeds and topics (feeds area).
        http(
            "feed_get",
            table("content", indexes=("feed_new", "feed_hot")),
            bucket("media", "read", prefixes=("media/",)),
            key("session"),
            secret("feed_cursor"),
            description="A page of a feed (hot, new, following, for_you, a topic)",
        ),
        http(
            "topics_list",
            table("content", indexes=("topics_by_count",)),
            key("session"),
            description="Topics by post count",
        ),
        worker(
            "feed_materialize",
            "feed",
            table("content", "readwrite", delete=True),
            description="Materializes posts into feeds, topic counts and readers' interests",
        ),
        FunctionSpec(
            "feed_hot_rank",
            "schedule",
            (table("content", "readwrite", indexes=("feed_new", "feed_hot")),),
            description="Re-ranks the recent posts into the hot set",
            schedule="rate(5 minutes)",
            timeout_s=60,
        ),
    ),
)
