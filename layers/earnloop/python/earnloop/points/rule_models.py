"""Shapes of the earning-rule admin routes and of a rule change's audit record."""

from __future__ import annotations

from typing import Any

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    SerializerFunctionWrapHandler,
    StrictBool,
    StrictInt,
    model_serializer,
    model_validator,
)

from earnloop.points.earning_rules import EarningRule, RuleName

MAX_POINTS = 100_000
MAX_DAILY_CAP = 1_000_000


class RuleTerms(BaseModel):
    """What an admin sets: the before and after of an audited change."""

    model_config = ConfigDict(frozen=True)

    points: int | None
    daily_cap: int | None
    enabled: bool


class EarningRuleUpdate(BaseModel):
    """`PUT /v1/admin/earning-rules/{rule}`: the rule's whole terms (a PUT replaces them).

    `version`: the version the admin's edit started from (from the GET); when given and the rule
    has moved on since, the change is refused (409 `conflict`) instead of silently overwriting
    another admin's change.
    """

    model_config = ConfigDict(extra="forbid")

    points: StrictInt | None = Field(ge=1, le=MAX_POINTS)
    daily_cap: StrictInt | None = Field(ge=1, le=MAX_DAILY_CAP)
    enabled: StrictBool
    version: StrictInt | None = Field(default=None, ge=0)

    @model_validator(mode="after")
    def _cap_fits_one_earn(self) -> EarningRuleUpdate:
        # The ledger refuses an earn whose points alone exceed the cap: such a rule would pay nothing.
        if self.points is not None and self.daily_cap is not None and self.daily_cap < self.points:
            raise ValueError("daily_cap must be at least points")
        return self

    def terms(self) -> RuleTerms:
        return RuleTerms(points=self.points, daily_cap=self.daily_cap, enabled=self.enabled)


class EarningRuleChange(BaseModel):
    """One audited change: `after` became version `version` of rule `rule`."""

    model_config = ConfigDict(frozen=True)

    rule: RuleName
    version: int
    changed_at: str
    changed_by: str
    before: RuleTerms
    after: RuleTerms


class EarningRuleList(BaseModel):
    """`GET /v1/admin/earning-rules`."""

    rules: list[EarningRule]


class EarningRuleChangePage(BaseModel):
    """`GET /v1/admin/earning-rules/{rule}/changes`: newest first."""

    items: list[EarningRuleChange]
    next_cursor: str | None = None

    @model_serializer(mode="wrap")
    def _without_last_cursor(self, handler: SerializerFunctionWrapHandler) -> dict[str, Any]:
        # Absent on the last page, as every page of the API; the terms keep their explicit nulls.
        data: dict[str, Any] = handler(self)
        if data.get("next_cursor") is None:
            data.pop("next_cursor", None)
        return data
