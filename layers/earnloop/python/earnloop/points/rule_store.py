"""Earning rules in the points table: keys, reads, the audited change and the audit listing.

Items on a rule's own partition `RULE#<name>` (a handful of partitions, read through the earners'
per-container cache, so none is hot):
- `RULE` (entity EarningRule): points, daily_cap, enabled, version, updated_at, updated_by;
- `RULEAUDIT#<version, 10 digits>` (entity EarningRuleChange): who, when, before and after of the
  change that made that version. Written in the same transaction as the rule, so no change goes
  unaudited and the audit never records a change that did not happen.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from earnloop.platform import aws
from earnloop.platform.dynamo import TxAction, decode_cursor, encode_cursor, marshal, transact, unmarshal
from earnloop.platform.errors import ConcurrencyError
from earnloop.platform.settings import get_settings
from earnloop.points.earning_rules import DEFAULTS, RULES, EarningRule, RuleName
from earnloop.points.rule_models import EarningRuleChange, RuleTerms

if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence

    from mypy_boto3_dynamodb import DynamoDBClient

RULE_SK = "RULE"
AUDIT_PREFIX = "RULEAUDIT#"
_AUDIT_CURSOR = {"sk": re.compile(r"RULEAUDIT#\d{10}")}


class RuleChangedError(ConcurrencyError):
    """The rule was changed by someone else since the version this change was based on."""

    title = "Rule changed meanwhile, read it again"


def rule_key(name: str) -> dict[str, str]:
    return {"pk": f"RULE#{name}", "sk": RULE_SK}


def audit_key(name: str, version: int) -> dict[str, str]:
    return {"pk": f"RULE#{name}", "sk": f"{AUDIT_PREFIX}{version:010d}"}


def rule_from_item(name: RuleName, item: Mapping[str, Any] | None) -> EarningRule:
    if not item:
        return DEFAULTS[name]
    return EarningRule.model_validate({k: item.get(k) for k in EarningRule.model_fields} | {"name": name})


def _changed(_: Mapping[str, Any]) -> Exception:
    return RuleChangedError("the rule was changed meanwhile; read it again")


class RuleStore:
    def __init__(self, ddb: DynamoDBClient, table_name: str) -> None:
        self._ddb = ddb
        self._table = table_name

    @classmethod
    def for_table(cls, table_name: str) -> RuleStore:
        return cls(aws.dynamodb(), table_name)

    @classmethod
    def default(cls) -> RuleStore:
        return cls.for_table(get_settings().table_name("points"))

    def rule(self, name: RuleName, *, consistent: bool = True) -> EarningRule:
        """The stored rule, or its default when it was never changed."""
        response = self._ddb.get_item(
            TableName=self._table, Key=marshal(rule_key(name)), ConsistentRead=consistent
        )
        item = response.get("Item")
        return rule_from_item(name, unmarshal(item) if item else None)

    def rules(self) -> list[EarningRule]:
        """Every rule, in `RULES` order: one strongly consistent BatchGetItem (admins see their change)."""
        keys = [marshal(rule_key(name)) for name in RULES]
        found: dict[str, dict[str, Any]] = {}
        request: dict[str, Any] = {self._table: {"Keys": keys, "ConsistentRead": True}}
        while request:
            response = self._ddb.batch_get_item(RequestItems=request)
            for item in response.get("Responses", {}).get(self._table, []):
                plain = unmarshal(item)
                found[str(plain["pk"]).removeprefix("RULE#")] = plain
            request = response.get("UnprocessedKeys") or {}
        return [rule_from_item(name, found.get(name)) for name in RULES]

    def change(self, change: EarningRuleChange, checks: Sequence[TxAction] = ()) -> None:
        """Writes the rule's new version and its audit item in one transaction, with `checks` (the
        author still is an admin) first, only if the rule still is at `change.version - 1`.

        Raises:
            RuleChangedError: someone else changed the rule first (nothing was written).
            whatever a failed check's translation says.
        """
        after = change.after
        seen = change.version - 1
        rule_item = {
            **rule_key(change.rule),
            "entity": "EarningRule",
            "name": change.rule,
            **after.model_dump(),
            "version": change.version,
            "updated_at": change.changed_at,
            "updated_by": change.changed_by,
        }
        # Version 0 is the code default: it has no item yet.
        condition: dict[str, Any] = (
            {"ConditionExpression": "attribute_not_exists(pk)"}
            if seen == 0
            else {
                "ConditionExpression": "#version = :seen",
                "ExpressionAttributeNames": {"#version": "version"},
                "ExpressionAttributeValues": marshal({":seen": seen}),
            }
        )
        audit_item = {
            **audit_key(change.rule, change.version),
            "entity": "EarningRuleChange",
            **change.model_dump(),
        }
        transact(
            self._ddb,
            [
                *checks,
                TxAction(
                    {"Put": {"TableName": self._table, "Item": marshal(rule_item), **condition}},
                    on_condition_failed=_changed,
                ),
                TxAction(
                    {
                        "Put": {
                            "TableName": self._table,
                            "Item": marshal(audit_item),
                            "ConditionExpression": "attribute_not_exists(pk)",
                        }
                    },
                    on_condition_failed=_changed,
                ),
            ],
        )

    def changes(
        self, name: RuleName, limit: int, cursor: str | None
    ) -> tuple[list[EarningRuleChange], str | None]:
        """The rule's audit, newest first, one query on its partition.

        Raises:
            ValidationFailedError: the cursor is not one of ours.
        """
        partition = rule_key(name)["pk"]
        kwargs: dict[str, Any] = {
            "TableName": self._table,
            "KeyConditionExpression": "pk = :pk AND begins_with(sk, :prefix)",
            "ExpressionAttributeValues": marshal({":pk": partition, ":prefix": AUDIT_PREFIX}),
            "ScanIndexForward": False,
            "Limit": limit,
        }
        start = decode_cursor(cursor, _AUDIT_CURSOR, fixed={"pk": {"S": partition}})
        if start is not None:
            kwargs["ExclusiveStartKey"] = start
        response = self._ddb.query(**kwargs)
        items = [EarningRuleChange.model_validate(unmarshal(i)) for i in response.get("Items", [])]
        return items, encode_cursor(response.get("LastEvaluatedKey"), drop=("pk",))


def terms_of(rule: EarningRule) -> RuleTerms:
    return RuleTerms(points=rule.points, daily_cap=rule.daily_cap, enabled=rule.enabled)
