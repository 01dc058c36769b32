"""The stream publisher: DynamoDB stream records -> domain events -> EventBridge.

Runs as one Lambda subscribed to every table's stream with ReportBatchItemFailures (plus bisection,
retries and an on-failure destination, see infra). One record that cannot be read, derived or put
fails alone: the records before it are published (once), it is reported as the batch's failure point
(`batchItemFailures` = its SequenceNumber), and nothing after it is published in this invocation,
because Lambda delivers everything from the failure point again. A record of a table this publisher
does not know is skipped with a warning; it is no failure.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError
from pydantic import ValidationError

from earnloop.platform import aws
from earnloop.platform.events import Deriver, envelope_detail
from earnloop.platform.observability import logger, metrics
from earnloop.platform.settings import Settings, get_settings
from earnloop.platform.stream_records import MalformedRecordError, parse

PUT_EVENTS_MAX = 10


@dataclass(frozen=True)
class _Entry:
    record_index: int
    entry: dict[str, Any]


@dataclass(frozen=True)
class _Derived:
    entries: list[_Entry]
    # The first record that could not be read or derived, if any: nothing from it on is published.
    failed_at: int | None


def _derive(
    records: list[Mapping[str, Any]], derivers: Mapping[str, Deriver], settings: Settings
) -> _Derived:
    entries: list[_Entry] = []
    for index, record in enumerate(records):
        try:
            parsed = parse(record, derivers, settings)
            if parsed is None:
                logger.warning(
                    "stream record from an unknown table", extra={"arn": record.get("eventSourceARN")}
                )
                continue
            events = derivers[parsed.change.table](parsed.change)
        except (MalformedRecordError, ValidationError, KeyError, TypeError, ValueError) as error:
            # A deriver's pydantic model rejecting an image, or an image no reading makes sense of:
            # this record fails, the ones before it are still published.
            logger.exception(
                "stream record not derived",
                extra={"index": index, "error": type(error).__name__, "event_id": record.get("eventID")},
            )
            return _Derived(entries, index)
        for position, event in enumerate(events):
            detail = envelope_detail(event, f"{parsed.record_id}:{position}", parsed.occurred_at)
            entries.append(
                _Entry(
                    index,
                    {
                        "Source": event.source,
                        "DetailType": event.detail_type,
                        "Detail": json.dumps(detail, separators=(",", ":")),
                        "EventBusName": settings.event_bus,
                    },
                )
            )
    return _Derived(entries, None)


def _put(entries: list[_Entry]) -> int | None:
    """Puts the entries in order, ten at a time; returns the index of the first record one of whose
    events was not put (the failure point), or None. Stops at the first chunk with a failure."""
    for start in range(0, len(entries), PUT_EVENTS_MAX):
        chunk = entries[start : start + PUT_EVENTS_MAX]
        try:
            response = aws.client("events").put_events(Entries=[e.entry for e in chunk])
        except (ClientError, BotoCoreError) as error:
            logger.warning("events not put", extra={"error": str(error), "count": len(chunk)})
            return chunk[0].record_index
        failed = [
            sent.record_index
            for sent, result in zip(chunk, response.get("Entries", []), strict=False)
            if "ErrorCode" in result
        ]
        if len(response.get("Entries", [])) < len(chunk):
            failed.append(chunk[len(response.get("Entries", []))].record_index)
        if failed:
            logger.warning("events not put", extra={"failed": len(failed), "count": len(chunk)})
            return min(failed)
    return None


def publish(
    records: list[Mapping[str, Any]], derivers: Mapping[str, Deriver], settings: Settings | None = None
) -> dict[str, Any]:
    """Puts the events of `records` on the bus, each table's changes read by its context's deriver
    (logical table name -> deriver); returns the stream partial-batch response."""
    settings = settings or get_settings()
    derived = _derive(records, derivers, settings)
    put_failed_at = _put(derived.entries)
    failures = [i for i in (derived.failed_at, put_failed_at) if i is not None]
    failed_at = min(failures) if failures else None
    published = sum(1 for e in derived.entries if failed_at is None or e.record_index < failed_at)
    metrics.add_metric(name="EventsPublished", unit="Count", value=published)
    if failed_at is None:
        return {"batchItemFailures": []}
    return {"batchItemFailures": [{"itemIdentifier": _sequence_number(records[failed_at])}]}


def _sequence_number(record: Mapping[str, Any]) -> str:
    data = record.get("dynamodb")
    # A record without a sequence number cannot be named: an empty identifier fails the whole
    # batch in Lambda, which is the only safe reading.
    return str(data.get("SequenceNumber", "")) if isinstance(data, Mapping) else ""


def stream_handler(derivers: Mapping[str, Deriver]) -> Callable[[Mapping[str, Any], Any], dict[str, Any]]:
    """The publisher's `lambda_handler`, given every table's deriver (`earnloop.contexts.derivers()`)."""

    @metrics.log_metrics
    @logger.inject_lambda_context(clear_state=True)
    def lambda_handler(event: Mapping[str, Any], context: Any) -> dict[str, Any]:
        return publish(list(event.get("Records", [])), derivers)

    return lambda_handler
