"""The identity context: users, their WeChat identities, profiles and tags."""

from __future__ import annotations

from earnloop.platform.catalog import http, key, secret, table, worker
from earnloop.platform.context import Context
from earnloop.platform.resources import Queue, Rule, Secret, Table

CONTEXT = Context(
    name="identity",
    router="earnloop.identity.api:router",
    derive="earnloop.identity.events:derive",
    table=Table(name="identity"),
    queues=(Queue(name="tags", consumer="profile_tags"), Queue(name="notify", consumer="notify_inbox")),
    rules=(
        Rule("scan-claimed-to-tags", "earnloop.codes", ("ScanClaimed",), queue="tags"),
        Rule("redemption-placed-to-tags", "earnloop.mall", ("RedemptionPlaced",), queue="tags"),
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
            secret("wechat"),
            description="Exchanges a wx.login code for a session",
            timeout_s=15,
        ),
        http(
            "me_get",
            table("identity"),
            table("points"),
            key("session"),
            description="The caller's profile",
        ),
        http("me_update", table("identity", "readwrite"), key("session"), description="Edits the profile"),
        worker(
            "profile_tags",
            "tags",
            table("identity", "readwrite"),
            description="Adds product and reward tags to profiles",
        ),
        # Follows (identity/follows_*): one transaction per command; lists read profiles in a batch.
        http("users_follow", table("identity", "readwrite"), key("session"), description="Follows a user"),
        http(
            "users_unfollow", table("identity", "readwrite"), key("session"), description="Unfollows a user"
        ),
        http("users_get", table("identity"), key("session"), description="A user's public profile"),
        http("users_followers", table("identity"), key("session"), description="A user's followers"),
        http("users_following", table("identity"), key("session"), description="Whom a user follows"),
        http("notifications_list", table("identity"), key("session"), description="The caller's inbox"),
        http(
            "notifications_read",
            table("identity", "readwrite"),
            key("session"),
            description="Marks notifications read",
        ),
        # Issue 9's subscribe messages will be sent from here too (grants: the wechat token cache).
        worker(
            "notify_inbox",
            "notify",
            table("identity", "readwrite"),
            description="Turns mall, content and points events into inbox notifications",
        ),
    ),
)
