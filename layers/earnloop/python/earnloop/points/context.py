"""The points context: accounts, the ledger, holds and daily caps."""

from __future__ import annotations

from earnloop.platform.audit import PREFIX as AUDIT
from earnloop.platform.catalog import FunctionSpec, Grant, http, key, table, worker
from earnloop.platform.context import Context
from earnloop.platform.resources import Index, Key, Queue, Rule, Table
from earnloop.platform.sessions import PREFIX as REVOKED

CONTEXT = Context(
    name="points",
    router="earnloop.points.api:router",
    derive="earnloop.points.events:derive",
    table=Table(
        name="points",
        # History newest first on the owner's partition, strongly consistent (an LSI, not a GSI).
        lsis=(Index("by_time", Key("pk"), Key("lsi1sk")),),
        # Accounts by next expiry date, sharded: the expiry and reminder jobs query only what is due.
        gsis=(
            Index("by_expiry", Key("exp_pk"), Key("exp_sk"), projection="KEYS_ONLY"),
            # Accounts by the business day they last changed, sharded: the nightly reconciliation
            # reads only what changed (points/reconcile.py).
            Index("by_change", Key("chg_pk"), Key("chg_sk"), projection="KEYS_ONLY"),
            # Pending holds by release day, sharded: the release schedule reads only what is due
            # (points/pending_release.py).
            Index("by_release", Key("rel_pk"), Key("rel_sk"), projection="KEYS_ONLY"),
        ),
    ),
    queues=(
        Queue(name="points", consumer="points_earn"),
        # One (index date, shard) of the daily expiry per message: each invocation uses its whole
        # time on one piece (points/expiry_job.py).
        Queue(name="expiry", consumer="points_expire", batch_size=1),
        # One shard of a day's changed accounts per message (points/reconcile.py).
        Queue(name="reconcile", consumer="points_reconcile", batch_size=1),
    ),
    rules=(
        Rule("scan-claimed-to-points", "earnloop.codes", ("ScanClaimed",), queue="points"),
        # An unfreeze entry tells the points worker to release the earns held while frozen.
        Rule(
            "points-unfrozen-to-points",
            "earnloop.points",
            ("PointsChanged",),
            queue="points",
            detail={"entry_type": ["unfreeze"]},
        ),
        # Points for posting and their clawback (points/post_rewards.py).
        Rule("posts-to-points", "earnloop.content", ("PostPublished", "PostTakenDown"), queue="points"),
        # Points for likes and comments (points/like_rewards.py, points/comment_rewards.py).
        Rule("interactions-to-points", "earnloop.content", ("PostLiked", "CommentAdded"), queue="points"),
        # The wake-up gift for a user who fell asleep (points/wakeup_gift.py).
        Rule(
            "sleeping-to-points",
            "earnloop.identity",
            ("SegmentChanged",),
            queue="points",
            detail={"to_segment": ["sleeping"]},
        ),
        # Points for a share that led to a friend's login, like or comment, and for a referral
        # (points/sharing_rewards.py).
        Rule("sharing-to-points", "earnloop.sharing", ("ShareRewarded", "ReferralAccepted"), queue="points"),
        # A farming rule's flag freezes the account (points/risk_freeze.py); each rule is derived
        # from the stream of the command it watches, under that context's source.
        Rule("codes-risk-to-points", "earnloop.codes", ("RiskFlagged",), queue="points"),
        Rule("sharing-risk-to-points", "earnloop.sharing", ("RiskFlagged",), queue="points"),
        # WeChat's risk rank of a user onto the account: a risky user's earns are pending
        # (points/risk_ranks.py, points/pending.py).
        Rule("risk-rank-to-points", "earnloop.identity", ("RiskRankChanged",), queue="points"),
    ),
    functions=(
        http("points_get", table("points"), key("session"), description="The caller's balance"),
        http(
            "points_history",
            table("points", indexes=("by_time",)),
            key("session"),
            description="The caller's ledger",
        ),
        # Identity, read-only: ConditionChecks that the admin still is one and the user exists.
        http(
            "admin_users_freeze",
            table("points", "readwrite"),
            table("identity"),
            key("session"),
            description="Freezes",
        ),
        http(
            "admin_users_unfreeze",
            table("points", "readwrite"),
            table("identity"),
            key("session"),
            description="Unfreezes",
        ),
        # Adjustments: the entry, its audit item and the live-admin ConditionCheck in one transaction.
        http(
            "admin_users_adjust",
            table("points", "readwrite"),
            table("identity"),
            key("session"),
            description="Adjusts a balance by hand, audited",
        ),
        # The audit records of every context that writes them (points/admin_api.py: AUDITED_TABLES):
        # one Query per table and day, on those `AUDIT#<day>` partitions only (and identity's
        # revoked sessions, which every token checker reads).
        http(
            "admin_audit_list",
            table("points", partitions=(AUDIT,)),
            table("identity", partitions=(AUDIT, REVOKED)),
            table("codes", partitions=(AUDIT,)),
            table("mall", partitions=(AUDIT,)),
            table("content", partitions=(AUDIT,)),
            key("session"),
            description="Audited admin actions",
        ),
        # Earning rules (points/earning_rules.py): the list, the change (the rule and its audit item,
        # with a ConditionCheck that the author still is an admin), and a rule's audit.
        http("admin_earning_rules_list", table("points"), key("session"), description="Earning rules"),
        http(
            "admin_earning_rules_put",
            table("points", "readwrite"),
            table("identity"),
            key("session"),
            description="Changes an earning rule, audited",
        ),
        http(
            "admin_earning_rules_changes",
            table("points"),
            key("session"),
            description="An earning rule's changes",
        ),
        http("checkins_create", table("points", "readwrite"), key("session"), description="Checks in"),
        # Deletes: a held earn's HOLD item goes in the transaction that credits it.
        worker(
            "points_earn",
            "points",
            table("points", "readwrite", delete=True),
            description="Credits earned points",
        ),
        # Every minute: each author is paid the likes of each closed minute once (points/like_pay.py).
        FunctionSpec(
            "points_like_pay",
            "schedule",
            (table("points", "readwrite"),),
            description="Pays authors the likes they received, once per closed minute",
            schedule="rate(1 minute)",
            timeout_s=60,
        ),
        # Every 15 minutes: pending earns whose delay has passed are credited (points/pending_release.py).
        FunctionSpec(
            "points_release_pending",
            "schedule",
            (table("points", "readwrite", indexes=("by_release",), delete=True),),
            description="Credits the pending earns whose delay has passed, once",
            schedule="rate(15 minutes)",
            timeout_s=120,
        ),
        # A fraud verdict: the forfeit entry, the bar, the dropped holds and their record in one
        # transaction, with ConditionChecks on identity that the admin still is one and the user exists.
        http(
            "admin_users_sanction",
            table("points", "readwrite", delete=True),
            table("identity"),
            key("session"),
            description="Forfeits a user's points and bars earning",
        ),
        # A review credits a user's pending earns now (points/pending_review.py): each hold's credit
        # deletes it, with its audit item and the identity ConditionChecks, in one transaction.
        http(
            "admin_users_pending_release",
            table("points", "readwrite", delete=True),
            table("identity"),
            key("session"),
            description="Credits a user's pending points now, audited",
        ),
        # 00:10 of each business day: points valid through yesterday expire.
        FunctionSpec(
            "points_expire_plan",
            "schedule",
            (Grant("queue", "expiry", "write"),),
            description="Sends the day's expiry pieces (index date, shard) to the expiry queue",
            schedule="cron(10 0 * * ? *)",
            timezone="Asia/Shanghai",
        ),
        # 10:00 of each business day: points due within `expiry_reminder_days` are reminded once
        # (points/reminders.py); the pieces ride the expiry queue and worker.
        FunctionSpec(
            "points_remind_plan",
            "schedule",
            (Grant("queue", "expiry", "write"),),
            description="Sends the day's expiry reminder pieces to the expiry queue",
            schedule="cron(0 10 * * ? *)",
            timezone="Asia/Shanghai",
        ),
        # 02:30 of each business day: the ledger invariants of the accounts changed yesterday.
        FunctionSpec(
            "points_reconcile_plan",
            "schedule",
            (Grant("queue", "reconcile", "write"),),
            description="Sends yesterday's reconciliation pieces (one per shard) to the reconcile queue",
            schedule="cron(30 2 * * ? *)",
            timezone="Asia/Shanghai",
        ),
        # Reads accounts and ledgers, writes only RECON# records; sends the rest of a piece to itself.
        worker(
            "points_reconcile",
            "reconcile",
            table("points", "readwrite", indexes=("by_change",)),
            Grant("queue", "reconcile", "write"),
            description="Checks the ledger invariants of one piece's accounts",
            timeout_s=120,
        ),
        # Sends to its own queue: the rest of a piece that ran out of time. Also puts the reminders.
        worker(
            "points_expire",
            "expiry",
            table("points", "readwrite", indexes=("by_expiry",)),
            Grant("queue", "expiry", "write"),
            description="Expires (or reminds) the accounts of one expiry piece",
            timeout_s=120,
        ),
    ),
)
