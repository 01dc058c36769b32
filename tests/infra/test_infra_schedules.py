"""Schedules: built generically for `kind="schedule"` functions, checked on a made-up one alone and
on the app's own (the claims sweep)."""

from __future__ import annotations

import json

import pytest
from aws_cdk import App, Stack
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_
from aws_cdk.assertions import Match, Template
from earnloop.contexts import all_functions
from earnloop.platform.catalog import FunctionSpec

from infra import nag
from infra.config import StageConfig
from infra.functions import ARCHITECTURE, RUNTIME
from infra.schedules import Schedules

pytestmark = pytest.mark.infra

EXPIRE = FunctionSpec(
    "points_expire",
    "schedule",
    schedule="cron(5 0 * * ? *)",
    description="Expires points",
    timezone="Asia/Shanghai",
)


@pytest.fixture(scope="module")
def scheduled(tmp_path_factory) -> tuple[Template, dict]:
    """A stack holding only a scheduled function and its schedule, checked by cdk-nag."""
    outdir = tmp_path_factory.mktemp("schedules.out")
    app = App(outdir=str(outdir))
    stack = Stack(app, "schedules")
    role = iam.Role(stack, "Role", assumed_by=iam.ServicePrincipal("lambda.amazonaws.com"))
    expire = lambda_.Function(
        stack,
        "Expire",
        runtime=RUNTIME,
        architecture=ARCHITECTURE,
        handler="index.handler",
        code=lambda_.Code.from_inline("def handler(event, context):\n    return None\n"),
        role=role,
    )
    Schedules(
        stack,
        "Schedules",
        config=StageConfig(
            "prod",
            outdir,
            code_domain="q.example.cn",
            api_domain="api.example.cn",
            certificate_arn="arn:aws:acm:ap-east-1:123456789012:certificate/abc",
            alarm_email="ops@example.com",
        ),
        # The catalog's other kinds are ignored; its own schedules are checked on the app below.
        specs=[EXPIRE, *(spec for spec in all_functions() if spec.kind != "schedule")],
        functions={"points_expire": expire},
    )
    nag.enable(app)
    app.synth()
    report = json.loads((outdir / "validation-report.json").read_text())
    return Template.from_json(json.loads((outdir / "schedules.template.json").read_text())), report


def test_a_scheduled_function_runs_in_its_own_time_zone(scheduled) -> None:
    template, _ = scheduled

    template.resource_count_is("AWS::Scheduler::Schedule", 1)
    template.has_resource_properties(
        "AWS::Scheduler::Schedule",
        {
            "Name": "earnloop-prod-points_expire",
            "ScheduleExpression": "cron(5 0 * * ? *)",
            "ScheduleExpressionTimezone": "Asia/Shanghai",
            "Target": {
                "RetryPolicy": {"MaximumRetryAttempts": Match.any_value()},
                "DeadLetterConfig": {"Arn": Match.any_value()},
            },
        },
    )


def test_a_scheduled_run_that_keeps_failing_lands_in_the_schedules_dlq(scheduled) -> None:
    template, _ = scheduled

    template.has_resource_properties("AWS::SQS::Queue", {"QueueName": "earnloop-prod-schedules-dlq"})
    template.has_resource_properties(
        "AWS::Lambda::EventInvokeConfig",
        {"DestinationConfig": {"OnFailure": {"Destination": Match.any_value()}}},
    )


def test_the_schedules_raise_no_unacknowledged_cdk_nag_finding(scheduled) -> None:
    _, report = scheduled

    assert [v for plugin in report["pluginReports"] for v in plugin["violations"]] == []


def test_the_app_schedules_each_catalog_schedule_function(synth) -> None:
    scheduled = [spec for spec in all_functions() if spec.kind == "schedule"]
    wanted = {f"earnloop-prod-{spec.name}": spec.schedule for spec in scheduled}
    schedules = synth.of_type("AWS::Scheduler::Schedule").values()

    assert {s["Properties"]["Name"]: s["Properties"]["ScheduleExpression"] for s in schedules} == wanted
    assert wanted["earnloop-prod-claims_sweep"] == "rate(15 minutes)"
    zones = {s["Properties"]["Name"]: s["Properties"]["ScheduleExpressionTimezone"] for s in schedules}
    assert zones == {f"earnloop-prod-{spec.name}": spec.timezone for spec in scheduled}
    target = synth.props(synth.named("AWS::Scheduler::Schedule", "Name", "claims_sweep"))["Target"]
    assert target["Arn"] == {"Fn::GetAtt": [synth.function("claims_sweep"), "Arn"]}


def test_a_scheduled_function_receives_the_due_time_in_a_scheduled_event(synth) -> None:
    import json

    target = synth.props(synth.named("AWS::Scheduler::Schedule", "Name", "claims_sweep"))["Target"]
    sent = json.loads(target["Input"])
    assert sent["detail-type"] == "Scheduled Event"
    assert sent["time"] == "<aws.scheduler.scheduled-time>"
