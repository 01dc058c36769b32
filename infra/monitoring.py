"""Alarms to an encrypted SNS topic: poison messages, a stuck publisher, a stalled queue, errors."""

from __future__ import annotations

from typing import TYPE_CHECKING

from aws_cdk import Duration
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_cloudwatch_actions as actions
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_sns as sns
from aws_cdk import aws_sns_subscriptions as subscriptions
from constructs import Construct

from infra.naming import construct_id, physical

if TYPE_CHECKING:
    from collections.abc import Mapping

    from aws_cdk import aws_lambda as lambda_
    from aws_cdk import aws_sqs as sqs

    from infra.config import StageConfig

PERIOD = Duration.minutes(5)
# Events reach users (points, tags) through the publisher; a minute behind is already visible.
ITERATOR_AGE_MS = 60_000
# A message this old in a work queue means its worker is failing or throttled.
OLDEST_MESSAGE_S = 900


class Monitoring(Construct):
    def __init__(
        self,
        scope: Construct,
        id: str,
        *,
        config: StageConfig,
        functions: Mapping[str, lambda_.Function],
        queues: Mapping[str, sqs.IQueue],
        dlqs: Mapping[str, sqs.IQueue],
        stream_consumers: Mapping[str, lambda_.Function],
    ) -> None:
        super().__init__(scope, id)
        key = kms.Key(
            self,
            "AlarmsKey",
            description=f"earnloop {config.stage}: encrypts the alarm topic",
            enable_key_rotation=True,
            removal_policy=config.removal_policy,
        )
        # CloudWatch publishes alarms into the encrypted topic; an AWS-managed key would refuse it.
        key.add_to_resource_policy(
            iam.PolicyStatement(
                principals=[iam.ServicePrincipal("cloudwatch.amazonaws.com")],
                actions=["kms:Decrypt", "kms:GenerateDataKey*"],
                resources=["*"],
            )
        )
        self.topic = sns.Topic(
            self,
            "Alarms",
            topic_name=physical(config.stage, "alarms"),
            master_key=key,
            enforce_ssl=True,
        )
        if config.alarm_email:
            self.topic.add_subscription(subscriptions.EmailSubscription(config.alarm_email))
        self._action = actions.SnsAction(self.topic)
        self.alarms: dict[str, cloudwatch.Alarm] = {}

        for name, dlq in dlqs.items():
            self._alarm(
                f"{construct_id(name)}DeadLetters",
                dlq.metric_approximate_number_of_messages_visible(
                    period=Duration.minutes(1), statistic=cloudwatch.Stats.MAXIMUM
                ),
                threshold=1,
                description=f"{name}: messages in the dead-letter queue; inspect, fix, redrive",
            )
        for name, queue in queues.items():
            self._alarm(
                f"{construct_id(name)}Stalled",
                queue.metric_approximate_age_of_oldest_message(
                    period=PERIOD, statistic=cloudwatch.Stats.MAXIMUM
                ),
                threshold=OLDEST_MESSAGE_S,
                description=f"{name}: oldest message older than {OLDEST_MESSAGE_S} s; its worker is behind",
            )
        for name, function in stream_consumers.items():
            self._alarm(
                f"{construct_id(name)}IteratorAge",
                function.metric("IteratorAge", period=PERIOD, statistic=cloudwatch.Stats.MAXIMUM),
                threshold=ITERATOR_AGE_MS,
                description=f"{name}: table changes wait over {ITERATOR_AGE_MS // 1000} s to become events",
            )
        for name, function in functions.items():
            self._alarm(
                f"{construct_id(name)}Errors",
                function.metric_errors(period=PERIOD, statistic=cloudwatch.Stats.SUM),
                threshold=1,
                description=f"{name}: invocations failed (an unhandled error is a bug)",
            )

    def _alarm(self, id: str, metric: cloudwatch.IMetric, *, threshold: float, description: str) -> None:
        alarm = cloudwatch.Alarm(
            self,
            id,
            metric=metric,
            threshold=threshold,
            evaluation_periods=1,
            comparison_operator=cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
            treat_missing_data=cloudwatch.TreatMissingData.NOT_BREACHING,
            alarm_description=description,
        )
        alarm.add_alarm_action(self._action)
        self.alarms[id] = alarm
