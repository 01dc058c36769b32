"""The identity context: users, their WeChat identities, profiles and tags."""

from __future__ import annotations

from earnloop.platform.catalog import FunctionSpec, Grant, bucket, http, key, table, worker
from earnloop.platform.context import Context
from earnloop.platform.resources import Index, Key, Queue, Rule, Secret, Table
from earnloop.wechat.context import TOKEN_GRANTS

CONTEXT = Context(
    name="identity",
    router="earnloop.identity.api:router",
    derive="earnloop.identity.events:derive",
    table=Table(
        name="identity",
        # Users by last-activity day, sharded, sorted by segment: the daily segment move queries only
        # the days that cross a threshold (identity/segments_store.py). Sleepers are not in it.
        gsis=(Index("by_activity", Key("act_pk"), Key("act_sk")),),
    ),
    queues=(
        Queue(name="tags", consumer="profile_tags"),
        Queue(name="notify", consumer="notify_inbox"),
        # One (index date, segment, shard) of the daily segment move per message.
        Queue(name="segments", consumer="segments_move", batch_size=1),
    ),
    rules=(
        Rule("scan-claimed-to-tags", "earnloop.codes", ("ScanClaimed",), queue="tags"),
        Rule("redemption-placed-to-tags", "earnloop.mall", ("RedemptionPlaced",), queue="tags"),
        # The activity lifecycle segments count (identity/segments_activity.py), besides scans and
        # redemptions above.
        Rule(
            "content-activity-to-tags",
            "earnloop.content",
            ("PostPublished", "CommentAdded", "PostLiked"),
            queue="tags",
        ),
        Rule(
            "identity-activity-to-tags",
            "earnloop.identity",
            ("UserRegistered", "UserFollowed"),
            queue="tags",
        ),
        Rule("checkins-to-tags", "earnloop.points", ("CheckedIn",), queue="tags"),
        # A deleted account's tags, inbox, grants and follows (identity/erasure.py).
        Rule("user-deleted-to-tags", "earnloop.identity", ("UserDeleted",), queue="tags"),
        # ... in rounds for a person with thousands of follows (identity/erasure.py).
        Rule("erasure-rounds-to-tags", "earnloop.identity", ("IdentityErasureContinued",), queue="tags"),
        # A promotion's tier goes on the profile (identity/tiers.py).
        Rule("tier-changed-to-tags", "earnloop.points", ("TierChanged",), queue="tags"),
        Rule(
            "redemptions-to-notify",
            "earnloop.mall",
            ("RedemptionPlaced", "RedemptionStatusChanged"),
            queue="notify",
        ),
        Rule(
            "content-to-notify",
            "earnloop.content",
            ("PostPublished", "PostInReview", "PostRejected", "PostTakenDown", "MediaRejected"),
            queue="notify",
        ),
        Rule("points-expiring-to-notify", "earnloop.points", ("PointsExpiringSoon",), queue="notify"),
        Rule("tier-changed-to-notify", "earnloop.points", ("TierChanged",), queue="notify"),
        # Issue 9's interactions (identity/notifications_social.py, notifications_likes.py).
        Rule("interactions-to-notify", "earnloop.content", ("PostLiked", "CommentAdded"), queue="notify"),
        Rule("follows-to-notify", "earnloop.identity", ("UserFollowed",), queue="notify"),
        Rule(
            "scan-earns-to-notify",
            "earnloop.points",
            ("PointsChanged",),
            queue="notify",
            detail={"entry_type": ["earn"], "reason": ["scan"]},
        ),
        Rule("referrals-to-notify", "earnloop.sharing", ("ReferralAccepted",), queue="notify"),
        # Subscribe pop-ups pushed to /wechat/push: grants for subscribe messages.
        Rule("subscriptions-to-notify", "earnloop.wechat", ("SubscriptionsAccepted",), queue="notify"),
    ),
    # The operator puts the mini-program's AppID and AppSecret here (README: deploying); a deploy
    # creates the secret empty and never writes it (no `generate`). The template is the local value.
    secrets=(Secret("wechat", template={"app_id": "set-me", "app_secret": "set-me"}),),
    functions=(
        http(
            "auth_login",
            table("identity", "readwrite"),
            # The one role that may sign session tokens (platform.auth).
            key("session", "sign"),
            # `secret("wechat")` and the shared access token's table: getUserRiskRank at a
            # registration and at most daily at login (identity/risk_ranks.py).
            *TOKEN_GRANTS,
            description="Exchanges a wx.login code for a session",
            timeout_s=15,
        ),
        # Puts the session's revocation (identity/sessions.py): one PutItem.
        http(
            "auth_logout", table("identity", "write"), key("session"), description="Ends the caller's session"
        ),
        http(
            "me_get",
            table("identity"),
            table("points"),
            key("session"),
            description="The caller's profile",
        ),
        http("me_update", table("identity", "readwrite"), key("session"), description="Edits the profile"),
        # Each context's own export read (identity/export.py): reads of the caller's partitions and
        # of the by_author and by_user indexes, presigned media URLs.
        http(
            "me_export",
            table("identity"),
            table("points"),
            table("content", indexes=("by_author",)),
            table("mall", indexes=("by_user",)),
            table("sharing"),
            bucket("media", "read", prefixes=("media/",)),
            key("session"),
            description="Exports the caller's data",
            timeout_s=20,
        ),
        # One transaction: the profile and its WeChat links deleted, the tombstone put.
        http(
            "me_delete",
            table("identity", "readwrite", delete=True),
            key("session"),
            description="Deletes the caller's account",
        ),
        worker(
            "profile_tags",
            "tags",
            # Deletes: a deleted account's items (identity/erasure.py).
            table("identity", "readwrite", delete=True),
            description="Adds product and reward tags to profiles",
        ),
        # 03:00 of each business day: users whose segment runs out today move (identity/segments_job.py).
        FunctionSpec(
            "segments_plan",
            "schedule",
            (Grant("queue", "segments", "write"),),
            description="Sends the day's segment move pieces to the segments queue",
            schedule="cron(0 3 * * ? *)",
            timezone="Asia/Shanghai",
        ),
        # Sends to its own queue: the rest of a piece that ran out of time.
        worker(
            "segments_move",
            "segments",
            table("identity", "readwrite", indexes=("by_activity",)),
            Grant("queue", "segments", "write"),
            description="Moves the users of one segment piece",
            timeout_s=120,
        ),
        # Follows (identity/follows_*): one transaction per command; lists read profiles in a batch.
        http("users_follow", table("identity", "readwrite"), key("session"), description="Follows a user"),
        http(
            "users_unfollow", table("identity", "readwrite"), key("session"), description="Unfollows a user"
        ),
        http("users_get", table("identity"), key("session"), description="A user's public profile"),
        http("users_followers", table("identity"), key("session"), description="A user's followers"),
        http("users_following", table("identity"), key("session"), description="Whom a user follows"),
        http(
            "admin_users_get",
            table("identity"),
            key("session"),
            description="A user's segment, RFM scores, tags and tier (admins)",
        ),
        # A ban (identity/bans.py): the profile, the sessions' revocation, the audit record and the
        # live-admin ConditionCheck in one transaction.
        http(
            "admin_users_ban",
            table("identity", "readwrite"),
            key("session"),
            description="Bans a user, ending their sessions, audited",
        ),
        http("admin_users_unban", table("identity", "readwrite"), key("session"), description="Lifts a ban"),
        http("notifications_list", table("identity"), key("session"), description="The caller's inbox"),
        http(
            "notifications_read",
            table("identity", "readwrite"),
            key("session"),
            description="Marks notifications read",
        ),
        http(
            "me_subscriptions",
            table("identity", "readwrite"),
            key("session"),
            description="Records the subscribe-message templates the caller accepted",
        ),
        # Also sends WeChat subscribe messages while a grant is held (the shared access token).
        worker(
            "notify_inbox",
            "notify",
            table("identity", "readwrite"),
            *TOKEN_GRANTS,
            description="Turns mall, content, points and social events into inbox notifications",
        ),
    ),
)
