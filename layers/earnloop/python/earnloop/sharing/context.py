"""The sharing context: shares, their openings, and referral decisions."""

from __future__ import annotations

from earnloop.platform.catalog import http, key, secret, table, worker
from earnloop.platform.context import Context
from earnloop.platform.resources import Queue, Rule, Secret, Table

CONTEXT = Context(
    name="sharing",
    router="earnloop.sharing.api:router",
    derive="earnloop.sharing.events:derive",
    # Every read is a GetItem on a key the event or token names, or a Query of one user's own
    # partition (a deleted account's shares and openings): no index.
    table=Table(name="sharing"),
    queues=(Queue(name="sharing", consumer="shares_settle"),),
    rules=(
        # A new user's first login may carry a share link (most carry none: dropped without a write).
        Rule("registrations-to-sharing", "earnloop.identity", ("UserRegistered",), queue="sharing"),
        # Likes and comments pay off a share their author opened.
        Rule("interactions-to-sharing", "earnloop.content", ("PostLiked", "CommentAdded"), queue="sharing"),
        # An open reported by a logged-in user is judged as a referral attempt of an existing user.
        Rule("openings-to-sharing", "earnloop.sharing", ("ShareOpened",), queue="sharing"),
        # A deleted account's shares and openings are erased (sharing/erasure.py).
        Rule("user-deleted-to-sharing", "earnloop.identity", ("UserDeleted",), queue="sharing"),
        Rule("erasure-rounds-to-sharing", "earnloop.sharing", ("SharesErasureContinued",), queue="sharing"),
    ),
    # Tokens carry the key version that signed them: add a version, point `current` at it, and links
    # already sent keep verifying while their version stays.
    secrets=(Secret("share_keys", template={"current": "A"}, generate="A"),),
    functions=(
        # Points, read-only: the `share` rule's points, shown as what the share may earn.
        http(
            "shares_create",
            table("sharing", "write"),
            table("points"),
            key("session"),
            secret("share_keys"),
            description="Makes a share link with a signed referral token",
        ),
        http(
            "shares_open",
            table("sharing", "readwrite"),
            key("session"),
            secret("share_keys"),
            description="Records the share a logged-in user opened",
        ),
        # Points, read-only: the `referral` rule's daily cap, charged here in whole referrals.
        worker(
            "shares_settle",
            "sharing",
            # Deletes a deleted account's shares and openings.
            table("sharing", "readwrite", delete=True),
            table("points"),
            secret("share_keys"),
            description="Judges referrals, marks shares that paid off, erases a deleted user's shares",
        ),
    ),
)
