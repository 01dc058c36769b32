"""What differs between stages, decided in one place, and read from the CDK context.

Context keys (`-c key=value` or `cdk.json`):

- `stage` (default `dev`): `dev` is disposable; every other stage keeps its data and needs the keys
  marked "outside dev" below.
- `code_domain` (always): the host printed in every QR code, `https://<code_domain>/q/<code>`.
- `api_domain`, `certificate_arn` (outside dev): the HTTPS host the mini-program calls (WeChat's request
  domain whitelist) and the ACM certificate, in the stack's region, covering it and the code domain;
  `code_certificate_arn` when the code domain has a certificate of its own.
- `alarm_email` or `alarm_topic_arn` (outside dev): where alarms go.
- `snapstart` (`true`/`false`, default: on wherever the region offers SnapStart for Python).
- `reserved_concurrency` (`true`/`false`, default: on outside dev).
- `wechat_verify_file`, `wechat_verify_content`: WeChat's verification file for the plain-URL QR rule.
- `session_keys` (default `1`): the session key's versions, comma-separated, the signing one first;
  the others only verify until the tokens they signed expire (docs/deploy.md: rotating it).
- `deps_layer`: the dependency layer folder (default `build/deps-layer`, built by `make layer`).
- `moderation_provider` (`wechat` or `aws`, default `wechat`): who checks posts' text and images;
  `aws` is Rekognition plus a word list (docs/decisions.md), with `rekognition_region` where the
  stack's region has no Rekognition (Hong Kong: e.g. `ap-southeast-1`).
- `tiers`: the membership tiers, a JSON list `[{"name", "threshold", "multiplier"}]` lowest first
  (default: bronze 0 x1.0, silver 1000 x1.2, gold 5000 x1.5 lifetime points); every function gets
  the same list, checked before any synth.
- `segments`: lifecycle segment settings, a JSON object with any of `segment_new_days` (7),
  `segment_at_risk_days` (30), `segment_sleeping_days` (90), `wakeup_gift_points` (100),
  `wakeup_gift_days` (14) and `onboarding_topics` ([]); every function gets the same values,
  checked before any synth (days ascending new < at risk < sleeping).
- `pending`: pending points settings, a JSON object with any of `pending_delay_hours` (a new
  account's earns wait this long; default 72 outside dev, 0 = off in dev), `pending_new_account_days`
  (7), `pending_risky_delay_hours` (a risky user's earns, by WeChat's risk rank; 72) and
  `pending_risky_rank` (3); checked before any synth.
- `imaging_layer`: the imaging layer folder (default `build/imaging-layer`, built by `make layer`),
  attached only to the functions that declare it.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from aws_cdk import RemovalPolicy
from aws_cdk import aws_logs as logs
from earnloop.platform.settings import Settings
from pydantic import ValidationError

from infra.layer_build import LAYER_TARGETS
from infra.naming import check_stage

# The settings a stage's `segments` key may set (identity/segments_rules.py, points/wakeup_gift.py).
SEGMENT_SETTINGS = frozenset(
    {
        "segment_new_days",
        "segment_at_risk_days",
        "segment_sleeping_days",
        "wakeup_gift_points",
        "wakeup_gift_days",
        "onboarding_topics",
    }
)

# The settings a stage's `pending` key may set (points/pending.py).
PENDING_SETTINGS = frozenset(
    {"pending_delay_hours", "pending_new_account_days", "pending_risky_delay_hours", "pending_risky_rank"}
)
# A deployed stage holds a new account's earns this long unless its `pending` key says otherwise:
# fresh accounts are what farms are made of (docs/decisions.md); `dev` credits at once.
DEPLOYED_PENDING_DELAY_HOURS = 72

if TYPE_CHECKING:
    from collections.abc import Callable

# Sustained and burst requests per second across all routes, before HTTP API answers 429.
# Sized above the scan spike of a promotion; the queues absorb what the tables cannot take at once.
API_RATE_LIMIT = 1000
API_BURST_LIMIT = 2000
# (rate, burst) per function's routes, tighter than the stage default. Login calls WeChat, whose
# jscode2session quota is the app's, not ours to spend on a flood; scans are the promotion's spike,
# held where the queues and the claims table take it without throttling the rest of the API.
ROUTE_THROTTLES: dict[str, tuple[int, int]] = {"auth_login": (100, 200), "scans_create": (500, 1000)}

# China's Cybersecurity Law (art. 21) asks that network logs be kept for at least six months.
RETAINED_LOGS = logs.RetentionDays.SIX_MONTHS
DEV_LOGS = logs.RetentionDays.ONE_WEEK

# Regions that offer SnapStart for Python (checked 2026-12 against the Lambda guide: "all commercial
# Regions except Asia Pacific (New Zealand) and Asia Pacific (Taipei)"; the China-regions guide lists
# SnapStart for Python and .NET as not available in Beijing and Ningxia; cfn-lint 1.58's E2530 knows
# the same list). Elsewhere (the China regions included) the functions deploy without SnapStart. An
# allow-list, so that a region added later starts without SnapStart rather than failing to deploy.
SNAPSTART_REGIONS = (
    "us-east-1", "us-east-2", "us-west-1", "us-west-2", "af-south-1", "ap-east-1", "ap-south-1",
    "ap-south-2", "ap-southeast-1", "ap-southeast-2", "ap-southeast-3", "ap-southeast-4",
    "ap-southeast-5", "ap-southeast-7", "ap-northeast-1", "ap-northeast-2", "ap-northeast-3",
    "ca-central-1", "ca-west-1", "eu-central-1", "eu-central-2", "eu-west-1", "eu-west-2",
    "eu-west-3", "eu-south-1", "eu-south-2", "eu-north-1", "me-south-1", "me-central-1",
    "il-central-1", "mx-central-1", "sa-east-1",
)  # fmt: skip

# A lowercase DNS name with at least one dot; the QR URL base built from it must stay within the
# 64 characters `Settings.qr_url_base` allows (a CSV export range must fit one Lambda answer).
_HOST = re.compile(r"^(?=.{4,53}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$")
_CERTIFICATE = re.compile(r"^arn:aws(-cn)?:acm:[a-z0-9-]+:\d{12}:certificate/[A-Za-z0-9-]+$")
_TOPIC = re.compile(r"^arn:aws(-cn)?:sns:[a-z0-9-]+:\d{12}:[A-Za-z0-9_-]{1,256}$")
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
# A session key version's name: part of its construct id, so a rename would replace the key.
_REGION = re.compile(r"^[a-z]{2}(-gov)?-[a-z]+-\d$")
# Deployed stages moderate with WeChat or AWS; the offline rules (`local`) are for `make dev` only.
MODERATION_PROVIDERS = ("wechat", "aws")
_KEY_VERSION = re.compile(r"^[A-Za-z0-9]{1,16}$")


class ConfigError(ValueError):
    """The context cannot deploy this stage; the message names the key to set."""


@dataclass(frozen=True)
class StageConfig:
    stage: str
    deps_layer: Path
    code_domain: str
    api_domain: str | None = None
    certificate_arn: str | None = None
    code_certificate_arn: str | None = None
    alarm_email: str | None = None
    alarm_topic_arn: str | None = None
    # None: decided at deploy time from the region (a CloudFormation condition).
    snapstart: bool | None = None
    reserved_concurrency: bool | None = None
    wechat_verify_file: str | None = None
    wechat_verify_content: str | None = None
    # The `tiers` setting as JSON (None: the settings' defaults).
    tiers: str | None = None
    # Lifecycle segment settings as a JSON object (None: the settings' defaults).
    segments: str | None = None
    # Pending points settings as a JSON object (None: the stage's defaults, `pending_environment`).
    pending: str | None = None
    session_keys: tuple[str, ...] = ("1",)
    moderation_provider: str = "wechat"
    rekognition_region: str | None = None
    # Optional layers (name, folder holding `python/`): `<name>_layer` in the context.
    layers: tuple[tuple[str, Path], ...] = tuple(LAYER_TARGETS.items())

    def __post_init__(self) -> None:
        check_stage(self.stage)
        self._check_session_keys()
        self._check_domains()
        if self.protect_data and not (self.alarm_email or self.alarm_topic_arn):
            raise ConfigError(
                f"stage {self.stage!r} needs an alarm destination: -c alarm_email=ops@example.com "
                "or -c alarm_topic_arn=arn:aws:sns:<region>:<account>:<topic>"
            )
        if self.alarm_email and not _EMAIL.match(self.alarm_email):
            raise ConfigError(f"alarm_email {self.alarm_email!r} is not an e-mail address")
        if self.alarm_topic_arn and not _TOPIC.match(self.alarm_topic_arn):
            raise ConfigError(f"alarm_topic_arn {self.alarm_topic_arn!r} is not an SNS topic ARN")
        if (self.wechat_verify_file is None) != (self.wechat_verify_content is None):
            raise ConfigError("wechat_verify_file and wechat_verify_content go together")
        self._check_moderation()
        self._check_tiers()
        self.segment_environment()

    def _check_tiers(self) -> None:
        if self.tiers is None:
            return
        try:
            Settings.model_validate({"tiers": json.loads(self.tiers)})
        except (ValueError, ValidationError) as error:
            raise ConfigError(
                f"tiers {self.tiers!r} is not a tier list: a JSON list of {{name, threshold, multiplier}}, "
                f"the first at threshold 0, thresholds rising, multipliers (1-10) never falling ({error})"
            ) from error

    def _check_moderation(self) -> None:
        if self.moderation_provider not in MODERATION_PROVIDERS:
            raise ConfigError(
                f"moderation_provider {self.moderation_provider!r} must be one of "
                f"{', '.join(MODERATION_PROVIDERS)} (the offline rules are for make dev only)"
            )
        if self.rekognition_region is not None:
            if self.moderation_provider != "aws":
                raise ConfigError("rekognition_region is for moderation_provider=aws")
            if not _REGION.match(self.rekognition_region):
                raise ConfigError(f"rekognition_region {self.rekognition_region!r} is not a region name")

    def _check_session_keys(self) -> None:
        if not self.session_keys or len(set(self.session_keys)) != len(self.session_keys):
            raise ConfigError(f"session_keys {','.join(self.session_keys)!r}: one or more distinct versions")
        for version in self.session_keys:
            if not _KEY_VERSION.match(version):
                raise ConfigError(f"session key version {version!r} must be 1-16 letters or digits")

    def _check_domains(self) -> None:
        if not self.code_domain:
            raise ConfigError(
                "context code_domain is required: the host printed in every QR code "
                "(https://<code_domain>/q/<code>), e.g. -c code_domain=q.example.cn"
            )
        for key in ("code_domain", "api_domain"):
            value = getattr(self, key)
            if value is not None and not _HOST.match(value):
                raise ConfigError(f"{key} {value!r} must be a lowercase host name (4-53 characters)")
        for key in ("certificate_arn", "code_certificate_arn"):
            value = getattr(self, key)
            if value is not None and not _CERTIFICATE.match(value):
                raise ConfigError(f"{key} {value!r} is not an ACM certificate ARN")
        if self.protect_data and not (self.api_domain and self.certificate_arn):
            raise ConfigError(
                f"stage {self.stage!r} needs its own HTTPS domain, which WeChat must whitelist: "
                "-c api_domain=api.example.cn "
                "-c certificate_arn=arn:aws:acm:<region>:<account>:certificate/<id>"
            )
        if self.api_domain and not self.certificate_arn:
            raise ConfigError("api_domain needs certificate_arn (an ACM certificate in the stack's region)")

    @classmethod
    def from_context(cls, get: Callable[[str], Any], default_layer: Path) -> StageConfig:
        """From `app.node.try_get_context`; `-c` values arrive as strings, cdk.json values typed."""

        def text(key: str) -> str | None:
            value = get(key)
            return str(value).strip() or None if value is not None else None

        def flag(key: str) -> bool | None:
            value = get(key)
            if value is None or isinstance(value, bool):
                return value
            lowered = str(value).strip().lower()
            if lowered not in ("true", "false"):
                raise ConfigError(f"{key} must be true or false, not {value!r}")
            return lowered == "true"

        layer = text("deps_layer")
        return cls(
            stage=text("stage") or "dev",
            deps_layer=Path(layer) if layer else default_layer,
            code_domain=text("code_domain") or "",
            api_domain=text("api_domain"),
            certificate_arn=text("certificate_arn"),
            code_certificate_arn=text("code_certificate_arn"),
            alarm_email=text("alarm_email"),
            alarm_topic_arn=text("alarm_topic_arn"),
            snapstart=flag("snapstart"),
            reserved_concurrency=flag("reserved_concurrency"),
            wechat_verify_file=text("wechat_verify_file"),
            wechat_verify_content=text("wechat_verify_content"),
            tiers=tiers if isinstance(tiers := get("tiers"), str) or tiers is None else json.dumps(tiers),
            segments=seg if isinstance(seg := get("segments"), str) or seg is None else json.dumps(seg),
            pending=pen if isinstance(pen := get("pending"), str) or pen is None else json.dumps(pen),
            session_keys=tuple(v.strip() for v in (text("session_keys") or "1").split(",")),
            moderation_provider=text("moderation_provider") or "wechat",
            rekognition_region=text("rekognition_region"),
            layers=tuple(
                (name, Path(text(f"{name}_layer") or default)) for name, default in LAYER_TARGETS.items()
            ),
        )

    def segment_environment(self) -> dict[str, str]:
        """The `segments` stage key as the functions' environment (`EARNLOOP_<SETTING>`).

        Raises:
            ConfigError: not an object of the segment settings, or values that cannot work.
        """
        if self.segments is None:
            return {}
        try:
            values = json.loads(self.segments)
            if not isinstance(values, dict) or not set(values) <= SEGMENT_SETTINGS:
                raise ValueError(f"only {sorted(SEGMENT_SETTINGS)}")
            settings = Settings.model_validate(values)
            if not (
                settings.segment_new_days < settings.segment_at_risk_days < settings.segment_sleeping_days
            ):
                raise ValueError("days ascend: new < at risk < sleeping")
        except (ValueError, ValidationError) as error:
            raise ConfigError(
                f"segments {self.segments!r} is not a segment setting object ({error})"
            ) from None
        return {
            f"EARNLOOP_{name.upper()}": json.dumps(value) if isinstance(value, list) else str(value)
            for name, value in sorted(values.items())
        }

    def pending_environment(self) -> dict[str, str]:
        """The stage's pending points settings as the functions' environment: a new account's
        earns wait `DEPLOYED_PENDING_DELAY_HOURS` outside dev unless the `pending` key says otherwise.

        Raises:
            ConfigError: not an object of the pending settings, or values the settings refuse.
        """
        values: dict[str, Any] = (
            {} if self.stage == "dev" else {"pending_delay_hours": DEPLOYED_PENDING_DELAY_HOURS}
        )
        if self.pending is not None:
            try:
                given = json.loads(self.pending)
                if not isinstance(given, dict) or not set(given) <= PENDING_SETTINGS:
                    raise ValueError(f"only {sorted(PENDING_SETTINGS)}")
                Settings.model_validate(given)
            except (ValueError, ValidationError) as error:
                raise ConfigError(
                    f"pending {self.pending!r} is not a pending setting object ({error})"
                ) from None
            values.update(given)
        return {f"EARNLOOP_{name.upper()}": str(value) for name, value in sorted(values.items())}

    def layer_folder(self, name: str) -> Path:
        for known, folder in self.layers:
            if known == name:
                return folder
        raise KeyError(f"no layer named {name!r} (known: {[known for known, _ in self.layers]})")

    @property
    def protect_data(self) -> bool:
        """Only `dev` may lose its data: every other stage keeps and deletion-protects it."""
        return self.stage != "dev"

    @property
    def qr_url_base(self) -> str:
        return f"https://{self.code_domain}/q/"

    @property
    def reserve_concurrency(self) -> bool:
        # A new account's concurrency quota can be too small to reserve anything (AWS keeps 100
        # unreserved), so the disposable stage does not ask for it unless told to.
        return self.protect_data if self.reserved_concurrency is None else self.reserved_concurrency

    @property
    def removal_policy(self) -> RemovalPolicy:
        """Resources with a name CloudFormation chooses (tables): kept even when their create is
        rolled back, which cannot block a retry because the retry names its own."""
        return RemovalPolicy.RETAIN if self.protect_data else RemovalPolicy.DESTROY

    @property
    def named_removal_policy(self) -> RemovalPolicy:
        """Resources with a fixed name (log groups, secrets) or no data of their own (keys): kept on
        update and stack deletion, but deleted when their own create is rolled back, so a failed first
        deploy leaves no `earnloop/<stage>/...` behind to make the retry fail with "already exists"."""
        return RemovalPolicy.RETAIN_ON_UPDATE_OR_DELETE if self.protect_data else RemovalPolicy.DESTROY

    @property
    def log_retention(self) -> logs.RetentionDays:
        return RETAINED_LOGS if self.protect_data else DEV_LOGS
