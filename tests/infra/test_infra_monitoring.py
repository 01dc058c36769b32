"""Alarms: every dead letter, a lagging publisher and every function's errors reach the topic."""

from __future__ import annotations

import pytest
from earnloop.contexts import all_functions

pytestmark = pytest.mark.infra


def _alarms(synth) -> list[dict]:
    return [alarm["Properties"] for alarm in synth.of_type("AWS::CloudWatch::Alarm").values()]


def _dimension(alarm: dict, name: str) -> str | None:
    for dimension in alarm.get("Dimensions", []):
        if dimension["Name"] == name:
            value = dimension["Value"]
            return value.get("Fn::GetAtt", [value.get("Ref")])[0] if isinstance(value, dict) else value
    return None


def test_every_dead_letter_queue_has_an_alarm_on_its_first_message(synth) -> None:
    redrive_targets = {
        queue["Properties"]["RedrivePolicy"]["deadLetterTargetArn"]["Fn::GetAtt"][0]
        for queue in synth.of_type("AWS::SQS::Queue").values()
        if "RedrivePolicy" in queue["Properties"]
    }
    dlqs = {
        key
        for key, queue in synth.of_type("AWS::SQS::Queue").items()
        if queue["Properties"]["QueueName"].endswith("-dlq")
    }
    watched = {
        _dimension(alarm, "QueueName")
        for alarm in _alarms(synth)
        if alarm["MetricName"] == "ApproximateNumberOfMessagesVisible"
        and alarm["Threshold"] == 1
        and alarm["ComparisonOperator"] == "GreaterThanOrEqualToThreshold"
    }

    assert redrive_targets <= dlqs
    assert synth.queue("stream-publisher-dlq") in dlqs
    assert dlqs <= watched


def test_every_function_has_an_error_alarm(synth) -> None:
    watched = {_dimension(a, "FunctionName") for a in _alarms(synth) if a["MetricName"] == "Errors"}

    assert watched == {synth.function(spec.name) for spec in all_functions()}


def test_a_lagging_stream_publisher_raises_an_alarm(synth) -> None:
    lagging = [a for a in _alarms(synth) if a["MetricName"] == "IteratorAge"]

    assert [_dimension(a, "FunctionName") for a in lagging] == [synth.function("stream_publisher")]
    assert lagging[0]["Statistic"] == "Maximum"


def test_alarms_notify_an_encrypted_ssl_only_topic(synth) -> None:
    (topic_id,) = synth.of_type("AWS::SNS::Topic")
    key = synth.props(topic_id)["KmsMasterKeyId"]["Fn::GetAtt"][0]
    (policy,) = synth.of_type("AWS::SNS::TopicPolicy").values()
    statements = policy["Properties"]["PolicyDocument"]["Statement"]

    assert synth.props(key)["EnableKeyRotation"] is True
    assert any(
        s["Effect"] == "Deny" and s["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}
        for s in statements
    )
    for alarm in _alarms(synth):
        assert alarm["AlarmActions"] == [{"Ref": topic_id}]
        assert alarm["TreatMissingData"] == "notBreaching"
