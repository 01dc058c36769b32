"""The stage's CloudWatch dashboard, from plain `aws_cloudwatch` constructs.

Rows, top to bottom: what users feel (requests, 4xx/5xx, p50/p99 latency, API throttles), the
HTTP functions (errors, throttles, duration p99), the pipeline that credits scans (queue depth and
age, dead letters, publisher iterator age, worker errors), and every alarm's state.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from aws_cdk import Duration
from aws_cdk import aws_cloudwatch as cloudwatch

if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence

    from aws_cdk import aws_sqs as sqs
    from constructs import Construct

    from infra.api import Api

PERIOD = Duration.minutes(1)
WIDTH = 8


def _graph(title: str, metrics: Sequence[cloudwatch.IMetric], width: int = WIDTH) -> cloudwatch.GraphWidget:
    return cloudwatch.GraphWidget(title=title, left=list(metrics), width=width, height=6)


def _lambda(metric: str, function: str, statistic: str, label: str) -> cloudwatch.Metric:
    """A Lambda metric of the function of that physical name (its stack is a context's, not ours)."""
    return cloudwatch.Metric(
        namespace="AWS/Lambda",
        metric_name=metric,
        dimensions_map={"FunctionName": function},
        period=PERIOD,
        statistic=statistic,
        label=label,
    )


def dashboard(
    scope: Construct,
    id: str,
    *,
    name: str,
    api: Api,
    throttled: cloudwatch.IMetric,
    functions: Mapping[str, str],
    queues: Mapping[str, sqs.IQueue],
    dlqs: Mapping[str, sqs.IQueue],
    stream_consumers: Mapping[str, str],
    alarms: Sequence[cloudwatch.IAlarm],
) -> cloudwatch.Dashboard:
    """`functions` and `stream_consumers`: catalog name -> physical function name."""
    http_api = api.http_api
    board = cloudwatch.Dashboard(scope, id, dashboard_name=name, default_interval=Duration.hours(3))
    total = cloudwatch.Stats.SUM
    board.add_widgets(
        _graph(
            "API requests and errors",
            [
                http_api.metric_count(period=PERIOD, statistic=total),
                http_api.metric_client_error(period=PERIOD, statistic=total),
                http_api.metric_server_error(period=PERIOD, statistic=total),
                throttled.with_(period=PERIOD, label="throttled by API Gateway (429)"),
            ],
        ),
        _graph(
            "API latency",
            [
                http_api.metric_latency(period=PERIOD, statistic=cloudwatch.Stats.p(50)),
                http_api.metric_latency(period=PERIOD, statistic=cloudwatch.Stats.p(99)),
                http_api.metric_integration_latency(period=PERIOD, statistic=cloudwatch.Stats.p(99)),
            ],
        ),
        _graph(
            "Lambda throttles",
            [_lambda("Throttles", fn, total, n) for n, fn in functions.items()],
        ),
    )
    board.add_widgets(
        _graph(
            "Function errors",
            [_lambda("Errors", fn, total, n) for n, fn in functions.items()],
        ),
        _graph(
            "Function duration p99",
            [_lambda("Duration", fn, cloudwatch.Stats.p(99), n) for n, fn in functions.items()],
        ),
        _graph(
            "Concurrent executions",
            [_lambda("ConcurrentExecutions", fn, cloudwatch.Stats.MAXIMUM, n) for n, fn in functions.items()],
        ),
    )
    board.add_widgets(
        _graph(
            "Queue depth",
            [
                q.metric_approximate_number_of_messages_visible(period=PERIOD, label=n)
                for n, q in queues.items()
            ],
        ),
        _graph(
            "Oldest message (s)",
            [q.metric_approximate_age_of_oldest_message(period=PERIOD, label=n) for n, q in queues.items()],
        ),
        _graph(
            "Dead letters and publisher lag",
            [
                *(
                    q.metric_approximate_number_of_messages_visible(period=PERIOD, label=f"{n} dlq")
                    for n, q in dlqs.items()
                ),
                *(
                    _lambda("IteratorAge", fn, cloudwatch.Stats.MAXIMUM, n)
                    for n, fn in stream_consumers.items()
                ),
            ],
        ),
    )
    board.add_widgets(cloudwatch.AlarmStatusWidget(alarms=list(alarms), title="Alarms", width=24))
    return board
