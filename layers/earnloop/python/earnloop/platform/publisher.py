"""The stream publisher: DynamoDB stream records -> domain events -> EventBridge.

Runs as one Lambda subscribed to every table's stream with ReportBatchItemFailures. A record whose
events cannot all be put is reported as the batch's failure point, so Lambda retries from it; the
records after it are retried too, which is safe because every consumer is idempotent.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from earnloop.platform import aws
from earnloop.platform.clock import iso, utcnow
from earnloop.platform.dynamo import unmarshal
from earnloop.platform.events import Change, Deriver, DomainEvent, envelope_detail
from earnloop.platform.observability import logger, metrics
from earnloop.platform.settings import Settings, get_settings

PUT_EVENTS_MAX = 10


def table_of(stream_arn: str, tables: Iterable[str], settings: Settings) -> str | None:
    """The logical name, among `tables`, of the table a stream ARN (`...:table/<physical>/stream/<label>`)
    belongs to."""
    try:
        physical = stream_arn.split(":table/", 1)[1].split("/stream/", 1)[0]
    except IndexError:
        return None
    for table in tables:
        if settings.table_name(table) == physical:
            return table
    return None


@dataclass(frozen=True)
class _Entry:
    record_index: int
    entry: dict[str, Any]


def _changes(
    records: list[Mapping[str, Any]], tables: Iterable[str], settings: Settings
) -> Iterable[tuple[int, Change, str, str]]:
    tables = tuple(tables)
    for index, record in enumerate(records):
        table = table_of(record.get("eventSourceARN", ""), tables, settings)
        if table is None:
            logger.warning("stream record from an unknown table", extra={"arn": record.get("eventSourceARN")})
            continue
        data = record.get("dynamodb", {})
        change = Change(
            table=table,
            kind=record["eventName"],
            old=unmarshal(data["OldImage"]) if "OldImage" in data else None,
            new=unmarshal(data["NewImage"]) if "NewImage" in data else None,
        )
        created = data.get("ApproximateCreationDateTime")
        occurred_at = _iso(created)
        yield index, change, str(record.get("eventID", data.get("SequenceNumber", index))), occurred_at


def _iso(epoch: Any) -> str:
    """The commit time Lambda gives (epoch seconds), or now when a record lacks it."""
    if isinstance(epoch, int | float):
        return iso(datetime.fromtimestamp(epoch, tz=UTC))
    return iso(utcnow())


def entries_for(
    records: list[Mapping[str, Any]], derivers: Mapping[str, Deriver], settings: Settings
) -> list[_Entry]:
    entries: list[_Entry] = []
    for index, change, record_id, occurred_at in _changes(records, derivers, settings):
        events: list[DomainEvent] = derivers[change.table](change)
        for position, event in enumerate(events):
            detail = envelope_detail(event, f"{record_id}:{position}", occurred_at)
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
    return entries


def publish(
    records: list[Mapping[str, Any]], derivers: Mapping[str, Deriver], settings: Settings | None = None
) -> dict[str, Any]:
    """Puts the events of `records` on the bus, each table's changes read by its context's deriver
    (logical table name -> deriver); returns the stream partial-batch response."""
    settings = settings or get_settings()
    entries = entries_for(records, derivers, settings)
    failed_at: int | None = None
    for start in range(0, len(entries), PUT_EVENTS_MAX):
        chunk = entries[start : start + PUT_EVENTS_MAX]
        response = aws.client("events").put_events(Entries=[e.entry for e in chunk])
        for sent, result in zip(chunk, response.get("Entries", []), strict=False):
            if "ErrorCode" in result:
                logger.warning(
                    "event not put",
                    extra={"code": result.get("ErrorCode"), "detail_type": sent.entry["DetailType"]},
                )
                failed_at = sent.record_index if failed_at is None else min(failed_at, sent.record_index)
    if failed_at is None:
        metrics.add_metric(name="EventsPublished", unit="Count", value=len(entries))
        return {"batchItemFailures": []}
    published = sum(1 for e in entries if e.record_index < failed_at)
    metrics.add_metric(name="EventsPublished", unit="Count", value=published)
    return {"batchItemFailures": [{"itemIdentifier": records[failed_at]["dynamodb"]["SequenceNumber"]}]}


def stream_handler(derivers: Mapping[str, Deriver]) -> Callable[[Mapping[str, Any], Any], dict[str, Any]]:
    """The publisher's `lambda_handler`, given every table's deriver (`earnloop.contexts.derivers()`)."""

    @metrics.log_metrics
    @logger.inject_lambda_context(clear_state=True)
    def lambda_handler(event: Mapping[str, Any], context: Any) -> dict[str, Any]:
        return publish(list(event.get("Records", [])), derivers)

    return lambda_handler
