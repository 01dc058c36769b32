"""Sample events from `events/`, filled in for a call: used by `earnloop invoke` and the tests."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

REPO_ROOT = Path(__file__).resolve().parents[5]
EVENTS_DIR = REPO_ROOT / "events"


def load(relative: str) -> dict[str, Any]:
    """The sample event at `events/<relative>` (e.g. "apigw/scans_create.json")."""
    path = Path(relative)
    if not path.is_absolute() and not path.exists():
        path = EVENTS_DIR / relative
    return json.loads(path.read_text())  # type: ignore[no-any-return]


def http_event(
    relative: str,
    *,
    token: str | None = None,
    body: Any = None,
    path_parameters: dict[str, str] | None = None,
    query: dict[str, str] | None = None,
    headers: dict[str, str] | None = None,
) -> dict[str, Any]:
    """An API Gateway HTTP API (payload v2) sample with the caller's token and the given body/params.

    The sample's `rawPath` may hold `{name}` placeholders; they are filled from `path_parameters`.
    """
    event = load(relative)
    event_headers = {k.lower(): v for k, v in event.get("headers", {}).items()}
    if token is not None:
        event_headers["authorization"] = f"Bearer {token}"
    for name, value in (headers or {}).items():
        event_headers[name.lower()] = value
    event["headers"] = event_headers
    if body is not None:
        event["body"] = body if isinstance(body, str) else json.dumps(body)
        event["isBase64Encoded"] = False
    if path_parameters:
        event["pathParameters"] = {**event.get("pathParameters", {}), **path_parameters}
        for name, value in path_parameters.items():
            event["rawPath"] = event["rawPath"].replace("{" + name + "}", value)
            http = event["requestContext"]["http"]
            http["path"] = http["path"].replace("{" + name + "}", value)
    if query is not None:
        event["queryStringParameters"] = query
        event["rawQueryString"] = "&".join(f"{k}={v}" for k, v in query.items())
    return event
