"""What differs between stages, decided in one place."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from aws_cdk import RemovalPolicy
from aws_cdk import aws_logs as logs

from infra.naming import check_stage

if TYPE_CHECKING:
    from pathlib import Path

# Sustained and burst requests per second across all routes, before HTTP API answers 429.
# Sized above the scan spike of a promotion; the queues absorb what the tables cannot take at once.
API_RATE_LIMIT = 1000
API_BURST_LIMIT = 2000


@dataclass(frozen=True)
class StageConfig:
    stage: str
    deps_layer: Path
    alarm_email: str | None = None

    def __post_init__(self) -> None:
        check_stage(self.stage)

    @property
    def protect_data(self) -> bool:
        """Only `dev` may lose its data: every other stage keeps and deletion-protects it."""
        return self.stage != "dev"

    @property
    def removal_policy(self) -> RemovalPolicy:
        return RemovalPolicy.RETAIN if self.protect_data else RemovalPolicy.DESTROY

    @property
    def log_retention(self) -> logs.RetentionDays:
        return logs.RetentionDays.THREE_MONTHS if self.protect_data else logs.RetentionDays.ONE_WEEK
