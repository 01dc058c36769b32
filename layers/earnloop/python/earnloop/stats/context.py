"""The stats context: daily statistics and the leaderboard, counted from other contexts' events
into a table of their own (docs/decisions.md: "Statistics and the leaderboard")."""

from __future__ import annotations

from earnloop.platform.catalog import FunctionSpec, http, key, table, worker
from earnloop.platform.context import Context
from earnloop.platform.resources import Index, Key, Queue, Rule, Table

CONTEXT = Context(
    name="stats",
    router="earnloop.stats.api:router",
    derive="earnloop.stats.events:derive",
    table=Table(
        name="stats",
        # Leaderboard scores by board shard, highest first: the builder reads each shard's top.
        gsis=(Index("by_score", Key("lb_pk"), Key("lb_sk", "N"), projection="KEYS_ONLY"),),
    ),
    # At most 10 copies write counters at once: with 32 counter shards that bounds every shard
    # partition far below its 1,000 writes/s (decisions.md); a spike waits in the queue instead.
    queues=(Queue(name="stats", consumer="stats_count", max_concurrency=10),),
    rules=(
        # Every entry that moves points (freezes and unfreezes move none).
        Rule(
            "points-to-stats",
            "earnloop.points",
            ("PointsChanged",),
            queue="stats",
            detail={"entry_type": ["earn", "spend", "expire", "refund", "adjust"]},
        ),
        Rule("scans-to-stats", "earnloop.codes", ("ScanClaimed", "ScanRejectionsCounted"), queue="stats"),
        Rule("posts-to-stats", "earnloop.content", ("PostPublished", "PostLiked"), queue="stats"),
        Rule("profiles-to-stats", "earnloop.identity", ("ProfileChanged", "UserDeleted"), queue="stats"),
    ),
    functions=(
        http("admin_stats_get", table("stats"), key("session"), description="Daily statistics"),
        http("leaderboard_get", table("stats"), key("session"), description="The leaderboard"),
        worker(
            "stats_count", "stats", table("stats", "readwrite"), description="Counts events into statistics"
        ),
        FunctionSpec(
            "leaderboard_build",
            "schedule",
            (table("stats", "readwrite", indexes=("by_score",)),),
            description="Rebuilds the monthly and all-time leaderboards from the score shards",
            schedule="rate(1 minute)",
            timeout_s=30,
        ),
    ),
)
