"""Alarms on what users feel and on the pipeline behind them, to an encrypted SNS topic (and the
stage's own `alarm_topic_arn`, if given), and a dashboard of the same metrics per stage.

Users feel: 5xx answers (a crash inside a function becomes a 500 from FastAPI, so Lambda's `Errors`
stays 0 and only the API's 5xx count shows it), slow answers (p99 latency), and 429s that API Gateway
answered itself (its throttle) or that Lambda caused (`Throttles`). The pipeline: poison messages, a
stuck publisher, a stalled queue, functions that fail.

The topic, the API's and the queues' alarms and the dashboard are the parent stack's (`Monitoring`);
each function's alarms are made in its context's nested stack (`FunctionAlarms`), with the parent's
alarm actions.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from aws_cdk import Duration
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_cloudwatch_actions as actions
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_logs as logs
from aws_cdk import aws_sns as sns
from aws_cdk import aws_sns_subscriptions as subscriptions
from constructs import Construct
from earnloop.platform.observability import SERVICE, metrics

from infra.dashboard import dashboard
from infra.naming import construct_id, physical

if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence

    from aws_cdk import aws_lambda as lambda_
    from aws_cdk import aws_sqs as sqs

    from infra.api import Api
    from infra.config import StageConfig

PERIOD = Duration.minutes(5)
# Events reach users (points, tags) through the publisher; a minute behind is already visible.
ITERATOR_AGE_MS = 60_000
# A message this old in a work queue means its worker is failing or throttled.
OLDEST_MESSAGE_S = 900
# p99 of whole requests, sustained for three periods so one cold start does not page anyone.
P99_LATENCY_MS = 3_000
P99_PERIODS = 3
# Metric the access-log filter counts: requests API Gateway refused with 429 before any function ran.
THROTTLED_METRIC = "ApiThrottled"
# Metrics the code emits that an operator must act on at their first count.
APP_ALARMS = {
    "LedgerMismatch": (
        "the nightly reconciliation found an account whose balance, buckets and ledger disagree: "
        "see its ERROR line and the RECON#<day> records of the points table; nothing was corrected"
    ),
    "RiskFlags": (
        "a farming rule froze an account (or flagged a frozen one): see the points worker's "
        "'risk flag' WARNING lines (rule, evidence) and GET /v1/admin/audit?actor=risk:<rule>; "
        "an admin unfreezes (held earns released) or sanctions (forfeited)"
    ),
}


def alarm(
    scope: Construct,
    id: str,
    metric: cloudwatch.IMetric,
    *,
    actions: Sequence[cloudwatch.IAlarmAction],
    threshold: float,
    description: str,
    evaluation_periods: int = 1,
) -> cloudwatch.Alarm:
    created = cloudwatch.Alarm(
        scope,
        id,
        metric=metric,
        threshold=threshold,
        evaluation_periods=evaluation_periods,
        comparison_operator=cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        treat_missing_data=cloudwatch.TreatMissingData.NOT_BREACHING,
        alarm_description=description,
    )
    created.add_alarm_action(*actions)
    return created


class FunctionAlarms(Construct):
    """Every function's errors and throttles, and a stream consumer's iterator age."""

    def __init__(
        self,
        scope: Construct,
        id: str,
        *,
        actions: Sequence[cloudwatch.IAlarmAction],
        functions: Mapping[str, lambda_.IFunction],
        stream_consumers: Mapping[str, lambda_.IFunction],
    ) -> None:
        super().__init__(scope, id)
        self.alarms: dict[str, cloudwatch.Alarm] = {}

        def add(alarm_id: str, metric: cloudwatch.IMetric, *, threshold: float, description: str) -> None:
            self.alarms[alarm_id] = alarm(
                self, alarm_id, metric, actions=actions, threshold=threshold, description=description
            )

        for name, function in stream_consumers.items():
            add(
                f"{construct_id(name)}IteratorAge",
                function.metric("IteratorAge", period=PERIOD, statistic=cloudwatch.Stats.MAXIMUM),
                threshold=ITERATOR_AGE_MS,
                description=f"{name}: table changes wait over {ITERATOR_AGE_MS // 1000} s to become events",
            )
        for name, function in functions.items():
            # Metrics by FunctionName alone add up every version and alias (`live` included).
            add(
                f"{construct_id(name)}Errors",
                function.metric_errors(period=PERIOD, statistic=cloudwatch.Stats.SUM),
                threshold=1,
                description=f"{name}: invocations failed (an unhandled error is a bug)",
            )
            add(
                f"{construct_id(name)}Throttles",
                function.metric_throttles(period=PERIOD, statistic=cloudwatch.Stats.SUM),
                threshold=1,
                description=f"{name}: invocations throttled (concurrency exhausted: reserved or account)",
            )


class Monitoring(Construct):
    """The topic and the alarms on the API and the queues; `add_dashboard` once every context's
    stack has made its functions' alarms."""

    def __init__(
        self,
        scope: Construct,
        id: str,
        *,
        config: StageConfig,
        api: Api,
        queues: Mapping[str, sqs.IQueue],
        dlqs: Mapping[str, sqs.IQueue],
    ) -> None:
        super().__init__(scope, id)
        self._config = config
        self._api = api
        self._queues = queues
        self._dlqs = dlqs
        key = kms.Key(
            self,
            "AlarmsKey",
            description=f"earnloop {config.stage}: encrypts the alarm topic",
            enable_key_rotation=True,
            removal_policy=config.named_removal_policy,
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
        self.actions: list[cloudwatch.IAlarmAction] = [actions.SnsAction(self.topic)]
        if config.alarm_topic_arn:
            # The operators' own topic (chat, paging); it must let CloudWatch publish to it.
            external = sns.Topic.from_topic_arn(self, "OperatorsTopic", config.alarm_topic_arn)
            self.actions.append(actions.SnsAction(external))
        self.alarms: dict[str, cloudwatch.Alarm] = {}
        self.namespace = f"earnloop/{config.stage}"

        self._api_alarms(api)
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

        self._app_alarms()

    def _app_alarms(self) -> None:
        """Alarms on metrics the code emits (Powertools EMF: namespace and `service` dimension)."""
        for name, description in APP_ALARMS.items():
            self._alarm(
                name,
                cloudwatch.Metric(
                    namespace=str(metrics.namespace),
                    metric_name=name,
                    dimensions_map={"service": SERVICE},
                    period=PERIOD,
                    statistic=cloudwatch.Stats.SUM,
                ),
                threshold=1,
                description=description,
            )

    def add_dashboard(
        self,
        *,
        functions: Sequence[str],
        stream_consumers: Sequence[str],
        alarms: Sequence[cloudwatch.IAlarm],
    ) -> cloudwatch.Dashboard:
        """The stage's dashboard: functions by catalog name (their metrics by physical name, so the
        parent needs no output of a context's stack for them); `alarms` are the contexts' own."""
        stage = self._config.stage
        self.dashboard = dashboard(
            self,
            "Dashboard",
            name=physical(stage, "overview"),
            api=self._api,
            throttled=self.throttled,
            functions={name: physical(stage, name) for name in functions},
            queues=self._queues,
            dlqs=self._dlqs,
            stream_consumers={name: physical(stage, name) for name in stream_consumers},
            alarms=[*self.alarms.values(), *alarms],
        )
        return self.dashboard

    def _api_alarms(self, api: Api) -> None:
        http_api = api.http_api
        self._alarm(
            "Api5xx",
            http_api.metric_server_error(period=PERIOD, statistic=cloudwatch.Stats.SUM),
            threshold=1,
            description="API answered 5xx: a function crashed (FastAPI turns it into a 500) or timed out",
        )
        self._alarm(
            "ApiLatencyP99",
            http_api.metric_latency(period=PERIOD, statistic=cloudwatch.Stats.p(99)),
            threshold=P99_LATENCY_MS,
            evaluation_periods=P99_PERIODS,
            description=f"API p99 latency above {P99_LATENCY_MS} ms for {P99_PERIODS} periods of 5 minutes",
        )
        # HTTP APIs publish no throttle metric: count API Gateway's own 429s from the access log.
        logs.MetricFilter(
            self,
            "ApiThrottledFilter",
            log_group=api.access_logs,
            metric_namespace=self.namespace,
            metric_name=THROTTLED_METRIC,
            filter_pattern=logs.FilterPattern.all(
                logs.FilterPattern.string_value("$.status", "=", "429"),
                logs.FilterPattern.string_value("$.integrationStatus", "=", "-"),
            ),
            metric_value="1",
            default_value=0,
        )
        self.throttled = cloudwatch.Metric(
            namespace=self.namespace,
            metric_name=THROTTLED_METRIC,
            period=PERIOD,
            statistic=cloudwatch.Stats.SUM,
        )
        self._alarm(
            "ApiThrottled",
            self.throttled,
            threshold=1,
            description="API Gateway refused requests with 429 (stage or route throttle reached)",
        )

    def _alarm(
        self,
        id: str,
        metric: cloudwatch.IMetric,
        *,
        threshold: float,
        description: str,
        evaluation_periods: int = 1,
    ) -> None:
        self.alarms[id] = alarm(
            self,
            id,
            metric,
            actions=self.actions,
            threshold=threshold,
            description=description,
            evaluation_periods=evaluation_periods,
        )
