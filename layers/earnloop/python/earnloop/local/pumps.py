"""The event plumbing Lambda provides in AWS, for the local cloud: SQS (the streams' side is
`stream_pump.StreamPump`).

`QueuePump` receives from every queue the contexts declare, invokes its consumer with Lambda's SQS
event, deletes what succeeded and leaves the failures in flight, so they come back after the
visibility timeout and, after `max_receive_count` receives, land in the DLQ (moto's redrive does
that on the next receive).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from botocore.exceptions import ClientError

from earnloop import contexts
from earnloop.local import lambdas, shapes
from earnloop.local.stream_pump import failed_ids
from earnloop.platform import aws
from earnloop.platform.observability import logger
from earnloop.platform.resources import Queue

Invoker = Callable[[str, dict[str, Any]], Any]
ClientFactory = Callable[[str], Any]


def _default_invoker(region: str) -> Invoker:
    def invoke(name: str, event: dict[str, Any]) -> Any:
        return lambdas.invoke(name, event, region)

    return invoke


@dataclass
class QueueEndpoints:
    url: str
    arn: str
    dlq_url: str


@dataclass
class QueuePump:
    """Delivers SQS messages to each queue's consumer, as Lambda's SQS event source mapping does."""

    queues: Mapping[str, QueueEndpoints]
    region: str
    invoke: Invoker
    definitions: tuple[Queue, ...] = field(default_factory=contexts.queues)
    client: ClientFactory = aws.client
    # Receipt handles of messages left in flight (failed, or delivered without deletion).
    in_flight: dict[str, list[str]] = field(default_factory=dict)
    # Messages handed to a consumer since the pump was made (the benchmarks sample it).
    delivered: int = 0

    @classmethod
    def create(
        cls,
        urls: Mapping[str, tuple[str, str]],
        region: str,
        invoker: Invoker | None = None,
        client: ClientFactory = aws.client,
    ) -> QueuePump:
        """From queue name -> (url, dlq url), looking the ARNs up."""
        sqs = client("sqs")
        endpoints = {}
        for name, (url, dlq_url) in urls.items():
            arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"][
                "QueueArn"
            ]
            endpoints[name] = QueueEndpoints(url, arn, dlq_url)
        return cls(endpoints, region, invoker or _default_invoker(region), client=client)

    def consumable(self) -> list[Queue]:
        """The queues whose consumer function exists (a context still being written is skipped)."""
        return [
            q
            for q in self.definitions
            if q.name in self.queues and lambdas.handler_path(q.consumer).is_file()
        ]

    def step(self, only: str | None = None, delete: bool = True) -> int:
        """One receive per queue (or just `only`); returns how many messages were delivered.

        `delete=False` delivers without deleting even what succeeded: a worker that died after its
        work but before Lambda deleted the message. Such messages stay in flight like failures.
        """
        delivered = 0
        for queue in self.consumable():
            if only is None or queue.name == only:
                delivered += self._deliver(queue, delete)
        return delivered

    def _deliver(self, queue: Queue, delete: bool) -> int:
        sqs = self.client("sqs")
        endpoint = self.queues[queue.name]
        messages = sqs.receive_message(
            QueueUrl=endpoint.url,
            MaxNumberOfMessages=min(queue.batch_size, 10),
            AttributeNames=["All"],
            MessageAttributeNames=["All"],
            WaitTimeSeconds=0,
        ).get("Messages", [])
        if not messages:
            return 0
        self.delivered += len(messages)
        records = [
            shapes.sqs_record(m, endpoint.arn, self.region, shapes.normalise_body(m["Body"], self.region))
            for m in messages
        ]
        try:
            response = self.invoke(queue.consumer, {"Records": records})
            failed = set(failed_ids(response) or [])
        except Exception:  # a crashed invocation: the whole batch returns to the queue
            logger.exception("queue consumer failed", extra={"consumer": queue.consumer})
            failed = {m["MessageId"] for m in messages}
        done = [m for m in messages if m["MessageId"] not in failed] if delete else []
        if done:
            sqs.delete_message_batch(
                QueueUrl=endpoint.url,
                Entries=[{"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]} for i, m in enumerate(done)],
            )
        kept = [m["ReceiptHandle"] for m in messages if m not in done]
        if kept:
            self.in_flight.setdefault(queue.name, []).extend(kept)
        logger.debug(
            "queue batch delivered",
            extra={"queue": queue.name, "messages": len(messages), "failed": len(failed), "kept": len(kept)},
        )
        return len(messages)

    def release_in_flight(self) -> int:
        """Makes every message this pump left in flight visible again now, instead of after the
        visibility timeout (ChangeMessageVisibility 0). Returns how many were released."""
        sqs = self.client("sqs")
        released = 0
        pending, self.in_flight = self.in_flight, {}
        for name, handles in pending.items():
            for handle in handles:
                try:
                    sqs.change_message_visibility(
                        QueueUrl=self.queues[name].url, ReceiptHandle=handle, VisibilityTimeout=0
                    )
                    released += 1
                except ClientError as error:
                    # Already deleted or received again under a newer handle: nothing to release.
                    logger.debug("message not released", extra={"queue": name, "error": str(error)})
        return released

    def send(self, name: str, body: str | Mapping[str, Any]) -> str:
        """Puts a message on a queue directly (tests: a duplicate delivery, a poison message)."""
        text = body if isinstance(body, str) else json.dumps(body)
        return str(
            self.client("sqs").send_message(QueueUrl=self.queues[name].url, MessageBody=text)["MessageId"]
        )

    def dead_letters(self, name: str) -> list[dict[str, Any]]:
        """The messages now in a queue's DLQ (received with a zero visibility timeout, so they stay)."""
        sqs = self.client("sqs")
        found: dict[str, dict[str, Any]] = {}
        for _ in range(10):
            messages = sqs.receive_message(
                QueueUrl=self.queues[name].dlq_url,
                MaxNumberOfMessages=10,
                VisibilityTimeout=0,
                AttributeNames=["All"],
            ).get("Messages", [])
            if not messages or all(m["MessageId"] in found for m in messages):
                break
            found.update({m["MessageId"]: m for m in messages})
        return list(found.values())
