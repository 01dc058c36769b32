"""One settings model, validated at cold start; nothing else reads the environment."""

from __future__ import annotations

from decimal import Decimal
from functools import lru_cache
from itertools import pairwise
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, NonNegativeInt, PositiveInt, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from earnloop.platform.snapshot import on_restore


class TierSetting(BaseModel):
    """One membership tier: reached at `threshold` lifetime points, earning rules pay `multiplier`x."""

    model_config = ConfigDict(frozen=True)

    name: str = Field(pattern=r"^[a-z][a-z0-9_]{0,31}$")
    threshold: NonNegativeInt
    multiplier: Decimal = Field(ge=1, le=10, decimal_places=2)


DEFAULT_TIERS = (
    TierSetting(name="bronze", threshold=0, multiplier=Decimal("1.0")),
    TierSetting(name="silver", threshold=1000, multiplier=Decimal("1.2")),
    TierSetting(name="gold", threshold=5000, multiplier=Decimal("1.5")),
)


class Settings(BaseSettings):
    """Everything a function needs to know about where it runs.

    Table, bus and secret names default to the names the local cloud creates, so that
    `make dev`, the tests and `earnloop invoke` need no configuration; the CDK app sets
    every one of them explicitly on each function (`EARNLOOP_TABLES` and `EARNLOOP_SECRETS` are
    JSON objects from logical name to physical name or ARN).
    """

    model_config = SettingsConfigDict(env_prefix="EARNLOOP_", frozen=True, extra="ignore")

    stage: str = "local"
    region: str = Field(default="ap-east-1", validation_alias="AWS_REGION")

    tables: dict[str, str] = Field(default_factory=dict)
    event_bus: str = "earnloop-local-bus"
    secrets: dict[str, str] = Field(default_factory=dict)
    # `EARNLOOP_BUCKETS`: logical bucket name -> physical name, like the tables.
    buckets: dict[str, str] = Field(default_factory=dict)
    # Signing keys (`EARNLOOP_KEYS`): logical name -> KMS key ARNs, the signing version first, then
    # the versions that still verify tokens they signed (a rotation's grace period).
    keys: dict[str, list[str]] = Field(default_factory=dict)
    # Only the `$default` route's function (`not_found`) has this: path template -> methods of every
    # route the API serves, so a known path asked with another method is 405 with `Allow`.
    routes: dict[str, list[str]] = Field(default_factory=dict)
    # Secrets are re-read after this long, so a rotated key reaches warm containers.
    secret_max_age_s: PositiveInt = 300

    wechat_api_base: str = "https://api.weixin.qq.com"
    wechat_timeout_s: float = 3.0
    wechat_retries: int = 2
    # A signed message push (`/wechat/push`) whose timestamp is further than this from now is
    # refused; within it, each nonce is accepted once (earnloop.wechat.push).
    wechat_push_window_s: PositiveInt = 300
    # WeChat subscribe messages (identity/subscriptions.py): notification kind -> the template id
    # chosen in the mini-program console. A kind without one is never sent; empty (the default, and
    # locally) sends nothing. Stage config sets them (`EARNLOOP_SUBSCRIBE_TEMPLATES`, JSON).
    subscribe_templates: dict[str, str] = Field(default_factory=dict)
    # The template fields the note's text (a `thing`, 20 characters) and time go in.
    subscribe_text_field: str = "thing1"
    subscribe_time_field: str = "time2"
    # The mini-program version a tapped message opens.
    subscribe_state: Literal["developer", "trial", "formal"] = "formal"
    # `wechat` sends; `local` records and sends nothing. Unset: `local` on the local stage.
    subscribe_sender: Literal["wechat", "local"] | None = None

    # Who checks posted text and images (earnloop.moderation): `local` (word lists and image
    # markers, offline), `wechat` (content security), `aws` (Rekognition and the word lists).
    # Unset: `local` on the local stage, `wechat` in every deployed one (see `moderation`).
    moderation_provider: Literal["local", "wechat", "aws"] | None = None
    # Text with one of these is rejected / sent to review (local and aws); empty = the demo lists.
    moderation_reject_words: list[str] = []
    moderation_review_words: list[str] = []
    # Rekognition is not offered in Hong Kong or the China regions: a stage there names another.
    rekognition_region: str | None = None
    # Labels below this confidence are ignored; at or above it they send an image to review.
    rekognition_min_confidence: float = Field(default=50.0, ge=0, le=100)
    # A label in (or under) one of these top-level categories at or above this confidence rejects.
    rekognition_reject_confidence: float = Field(default=80.0, ge=0, le=100)
    rekognition_reject_categories: list[str] = [
        "Explicit",
        "Explicit Nudity",
        "Violence",
        "Visually Disturbing",
        "Hate Symbols",
    ]

    # Sessions live two hours: the mini-program logs in again silently with wx.login when one ends.
    token_ttl_s: PositiveInt = 2 * 3600
    # Each container re-reads the revoked sessions (platform/sessions.py) at most this often: a
    # logout, ban or deletion takes effect everywhere within it.
    session_refresh_s: PositiveInt = 60
    # Scan attempts (accepted or rejected) per sliding hour, per user, per device id and per client
    # IP (risk control; a shop's Wi-Fi or a carrier NAT puts many honest users behind one IP).
    scans_per_hour: PositiveInt = 20
    scans_per_hour_per_device: PositiveInt = 30
    scans_per_hour_per_ip: PositiveInt = 300
    # Accounts scanning from one device id in a business day that flag them all (`RiskFlagged`).
    scan_accounts_per_device_day: PositiveInt = 3
    # Farming rules that freeze (risk/bursts.py, risk/far_apart.py): codes of one batch scanned from
    # one device within a sliding window (a shop's shelf of one product, scanned by one phone); two
    # scans of one user at least `far_apart_scans_min_km` apart faster than `far_apart_scans_max_kmh`
    # (a plane's speed; nearer places never flag, GPS drifts).
    batch_codes_per_device: PositiveInt = 10
    batch_codes_per_device_minutes: PositiveInt = 10
    far_apart_scans_min_km: PositiveInt = 100
    far_apart_scans_max_kmh: PositiveInt = 600
    # Referrals: accepted ones per referrer in a sliding day (more are refused `rate_limited`), and a
    # burst of them within minutes, which freezes the referrer (sharing/service.py).
    referrals_per_day: PositiveInt = 10
    referral_burst: PositiveInt = 5
    referral_burst_minutes: PositiveInt = 10
    # Attempts of the other limited actions per sliding hour (risk control, docs/decisions.md): per
    # user, per device id, per client IP. Rejected attempts count too. A device may hold a couple of
    # accounts of one family; an IP is generous (a carrier NAT puts thousands of honest users behind one).
    # Likes: a like and an unlike are both attempts (a toggle storm is the farming pattern); 120 an
    # hour is two a minute, more than a person scrolling a feed gives.
    likes_per_hour: PositiveInt = 120
    likes_per_hour_per_device: PositiveInt = 300
    likes_per_hour_per_ip: PositiveInt = 2000
    # Comments: moderated text people type; 30 an hour is one every two minutes, all hour long.
    comments_per_hour: PositiveInt = 30
    comments_per_hour_per_device: PositiveInt = 60
    comments_per_hour_per_ip: PositiveInt = 600
    # Share links: a person shares a few things a day; a script mints links to farm referrals.
    shares_per_hour: PositiveInt = 30
    shares_per_hour_per_device: PositiveInt = 60
    shares_per_hour_per_ip: PositiveInt = 600
    # Redemptions (a replay of an Idempotency-Key is an attempt too): a buyer places a few orders;
    # a flash sale's honest crowd behind one NAT still stays far below the IP's 200.
    redemptions_per_hour: PositiveInt = 10
    redemptions_per_hour_per_device: PositiveInt = 20
    redemptions_per_hour_per_ip: PositiveInt = 200
    # Distinct readers whose reports send a published post back to the admins (hidden meanwhile).
    post_report_threshold: PositiveInt = 3
    # Printed QR symbols hold `<qr_url_base><code>` (a WeChat plain-URL QR rule opens the mini-program);
    # at most 64 characters without commas or quotes, so a CSV export range fits one Lambda answer.
    # Locally the printed URLs point at `make dev` itself, so the whole path of a printed code can be
    # tried; a deployed stage sets its code domain (the CDK app refuses to synthesize without one).
    qr_url_base: str = Field(
        default="http://127.0.0.1:8000/q/", max_length=64, pattern=r"^https?://[^\s,\"']+$"
    )
    # Former code URL bases whose printed codes still scan (a brand that moves its code domain keeps
    # the packs already in shops); `POST /v1/scans` refuses URLs on any other host.
    qr_url_aliases: list[Annotated[str, Field(max_length=64, pattern=r"^https?://[^\s,\"']+$")]] = []
    # The project's own media domain (its CDN host): avatars may be https URLs there or on WeChat's.
    media_host: str | None = Field(default=None, pattern=r"^[a-z0-9]([a-z0-9.-]{0,251}[a-z0-9])?$")
    # WeChat's verification file for the plain-URL QR rule, served at the code domain's root.
    wechat_verify_file: str | None = Field(default=None, pattern=r"^[A-Za-z0-9_-]{1,64}\.txt$")
    wechat_verify_content: str | None = Field(default=None, max_length=256)
    # Pending points (points/pending.py): earns of an account younger than `pending_new_account_days`
    # wait `pending_delay_hours` before they are spendable (0: off; a stage sets e.g. 72).
    pending_delay_hours: NonNegativeInt = 0
    pending_new_account_days: PositiveInt = 7
    # A risky user's earns (WeChat's getUserRiskRank at least `pending_risky_rank`, cached on the
    # account: identity/risk_ranks.py, points/risk_ranks.py) wait `pending_risky_delay_hours` (0: off).
    pending_risky_rank: int = Field(default=3, ge=1, le=4)
    pending_risky_delay_hours: NonNegativeInt = 72
    # Who ranks a user's risk at login: `wechat` (getUserRiskRank) or `local` (dev codes
    # `dev:risky...` rank 4). Unset: `local` on the local stage, `wechat` in every deployed one.
    risk_rank_provider: Literal["local", "wechat"] | None = None
    # A known rank is asked again at a login once it is this old (scene 1, marketing).
    risk_rank_max_age_h: PositiveInt = 24
    # A sanction (points/sanctions.py) bars earning for this many days.
    sanction_bar_days: PositiveInt = 182
    expiry_months: PositiveInt = 12
    expiry_shards: PositiveInt = 8
    # Points whose last valid day is within this many business days (today included) are reminded.
    expiry_reminder_days: PositiveInt = 3
    # The outbox sweep (platform/outbox_sweep.py): seconds after a write before a pending effect
    # that has not arrived is republished, by kind (`post_earn`, ...); a kind not listed keeps its
    # declared delay.
    outbox_delays_s: dict[str, PositiveInt] = Field(default_factory=dict)
    # Check-ins (points/checkins.py): day `checkin_bonus_day` of a streak, and every multiple of it
    # (the cycle restarts), pays the checkin rule's points times `checkin_bonus_multiplier`.
    checkin_bonus_day: PositiveInt = 7
    checkin_bonus_multiplier: PositiveInt = 2
    # Lifecycle segments (identity/segments_rules.py): a user is `new` for this many business days
    # after registering unless they scan, `at_risk` after this many days without activity, and
    # `sleeping` after this many; the daily move finds them through this many index shards.
    segment_new_days: PositiveInt = 7
    segment_at_risk_days: PositiveInt = 30
    segment_sleeping_days: PositiveInt = 90
    segment_shards: PositiveInt = 8
    # The wake-up gift a user gets once per sleep: points valid this many days (0 points: no gift).
    wakeup_gift_points: int = Field(default=100, ge=0)
    wakeup_gift_days: PositiveInt = 14
    # Topics `for_you` puts first for readers in the `new` segment (content/feed_segments.py).
    onboarding_topics: list[str] = []
    # Membership tiers by lifetime points (`EARNLOOP_TIERS`, a JSON list of {name, threshold,
    # multiplier}), lowest first: every function reads the same list (the CDK app passes one value).
    tiers: tuple[TierSetting, ...] = DEFAULT_TIERS
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"

    @field_validator("tiers")
    @classmethod
    def _ladder(cls, tiers: tuple[TierSetting, ...]) -> tuple[TierSetting, ...]:
        # A promotion must never pay less, and everyone starts in the first tier.
        if not tiers or tiers[0].threshold != 0:
            raise ValueError("the first tier starts at 0 lifetime points")
        for lower, upper in pairwise(tiers):
            if upper.threshold <= lower.threshold or upper.multiplier < lower.multiplier:
                raise ValueError("tiers ascend: higher thresholds, multipliers never lower")
        if len({tier.name for tier in tiers}) != len(tiers):
            raise ValueError("tier names are unique")
        return tiers

    @property
    def is_local(self) -> bool:
        return self.stage == "local"

    @property
    def moderation(self) -> Literal["local", "wechat", "aws"]:
        """The moderation provider: a deployed stage never falls back to the offline one."""
        if self.moderation_provider is not None:
            return self.moderation_provider
        return "local" if self.is_local else "wechat"

    @property
    def qr_url_bases(self) -> list[str]:
        """Every base a printed code's URL may start with: the current one first."""
        return [self.qr_url_base, *self.qr_url_aliases]

    def table_name(self, name: str) -> str:
        """The physical name of the context table `name` ("points", "codes", ...)."""
        return self.tables.get(name) or f"earnloop-local-{name}"

    def bucket_name(self, name: str) -> str:
        """The physical name of the bucket `name` ("media")."""
        return self.buckets.get(name) or f"earnloop-local-{name}"

    def key_ids(self, name: str) -> list[str]:
        """The KMS key ids, ARNs or aliases of the signing key `name`, the signing version first.

        The local cloud names its one version by alias (`alias/earnloop/local/session`).
        """
        return self.keys.get(name) or [f"alias/earnloop/local/{name.replace('_', '-')}"]

    def secret_id(self, name: str) -> str:
        """The name or ARN of the secret `name` ("session", "qr_keys", ...)."""
        return self.secrets.get(name) or f"earnloop/local/{name.replace('_', '-')}"


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings()


# Read again in each environment restored from a snapshot: nothing in it should differ between
# environments today, and re-reading costs about a millisecond on the first request.
on_restore(get_settings.cache_clear)
