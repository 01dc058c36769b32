"""A fake Rekognition on 127.0.0.1 speaking the AWS JSON 1.1 protocol for `DetectModerationLabels`.

A boto3 client made with `endpoint_url=fake.url` reaches it as it would reach AWS: `POST /` with
`X-Amz-Target: RekognitionService.DetectModerationLabels`, content type
`application/x-amz-json-1.1`, a SigV4 `Authorization` header and the body `{"Image": {"Bytes":
<base64>}, "MinConfidence": ...}`. The fake checks those, records each call (the decoded image and
the confidence asked for) and answers the next scripted reply, or no labels. An error reply is AWS's
shape: HTTP 400 with `{"__type": <code>, "message": ...}` (ThrottlingException and the like).
"""

from __future__ import annotations

import base64
import json
import threading
from collections import deque
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

TARGET = "RekognitionService.DetectModerationLabels"


@dataclass(frozen=True)
class Call:
    image: bytes
    min_confidence: float | None


def label(name: str, confidence: float, parent: str = "", level: int = 1) -> dict[str, Any]:
    return {"Name": name, "Confidence": confidence, "ParentName": parent, "TaxonomyLevel": level}


class FakeRekognition:
    def __init__(self) -> None:
        self.calls: list[Call] = []
        self._replies: deque[tuple[int, dict[str, Any]]] = deque()
        self._lock = threading.Lock()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler_class())
        self._server.daemon_threads = True
        self._thread = threading.Thread(
            target=self._server.serve_forever,
            kwargs={"poll_interval": 0.05},
            name="fake-rekognition",
            daemon=True,
        )

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    def __enter__(self) -> FakeRekognition:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)

    def answer(self, *labels: dict[str, Any]) -> None:
        """The next call finds these moderation labels."""
        with self._lock:
            self._replies.append((200, {"ModerationLabels": list(labels), "ModerationModelVersion": "7.0"}))

    def fail(self, code: str, status: int = 400) -> None:
        """The next call fails with this AWS error code."""
        with self._lock:
            self._replies.append((status, {"__type": code, "message": f"fake {code}"}))

    def reply(self, headers: dict[str, str], raw: bytes) -> tuple[int, dict[str, Any]]:
        if headers.get("x-amz-target") != TARGET:
            return 400, {"__type": "UnknownOperationException", "message": "unknown target"}
        if not headers.get("content-type", "").startswith("application/x-amz-json-1.1"):
            return 400, {"__type": "SerializationException", "message": "bad content type"}
        if "AWS4-HMAC-SHA256" not in headers.get("authorization", ""):
            return 403, {"__type": "MissingAuthenticationTokenException", "message": "unsigned"}
        try:
            body = json.loads(raw)
            image = base64.b64decode(body["Image"]["Bytes"], validate=True)
        except (ValueError, KeyError, TypeError):
            return 400, {"__type": "InvalidParameterException", "message": "bad image"}
        with self._lock:
            self.calls.append(Call(image, body.get("MinConfidence")))
            if self._replies:
                return self._replies.popleft()
        return 200, {"ModerationLabels": [], "ModerationModelVersion": "7.0"}

    def _handler_class(self) -> type[BaseHTTPRequestHandler]:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                status, body = fake.reply({k.lower(): v for k, v in self.headers.items()}, raw)
                data = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/x-amz-json-1.1")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, format: str, *args: Any) -> None:
                pass

        return Handler
