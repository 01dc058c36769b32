"""cdk-nag (AwsSolutions) and cfn-lint on the synthesized app."""

from __future__ import annotations

import json
import re

import pytest
from cfnlint.api import lint_all
from cfnlint.rules.resources.lmbd.SnapStartSupported import SnapStartSupported

from infra.config import SNAPSTART_REGIONS
from infra.nag import MIN_REASON

pytestmark = pytest.mark.infra

ACKNOWLEDGED = "aws:cdk:acknowledged-rules"

# cfn-lint warnings accepted, with why. Anything else (and every error) fails the suite.
ACCEPTED_WARNINGS = {
    # CDK's Function emits DependsOn on its role (and the role's policy) although `Role` already
    # references it with GetAtt; the redundant dependency is harmless and not ours to remove.
    "W3005",
}


def _report(synth) -> dict:
    return json.loads((synth.outdir / "validation-report.json").read_text())


def _acknowledgments(synth) -> dict[tuple[str, str], str]:
    """(construct path, acknowledged id) -> reason, for every acknowledgment in the app."""
    found: dict[tuple[str, str], str] = {}
    for construct in synth.app.node.find_all():
        for entry in construct.node.metadata:
            if entry.type == ACKNOWLEDGED:
                for rule, reason in entry.data.items():
                    found[(construct.node.path, rule)] = reason
    return found


def test_cdk_nag_reports_no_unacknowledged_finding(synth) -> None:
    report = _report(synth)

    assert [plugin["pluginName"] for plugin in report["pluginReports"]] == ["AwsSolutions"]
    for plugin in report["pluginReports"]:
        assert plugin["conclusion"] == "success"
        assert plugin["violations"] == []


def test_every_acknowledgment_gives_a_reason_and_suppresses_a_real_finding(synth) -> None:
    acknowledged = _acknowledgments(synth)
    used = {
        (suppressed["acknowledgedAt"], suppressed["acknowledgedId"])
        for plugin in _report(synth)["pluginReports"]
        for suppressed in plugin.get("suppressedViolations", [])
    }

    assert acknowledged
    for (path, rule), reason in acknowledged.items():
        assert rule.startswith("AwsSolutions::AwsSolutions-"), (path, rule)
        assert len(reason) >= MIN_REASON, (path, rule)
    assert set(acknowledged) == used


def test_cdk_nag_checks_every_context_stack(synth) -> None:
    # cdk-nag walks the construct tree, nested stacks included: every context's roles carry an
    # acknowledged finding (X-Ray's `*`), so each stack's path shows among the suppressed ones.
    suppressed_at = {
        suppressed["acknowledgedAt"]
        for plugin in _report(synth)["pluginReports"]
        for suppressed in plugin.get("suppressedViolations", [])
    }

    for nested in synth.stack.contexts.values():
        assert any(path.startswith(f"{nested.node.path}/") for path in suppressed_at), nested.node.path


def _conditions_used(value) -> set[str]:
    if isinstance(value, dict):
        used = {value["Fn::If"][0]} if "Fn::If" in value else set()
        if isinstance(value.get("Condition"), str):
            used.add(value["Condition"])
        return used.union(*(_conditions_used(item) for item in value.values()))
    if isinstance(value, list):
        return set().union(*(_conditions_used(item) for item in value))
    return set()


def test_each_template_defines_the_conditions_it_uses(synth) -> None:
    # Conditions do not cross stacks: SnapStart's region and the China partition's X-Ray are made
    # in every context stack that uses them.
    for file, template in synth.templates.items():
        used = _conditions_used(template["Resources"])
        assert used <= set(template.get("Conditions", {})), file
    for nested in synth.stack.contexts.values():
        if not any(spec.kind == "http" for spec in nested.specs):
            continue
        conditions = json.dumps(synth.templates[nested.template_file].get("Conditions", {}))
        assert "ap-east-1" in conditions and "aws-cn" in conditions, nested.template_file


def test_acknowledgments_are_scoped_to_single_resources_or_one_api(synth) -> None:
    stack_path = synth.stack.node.path
    for path, rule in _acknowledgments(synth):
        assert path.count("/") >= 2, f"{rule} acknowledged too broadly at {path}"
        assert path != stack_path


def _snapstart_is_conditional_on_supported_regions(template: dict, function_path: str) -> bool:
    """E2530 (SnapStart "not supported in" some regions) is accepted for a function whose SnapStart
    applies only under a condition true exactly where cfn-lint's own list says SnapStart exists."""
    logical_id = function_path.split("/")[1]
    snapstart = template["Resources"][logical_id]["Properties"].get("SnapStart", {})
    if set(snapstart) != {"Fn::If"}:
        return False
    condition = template["Conditions"][snapstart["Fn::If"][0]]
    regions = set(re.findall(r'"Ref": "AWS::Region"\}, "([a-z0-9-]+)"', json.dumps(condition)))
    return regions == set(SnapStartSupported().regions) == set(SNAPSTART_REGIONS)


def test_cfn_lint_finds_nothing_but_accepted_warnings_in_every_template(synth) -> None:
    # Every template of the assembly (the parent and each context's nested stack, a file of its
    # own), every rule (informational and experimental included) in every region.
    findings: list[str] = []
    errors: list[str] = []
    for file, template in synth.templates.items():
        matches = [
            m
            for m in lint_all(json.dumps(template))
            if not (
                m.rule.id == "E2530"
                and _snapstart_is_conditional_on_supported_regions(template, m.path_string)
            )
        ]
        findings += sorted(
            {f"{file}: {m.rule.id} {m.message}" for m in matches if m.rule.id not in ACCEPTED_WARNINGS}
        )
        errors += [f"{file}: {m.rule.id}" for m in matches if not m.rule.id.startswith("W")]

    assert len(synth.templates) == len(synth.stack.contexts) + 1
    assert findings == []
    assert errors == []


def test_the_synth_is_timed(synth) -> None:
    # Reported in the terminal summary; this bound only catches a synth gone pathological.
    assert synth.seconds < 180
