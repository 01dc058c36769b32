"""The daily segment move's roles: the planner runs at 03:00 Shanghai and only sends to the segments
queue; the mover queries only the activity index and sends only to its own queue; nothing but the
admin route and the identity workers writes or reads lifecycle data."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from earnloop.platform.settings import Settings

from infra.config import ConfigError, StageConfig
from tests.infra.conftest import PROD_CONTEXT

pytestmark = pytest.mark.infra


def _config(**overrides: Any) -> StageConfig:
    values = {**PROD_CONTEXT, **overrides}
    return StageConfig.from_context(lambda key: {"stage": "prod", **values}.get(key), Path("layer"))


def test_the_segment_planner_runs_at_three_in_shanghai_and_may_only_send_to_its_queue(synth) -> None:
    schedule = synth.props(synth.named("AWS::Scheduler::Schedule", "Name", "segments_plan"))
    assert (schedule["ScheduleExpression"], schedule["ScheduleExpressionTimezone"]) == (
        "cron(0 3 * * ? *)",
        "Asia/Shanghai",
    )
    queue = f"{synth.queue('segments')}.Arn"
    sqs = {(a, r) for a, r in synth.permissions("segments_plan") if a.startswith("sqs:")}
    data = {a for a, _ in synth.permissions("segments_plan") if a.startswith(("dynamodb:", "events:"))}

    assert {("sqs:SendMessage", queue), ("sqs:GetQueueUrl", queue)} <= sqs
    assert {r for _, r in sqs} <= {queue, f"{synth.queue('schedules-dlq')}.Arn"}
    assert data == set()


def test_the_mover_queries_only_the_activity_index_and_sends_only_to_its_own_queue(synth) -> None:
    permissions = synth.permissions("segments_move")
    queried = {str(r) for a, r in permissions if a == "dynamodb:Query"}
    sends = {r for a, r in permissions if a == "sqs:SendMessage"}

    assert any("by_activity" in r for r in queried)
    assert not any("index/*" in r for r in queried)
    assert sends == {f"{synth.queue('segments')}.Arn"}
    assert not {a for a, _ in permissions if a in ("dynamodb:DeleteItem", "dynamodb:Scan")}


def test_the_admin_view_only_reads(synth) -> None:
    actions = {a for a, _ in synth.permissions("admin_users_get") if a.startswith("dynamodb:")}
    assert actions and not {
        a for a in actions if a.startswith(("dynamodb:Put", "dynamodb:Update", "dynamodb:Delete"))
    }


def test_a_stages_segment_settings_reach_the_functions_as_the_settings_read_them(synth, monkeypatch) -> None:
    config = _config(
        segments={"segment_at_risk_days": 21, "wakeup_gift_points": 50, "onboarding_topics": ["新手"]}
    )
    environment = config.segment_environment()
    assert set(environment) == {
        "EARNLOOP_ONBOARDING_TOPICS",
        "EARNLOOP_SEGMENT_AT_RISK_DAYS",
        "EARNLOOP_WAKEUP_GIFT_POINTS",
    }
    for name, value in environment.items():
        monkeypatch.setenv(name, value)
    settings = Settings()
    assert (settings.segment_at_risk_days, settings.wakeup_gift_points, settings.onboarding_topics) == (
        21,
        50,
        ["新手"],
    )
    # Without the key a stage runs on the settings' defaults.
    variables = synth.props(synth.function("segments_move"))["Environment"]["Variables"]
    assert not {name for name in variables if name.startswith(("EARNLOOP_SEGMENT_", "EARNLOOP_WAKEUP_"))}


@pytest.mark.parametrize(
    "segments",
    [
        "sleepy",
        '{"segment_new_days": 30}',
        '{"segment_sleeping_days": 20}',
        '{"wakeup_gift_points": -1}',
        '{"tiers": []}',
    ],
)
def test_segment_settings_that_cannot_work_fail_before_any_synth(segments: str) -> None:
    with pytest.raises(ConfigError, match="is not a segment setting object"):
        _config(segments=segments)
