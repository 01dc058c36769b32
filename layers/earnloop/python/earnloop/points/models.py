"""Shapes of the points context: the account and its ledger, the commands that change them, and what
the HTTP routes return."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, PositiveInt, StrictStr

AccountStatus = Literal["active", "frozen"]
EntryType = Literal["earn", "spend", "expire", "refund", "adjust", "freeze", "unfreeze"]
ACTIVE: AccountStatus = "active"
FROZEN: AccountStatus = "frozen"


class Account(BaseModel):
    """A user's points account as stored. `buckets` maps expiry date -> points still valid."""

    model_config = ConfigDict(frozen=True)

    user_id: str
    balance: int = 0
    lifetime_earned: int = 0
    status: AccountStatus = ACTIVE
    # None: the account item does not exist yet (its first write must create it).
    version: int | None = None
    buckets: dict[date, int] = Field(default_factory=dict)
    next_expiry: date | None = None
    # Points clawed back that the balance could not cover (points/post_rewards.py); later earns
    # repay it before they add to the balance.
    debt: int = 0
    # The tier the account was promoted to (None: never promoted, the first tier); see points/tiers.py.
    tier: str | None = None
    # When the account item was first written (None: before this was recorded): its earns are
    # pending while it is new (points/pending.py).
    opened_at: str | None = None
    # A sanction (points/sanctions.py): no earning until this instant (ISO), and why.
    barred_until: str | None = None
    bar_reason: str | None = None
    # WeChat's risk rank of the user (0..4), copied from identity's RiskRankChanged, and as of
    # when (points/risk_ranks.py): a risky account's earns are pending (points/pending.py).
    risk_rank: int | None = None
    risk_rank_at: str | None = None

    @property
    def exists(self) -> bool:
        return self.version is not None

    @property
    def frozen(self) -> bool:
        return self.status == FROZEN


class LedgerEntry(BaseModel):
    """One committed change of an account: the audit trail and the history the user sees."""

    model_config = ConfigDict(frozen=True)

    txn_id: str
    user_id: str
    entry_type: EntryType
    delta: int
    balance_after: int
    # Expiry date (ISO) -> points added (+) or taken (-) from that bucket.
    buckets: dict[str, int] = Field(default_factory=dict)
    reason: str
    actor: str
    reference: str | None = None
    created_at: str
    # Debt this entry added (+, a clawback the balance could not cover) or repaid (-, an earn).
    debt_delta: int | None = None
    # A rule earn: the rule's points before the multiplier of the account's `tier` (as read).
    base_points: int | None = None
    multiplier: Decimal | None = None
    tier: str | None = None


class DailyCap(BaseModel):
    """An earning rule's cap: at most `limit` points per business day from `rule`."""

    model_config = ConfigDict(frozen=True)

    rule: str = Field(pattern=r"^[a-z_]{1,32}$")
    limit: PositiveInt


class EarnCommand(BaseModel):
    """Credit `points` to `user_id`, at most once per `txn_id`."""

    model_config = ConfigDict(frozen=True)

    txn_id: str = Field(min_length=1, max_length=200)
    user_id: str = Field(min_length=1, max_length=64)
    points: PositiveInt
    reason: str = Field(min_length=1, max_length=200)
    actor: str = "system"
    reference: str | None = None
    entry_type: Literal["earn", "refund"] = "earn"
    cap: DailyCap | None = None
    # When the earning act happened; a cap counts its business day. None: when it is applied.
    occurred_at: datetime | None = None
    # The last valid day of these points, instead of the usual bucket (a short-lived gift such as
    # the wake-up gift). None: the bucket of the day they are applied.
    expires_on: date | None = None
    # `points` are an earning rule's base points: the account's tier multiplier applies (rounded
    # down; the cap still counts the base). Refunds, adjustments and gifts leave it False.
    tiered: bool = False


class SpendCommand(BaseModel):
    """Take `points` from `user_id`, oldest buckets first, at most once per `txn_id`."""

    model_config = ConfigDict(frozen=True)

    txn_id: str = Field(min_length=1, max_length=200)
    user_id: str = Field(min_length=1, max_length=64)
    points: PositiveInt
    reason: str = Field(min_length=1, max_length=200)
    actor: str
    reference: str | None = None


