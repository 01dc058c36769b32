"""The event bus, the queues (each with its dead-letter queue) and the rules between them, from
the contexts' declarations (`earnloop.contexts`) and `earnloop.platform.resources.BUS`."""

from __future__ import annotations

from typing import TYPE_CHECKING

from aws_cdk import Duration
from aws_cdk import aws_events as events
from aws_cdk import aws_events_targets as targets
from aws_cdk import aws_sqs as sqs
from constructs import Construct
from earnloop.contexts import queues, rules
from earnloop.platform.resources import BUS, Queue

from infra.naming import construct_id, physical

if TYPE_CHECKING:
    from collections.abc import Mapping

    from earnloop.platform.catalog import FunctionSpec

    from infra.config import StageConfig

# Lambda's guidance for SQS event sources: visibility >= 6x the function timeout, so a message is
# not handed to a second worker while the first still retries it within its batch.
VISIBILITY_PER_TIMEOUT = 6
# EventBridge keeps retrying delivery to a queue for this long before the event goes to the DLQ.
RULE_MAX_EVENT_AGE = Duration.hours(24)
ARCHIVE_RETENTION = Duration.days(14)


def dead_letter_queue(scope: Construct, id: str, *, name: str, retention: Duration) -> sqs.Queue:
    """A DLQ: encrypted, SSL only, kept long enough for an operator to inspect and redrive."""
    return sqs.Queue(
        scope,
        id,
        queue_name=name,
        encryption=sqs.QueueEncryption.SQS_MANAGED,
        enforce_ssl=True,
        retention_period=retention,
    )


def event_pattern(pattern: Mapping[str, object]) -> events.EventPattern:
    """A rule's pattern, as the definition writes it (`detail-type` -> `detail_type`)."""
    return events.EventPattern(**{key.replace("-", "_"): value for key, value in pattern.items()})  # type: ignore[arg-type]


def consumer_of(queue: Queue, functions: Mapping[str, FunctionSpec]) -> FunctionSpec:
    """The worker named by the queue definition; the catalog must agree that it reads this queue."""
    spec = functions.get(queue.consumer)
    if spec is None or spec.kind != "queue" or spec.queue != queue.name:
        raise LookupError(f"queue {queue.name!r}: no catalog worker {queue.consumer!r} reading it")
    return spec


class Events(Construct):
    """The bus (with an archive for replays), one queue + DLQ per definition, a rule per route."""

    def __init__(
        self, scope: Construct, id: str, *, config: StageConfig, functions: Mapping[str, FunctionSpec]
    ) -> None:
        super().__init__(scope, id)
        self.bus = events.EventBus(self, "Bus", event_bus_name=physical(config.stage, BUS))
        archive = self.bus.archive(
            "Archive",
            description="Every domain event, for replay after a consumer bug",
            event_pattern=events.EventPattern(account=[self.bus.env.account]),
            retention=ARCHIVE_RETENTION,
        )
        # The L2 writes `KmsKeyIdentifier: ""` when no key is given, which the service rejects;
        # without the property the archive is encrypted with an AWS-owned key.
        archive_resource = archive.node.default_child
        assert isinstance(archive_resource, events.CfnArchive)
        archive_resource.add_property_deletion_override("KmsKeyIdentifier")
        self.queues: dict[str, sqs.Queue] = {}
        self.dlqs: dict[str, sqs.Queue] = {}
        for definition in queues():
            self._queue(definition, consumer_of(definition, functions), config)
        for rule in rules():
            if rule.queue not in self.queues:
                raise LookupError(f"rule {rule.name!r} targets unknown queue {rule.queue!r}")
            events.Rule(
                self,
                construct_id(rule.name),
                rule_name=physical(config.stage, rule.name),
                event_bus=self.bus,
                event_pattern=event_pattern(rule.pattern()),
                targets=[
                    targets.SqsQueue(
                        self.queues[rule.queue],
                        dead_letter_queue=self.dlqs[rule.queue],
                        max_event_age=RULE_MAX_EVENT_AGE,
                    )
                ],
            )

    def _queue(self, definition: Queue, consumer: FunctionSpec, config: StageConfig) -> None:
        if definition.dlq_retention_days <= definition.retention_days:
            # A message must still be in the DLQ after its source would have dropped it.
            raise ValueError(f"queue {definition.name!r}: DLQ retention must exceed the queue's")
        cid = construct_id(definition.name)
        name = physical(config.stage, definition.name)
        dlq = dead_letter_queue(
            self, f"{cid}Dlq", name=f"{name}-dlq", retention=Duration.days(definition.dlq_retention_days)
        )
        self.dlqs[definition.name] = dlq
        self.queues[definition.name] = sqs.Queue(
            self,
            f"{cid}Queue",
            queue_name=name,
            encryption=sqs.QueueEncryption.SQS_MANAGED,
            enforce_ssl=True,
            retention_period=Duration.days(definition.retention_days),
            visibility_timeout=Duration.seconds(VISIBILITY_PER_TIMEOUT * consumer.timeout_s),
            dead_letter_queue=sqs.DeadLetterQueue(queue=dlq, max_receive_count=definition.max_receive_count),
        )
