"""One settings model, validated at cold start; nothing else reads the environment."""

from __future__ import annotations

from functools import lru_cache
from typing import Literal

from pydantic import Field, PositiveInt
from pydantic_settings import BaseSettings, SettingsConfigDict


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
    # Secrets are re-read after this long, so a rotated key reaches warm containers.
    secret_max_age_s: PositiveInt = 300

    wechat_api_base: str = "https://api.weixin.qq.com"
    wechat_timeout_s: float = 3.0
    wechat_retries: int = 2

    token_ttl_s: PositiveInt = 7 * 24 * 3600
    scans_per_hour: PositiveInt = 20
    # Printed QR symbols hold `<qr_url_base><code>` (a WeChat plain-URL QR rule opens the mini-program);
    # at most 64 characters without commas or quotes, so a CSV export range fits one Lambda answer.
    qr_url_base: str = Field(
        default="https://example.com/q/", max_length=64, pattern=r"^https?://[^\s,\"']+$"
    )
    expiry_months: PositiveInt = 12
    expiry_shards: PositiveInt = 8
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"

    @property
    def is_local(self) -> bool:
        return self.stage == "local"

    def table_name(self, name: str) -> str:
        """The physical name of the context table `name` ("points", "codes", ...)."""
        return self.tables.get(name) or f"earnloop-local-{name}"

    def secret_id(self, name: str) -> str:
        """The name or ARN of the secret `name` ("session", "qr_keys", ...)."""
        return self.secrets.get(name) or f"earnloop/local/{name.replace('_', '-')}"


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings()
