"""Bus, rules, queues, DLQs and the event sources that feed the workers and the publisher."""

from __future__ import annotations

import pytest
from earnloop.contexts import all_functions, function, queues, rules, tables

pytestmark = pytest.mark.infra

DAY = 24 * 3600


def _dlq_of(synth, queue_id: str) -> str:
    return synth.props(queue_id)["RedrivePolicy"]["deadLetterTargetArn"]["Fn::GetAtt"][0]


def _mappings(synth, function_name: str) -> list[dict]:
    function_id = synth.function(function_name)
    return [
        mapping["Properties"]
        for mapping in synth.of_type("AWS::Lambda::EventSourceMapping").values()
        if mapping["Properties"]["FunctionName"] == {"Ref": function_id}
    ]


@pytest.mark.parametrize("definition", queues(), ids=lambda q: q.name)
def test_each_queue_redrives_to_its_dlq_after_the_defined_receives(synth, definition) -> None:
    queue = synth.queue(definition.name)
    redrive = synth.props(queue)["RedrivePolicy"]

    assert redrive["maxReceiveCount"] == definition.max_receive_count
    assert redrive["maxReceiveCount"] >= 5
    assert _dlq_of(synth, queue) == synth.queue(f"{definition.name}-dlq")


@pytest.mark.parametrize("definition", queues(), ids=lambda q: q.name)
def test_queue_visibility_is_six_times_its_consumers_timeout(synth, definition) -> None:
    props = synth.props(synth.queue(definition.name))

    assert props["VisibilityTimeout"] >= 6 * function(definition.consumer).timeout_s


@pytest.mark.parametrize("definition", queues(), ids=lambda q: q.name)
def test_a_dead_letter_outlives_the_message_it_came_from(synth, definition) -> None:
    queue = synth.props(synth.queue(definition.name))
    dlq = synth.props(synth.queue(f"{definition.name}-dlq"))

    assert queue["MessageRetentionPeriod"] == definition.retention_days * DAY
    assert dlq["MessageRetentionPeriod"] > queue["MessageRetentionPeriod"]


def test_every_queue_is_encrypted_and_refuses_plain_http(synth) -> None:
    policies = synth.of_type("AWS::SQS::QueuePolicy").values()
    for queue_id, queue in synth.of_type("AWS::SQS::Queue").items():
        assert queue["Properties"]["SqsManagedSseEnabled"] is True
        denies = [
            statement
            for policy in policies
            if {"Ref": queue_id} in policy["Properties"]["Queues"]
            for statement in policy["Properties"]["PolicyDocument"]["Statement"]
            if statement["Effect"] == "Deny"
        ]
        assert any(s["Condition"] == {"Bool": {"aws:SecureTransport": "false"}} for s in denies), queue_id


@pytest.mark.parametrize("rule", rules(), ids=lambda r: r.name)
def test_each_rule_routes_its_pattern_from_the_bus_to_its_queue(synth, rule) -> None:
    logical_id = synth.named("AWS::Events::Rule", "Name", rule.name)
    props = synth.props(logical_id)
    (target,) = props["Targets"]
    bus = next(iter(synth.of_type("AWS::Events::EventBus")))

    assert props["EventPattern"] == rule.pattern()
    assert props["EventBusName"] == {"Ref": bus}
    assert target["Arn"] == {"Fn::GetAtt": [synth.queue(rule.queue), "Arn"]}
    assert target["DeadLetterConfig"]["Arn"] == {"Fn::GetAtt": [synth.queue(f"{rule.queue}-dlq"), "Arn"]}


def test_workers_report_batch_item_failures_with_their_queues_concurrency(synth) -> None:
    for definition in queues():
        (mapping,) = _mappings(synth, definition.consumer)

        assert mapping["EventSourceArn"] == {"Fn::GetAtt": [synth.queue(definition.name), "Arn"]}
        assert mapping["FunctionResponseTypes"] == ["ReportBatchItemFailures"]
        assert mapping["ScalingConfig"] == {"MaximumConcurrency": definition.max_concurrency}
        assert mapping["BatchSize"] == definition.batch_size


def test_the_publisher_reads_every_table_stream_safely(synth) -> None:
    (publisher,) = [spec for spec in all_functions() if spec.kind == "stream"]
    mappings = _mappings(synth, publisher.name)
    dlq = synth.queue("stream-publisher-dlq")

    assert {m["EventSourceArn"]["Fn::GetAtt"][0] for m in mappings} == {synth.table(t.name) for t in tables()}
    for mapping in mappings:
        assert mapping["StartingPosition"] == "TRIM_HORIZON"
        assert mapping["BisectBatchOnFunctionError"] is True
        assert mapping["FunctionResponseTypes"] == ["ReportBatchItemFailures"]
        assert 0 < mapping["MaximumRetryAttempts"] < 10_000
        assert 0 < mapping["MaximumRecordAgeInSeconds"] <= DAY
        assert mapping["DestinationConfig"]["OnFailure"]["Destination"] == {"Fn::GetAtt": [dlq, "Arn"]}


def test_the_publisher_reads_only_the_streams_not_the_tables(synth) -> None:
    stream_actions = {
        (action, resource)
        for action, resource in synth.permissions("stream_publisher")
        if action.startswith("dynamodb:")
    }

    assert {resource for _, resource in stream_actions} == {
        f"{synth.table(t.name)}.StreamArn" for t in tables()
    }


def test_the_bus_keeps_an_archive_for_replays(synth) -> None:
    (archive,) = synth.of_type("AWS::Events::Archive").values()

    assert archive["Properties"]["RetentionDays"] > 0
