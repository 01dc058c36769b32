"""`rule_command`, the one way every rule earn is built: the rule's points and cap, the caller's
points where the rule has none (scan) or an earn aggregates several, nothing while the rule is off."""

from __future__ import annotations

import pytest
from earnloop.points import earning_rules
from earnloop.points.earning_rules import DEFAULTS, RULES, EarningRule, earning_rule, rule_command


def test_every_rule_has_a_default_and_only_scan_takes_its_points_from_elsewhere() -> None:
    assert tuple(DEFAULTS) == RULES
    assert [name for name in RULES if DEFAULTS[name].points is None] == ["scan"]
    assert all(rule.enabled and rule.version == 0 for rule in DEFAULTS.values())


def test_a_rule_command_carries_the_rules_points_and_cap() -> None:
    command = rule_command("comment", txn_id="comment#c1", user_id="u", reason="comment", reference="c1")
    assert command is not None
    assert (command.points, command.txn_id, command.reference) == (2, "comment#c1", "c1")
    assert command.cap is not None and (command.cap.rule, command.cap.limit) == ("comment", 20)
    aggregated = rule_command("like_received", txn_id="lr#a#1", user_id="a", reason="likes", points=6)
    assert aggregated is not None and aggregated.points == 6 and aggregated.cap is not None
    assert aggregated.cap.limit == 100


def test_scan_takes_the_batchs_points_uncapped_by_default() -> None:
    command = rule_command("scan", txn_id="scan#X", user_id="u", reason="scan", points=50)
    assert command is not None and (command.points, command.cap) == (50, None)
    with pytest.raises(ValueError, match="from the caller"):
        rule_command("scan", txn_id="scan#X", user_id="u", reason="scan")
    with pytest.raises(KeyError):
        rule_command("bogus", txn_id="x", user_id="u", reason="x")


def test_a_rule_switched_off_earns_nothing(monkeypatch: pytest.MonkeyPatch) -> None:
    off = EarningRule(name="share", points=5, daily_cap=25, enabled=False, version=3)
    monkeypatch.setattr(earning_rules, "_load", lambda key: off)
    earning_rules.forget_cached_rules()
    assert earning_rule("share") == off
    assert rule_command("share", txn_id="share#s1", user_id="u", reason="share") is None
