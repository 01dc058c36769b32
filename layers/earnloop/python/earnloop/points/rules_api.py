"""Admin routes of the earning rules: list, change (audited), and a rule's audit."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query

from earnloop.identity.store import live_admin_check
from earnloop.platform.audit import admin_audit, changed_fields
from earnloop.platform.auth import AdminUser
from earnloop.platform.clock import iso, utcnow
from earnloop.platform.errors import ValidationFailedError
from earnloop.platform.observability import logger
from earnloop.platform.settings import get_settings
from earnloop.points.earning_rules import SCAN, EarningRule, RuleName
from earnloop.points.rule_models import (
    EarningRuleChange,
    EarningRuleChangePage,
    EarningRuleList,
    EarningRuleUpdate,
)
from earnloop.points.rule_store import RuleChangedError, RuleStore, terms_of

# What an earning rule's change records in the day's audit (its terms; before and after differ).
RULE_TERMS = ("points", "daily_cap", "enabled")

router = APIRouter(tags=["points"])

RuleStoreDep = Annotated[RuleStore, Depends(RuleStore.default)]
RulePath = Annotated[RuleName, Path()]


@router.get("/v1/admin/earning-rules", name="admin_earning_rules_list", response_model=EarningRuleList)
def admin_earning_rules_list(admin: AdminUser, store: RuleStoreDep) -> EarningRuleList:
    """Every rule as it applies now (earners see a change within `RULE_TTL_S`)."""
    return EarningRuleList(rules=store.rules())


@router.put("/v1/admin/earning-rules/{rule}", name="admin_earning_rules_put", response_model=EarningRule)
def admin_earning_rules_put(
    rule: RulePath, body: EarningRuleUpdate, admin: AdminUser, store: RuleStoreDep
) -> EarningRule:
    """Replaces the rule's terms: the rule and its audit item in one transaction, only while the
    author still is an admin and the rule is still at the version read (or `body.version`)."""
    if rule == SCAN and body.points is not None:
        raise ValidationFailedError("scan points come from each code batch: points must be null")
    if rule != SCAN and body.points is None:
        raise ValidationFailedError("points are required")
    current = store.rule(rule, consistent=True)
    if body.version is not None and body.version != current.version:
        raise RuleChangedError(f"the rule is at version {current.version}, not {body.version}")
    now = utcnow()
    change = EarningRuleChange(
        rule=rule,
        version=current.version + 1,
        changed_at=iso(now),
        changed_by=admin.user_id,
        before=terms_of(current),
        after=body.terms(),
    )
    # The day's audit record too (GET /v1/admin/audit lists every admin action), in the same write.
    before, after = changed_fields(change.before.model_dump(), change.after.model_dump(), RULE_TERMS)
    audit = admin_audit("points", admin.user_id, "earning_rule.change", "earning rule changed", now)
    record = audit.put(rule, before=before, after=after, reference=f"{rule}#{change.version}")
    store.change(change, [live_admin_check(get_settings().table_name("identity"), admin.user_id), record])
    logger.info(
        "earning rule changed",
        extra={"rule": rule, "version": change.version, "admin": admin.user_id, "after": body.terms()},
    )
    return EarningRule(
        name=rule,
        **change.after.model_dump(),
        version=change.version,
        updated_at=change.changed_at,
        updated_by=change.changed_by,
    )


@router.get(
    "/v1/admin/earning-rules/{rule}/changes",
    name="admin_earning_rules_changes",
    response_model=EarningRuleChangePage,
)
def admin_earning_rules_changes(
    rule: RulePath,
    admin: AdminUser,
    store: RuleStoreDep,
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
    cursor: Annotated[str | None, Query(min_length=1, max_length=512)] = None,
) -> EarningRuleChangePage:
    """Who changed the rule, when, from what to what: newest first."""
    items, next_cursor = store.changes(rule, limit, cursor)
    return EarningRuleChangePage(items=items, next_cursor=next_cursor)
