"""An EventBridge Scheduler schedule per `kind="schedule"` catalog function.

Each evaluates its expression in its function's own time zone (`FunctionSpec.timezone`, UTC unless
said), so a daily job declared with `cron(10 0 * * ? *)` and "Asia/Shanghai" runs at 00:10 of a
business day; the local scheduler evaluates it the same way.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

from aws_cdk import Aws, Duration
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda_destinations as destinations
from aws_cdk import aws_scheduler as scheduler
from constructs import Construct

from infra import nag
from infra.events import dead_letter_queue
from infra.naming import construct_id, physical

if TYPE_CHECKING:
    from collections.abc import Iterable, Mapping

    from aws_cdk import aws_lambda as lambda_
    from aws_cdk import aws_sqs as sqs
    from earnloop.platform.catalog import FunctionSpec

    from infra.config import StageConfig

RETRY_ATTEMPTS = 3
MAX_EVENT_AGE = Duration.hours(1)
DLQ_RETENTION = Duration.days(14)


def schedules_dead_letter_queue(scope: Construct, id: str, *, config: StageConfig) -> sqs.Queue:
    """One DLQ for every schedule: an invocation that never succeeded, for an operator. The app
    makes it in the parent stack, with the other queues and their alarms."""
    dlq = dead_letter_queue(scope, id, name=physical(config.stage, "schedules-dlq"), retention=DLQ_RETENTION)
    nag.acknowledge(
        dlq,
        "SQS3",
        "this queue is itself a dead-letter queue: Scheduler and Lambda's async "
        "invocation send it the scheduled runs that failed all their retries",
    )
    return dlq


class Schedules(Construct):
    """Nothing is created until the catalog has a scheduled function. Without `dlq`, the first
    schedule makes one of its own."""

    def __init__(
        self,
        scope: Construct,
        id: str,
        *,
        config: StageConfig,
        specs: Iterable[FunctionSpec],
        functions: Mapping[str, lambda_.Function],
        dlq: sqs.IQueue | None = None,
    ) -> None:
        super().__init__(scope, id)
        self.schedules: dict[str, scheduler.CfnSchedule] = {}
        self.dlq: sqs.IQueue | None = dlq
        for spec in specs:
            if spec.kind != "schedule":
                continue
            if not spec.schedule:
                raise ValueError(f"scheduled function {spec.name!r} has no schedule expression")
            dlq = self._dead_letters(config)
            # Scheduler invokes asynchronously: its retries cover failed invocations, Lambda's
            # own async retries cover a function that ran and failed. Both end in the DLQ.
            functions[spec.name].configure_async_invoke(
                retry_attempts=2, max_event_age=MAX_EVENT_AGE, on_failure=destinations.SqsDestination(dlq)
            )
            self.schedules[spec.name] = self._schedule(spec, functions[spec.name], dlq, config)

    def _schedule(
        self, spec: FunctionSpec, function: lambda_.IFunction, dlq: sqs.IQueue, config: StageConfig
    ) -> scheduler.CfnSchedule:
        cid = construct_id(spec.name)
        # Its own role with exactly two permissions; the L2 target would also grant every
        # version and alias of the function (`<arn>:*`).
        role = iam.Role(
            self,
            f"{cid}Role",
            assumed_by=iam.ServicePrincipal(
                "scheduler.amazonaws.com", conditions={"StringEquals": {"aws:SourceAccount": Aws.ACCOUNT_ID}}
            ),
            description=f"earnloop {config.stage}: lets its schedule invoke {spec.name}",
        )
        role.add_to_policy(
            iam.PolicyStatement(actions=["lambda:InvokeFunction"], resources=[function.function_arn])
        )
        role.add_to_policy(iam.PolicyStatement(actions=["sqs:SendMessage"], resources=[dlq.queue_arn]))
        return scheduler.CfnSchedule(
            self,
            cid,
            name=physical(config.stage, spec.name),
            description=spec.description or spec.name,
            schedule_expression=spec.schedule,
            schedule_expression_timezone=spec.timezone,
            flexible_time_window=scheduler.CfnSchedule.FlexibleTimeWindowProperty(mode="OFF"),
            target=scheduler.CfnSchedule.TargetProperty(
                arn=function.function_arn,
                role_arn=role.role_arn,
                # Scheduler sends no event of its own; this one has the Scheduled Event shape the
                # functions (and the local scheduler) use, with the due time, not the delivery time.
                input=json.dumps(
                    {
                        "version": "0",
                        "detail-type": "Scheduled Event",
                        "source": "aws.scheduler",
                        "id": "<aws.scheduler.execution-id>",
                        "time": "<aws.scheduler.scheduled-time>",
                        "resources": ["<aws.scheduler.schedule-arn>"],
                        "detail": {},
                    }
                ),
                retry_policy=scheduler.CfnSchedule.RetryPolicyProperty(
                    maximum_retry_attempts=RETRY_ATTEMPTS,
                    maximum_event_age_in_seconds=int(MAX_EVENT_AGE.to_seconds()),
                ),
                dead_letter_config=scheduler.CfnSchedule.DeadLetterConfigProperty(arn=dlq.queue_arn),
            ),
        )

    def _dead_letters(self, config: StageConfig) -> sqs.IQueue:
        if self.dlq is None:
            self.dlq = schedules_dead_letter_queue(self, "Dlq", config=config)
        return self.dlq