class Hold(BaseModel):
    """An earn that arrived while the account was frozen, kept until the account is unfrozen; or a
    pending earn (`release_at` set), credited by the release schedule at that instant."""

    model_config = ConfigDict(frozen=True)

    command: EarnCommand
    held_at: str
    release_at: str | None = None


OutcomeStatus = Literal[
    "applied", "already_applied", "held", "pending", "refused", "nothing_due", "unchanged"
]


class Outcome(BaseModel):
    """What a ledger command did. `already_applied` is success: the txn id was committed before."""

    model_config = ConfigDict(frozen=True)

    status: OutcomeStatus
    txn_id: str | None = None
    entry: LedgerEntry | None = None
    balance: int | None = None


@dataclass(frozen=True)
class CapCharge:
    """The cap counter item an earn increments in its transaction."""

    rule: str
    day: date
    points: int
    # The counter must be at most this before the earn (limit - points).
    ceiling: int
    expires_at: int


@dataclass(frozen=True)
class Posting:
    """Everything one ledger transaction writes, decided from the account as read.

    The store turns it into one TransactWriteItems; `seen_version` (None: the account must not
    exist) makes it apply only to the account it was computed from.
    """

    account: Account
    entry: LedgerEntry
    bucket_deltas: dict[date, int]
    emptied: frozenset[date]
    next_expiry: date | None
    lifetime_delta: int = 0
    new_status: AccountStatus | None = None
    cap: CapCharge | None = None
    release_hold: bool = False
    debt_delta: int = 0
    # A promotion this write makes (points/tiers.py): (from tier, to tier).
    promotion: tuple[str, str] | None = None
    # A sanction this write makes (points/sanctions.py): (barred until ISO, reason).
    bar: tuple[str, str] | None = None

    @property
    def seen_version(self) -> int | None:
        return self.account.version


class PointsSummary(BaseModel):
    """The balance line of `GET /v1/me`."""

    balance: int
    expiring_soon: int


class ExpiringPoints(BaseModel):
    date: date
    points: int


class PendingRelease(BaseModel):
    """One held earn of `GET /v1/points`: how many points, and when they become spendable."""

    points: int
    release_at: str | None = Field(
        default=None, description="When they become spendable; absent: when the account is unfrozen"
    )


class PointsPublic(BaseModel):
    """`GET /v1/points`. `pending`: points earned but not yet spendable (held); `barred` (a
    sanction) says until when and why the account earns nothing."""

    balance: int
    lifetime_earned: int
    tier: str
    status: Literal["active", "frozen", "barred"]
    expiring: list[ExpiringPoints]
    pending: int = Field(default=0, description="Points earned but held: not spendable yet")
    pending_releases: list[PendingRelease] | None = Field(
        default=None, description="The held earns, soonest release first; absent when none"
    )
    barred_until: str | None = Field(default=None, description="While barred: when earning resumes")
    bar_reason: str | None = Field(default=None, description="While barred: why")


class HistoryItem(BaseModel):
    txn_id: str
    type: EntryType
    delta: int
    balance_after: int
    reason: str
    created_at: str
    # Only on a rule earn: the rule's points and the tier multiplier that made `delta` of them.
    base_points: int | None = Field(default=None, description="The rule's points before the tier multiplier")
    multiplier: float | None = Field(default=None, description="The tier multiplier the earn was paid at")


class HistoryPage(BaseModel):
    """`GET /v1/points/history`: newest first; `next_cursor` is absent on the last page."""

    items: list[HistoryItem]
    next_cursor: str | None = None


class FreezeRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    reason: StrictStr = Field(min_length=1, max_length=200)


class UnfreezeRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    reason: StrictStr | None = Field(default=None, min_length=1, max_length=200)
    # The earns held while the account was frozen: credited (the default), or forfeited when the
    # freeze proved them farmed (dropped in the unfreeze's own transaction, listed in its audit).
    held: Literal["release", "forfeit"] = "release"


class AccountStatusPublic(BaseModel):
    """What the freeze/unfreeze routes return. `txn_id` is absent when nothing changed."""

    user_id: str
    status: AccountStatus
    balance: int
    txn_id: str | None = None
