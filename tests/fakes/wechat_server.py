"""A fake WeChat server on 127.0.0.1 speaking `GET /sns/jscode2session` as documented.

It checks `appid`, `secret` and `grant_type` like WeChat does (40013 / 40125 / 40002), treats a code
as single-use (40163 the second time), and answers each code by its shape, so a test chooses the
outcome by the code it logs in with:

    ok:<openid>               {openid, session_key}
    ok:<openid>:<unionid>     {openid, session_key, unionid}
    err:<errcode>             {errcode, errmsg} (40029, 45011, -1, 40226, ...)
    busy:<n>:<openid>         errcode -1 for the first n calls, then as `ok:<openid>`
    slow:<seconds>:<openid>   answers `ok:<openid>` after that long (a client timeout test)
    http:<status>             that HTTP status with an HTML body
    garbage:                  HTTP 200 with a body that is not JSON
    anything else             40029 invalid code

A `~<anything>` suffix is ignored, so `ok:o1~a` and `ok:o1~b` are two codes of one user. `script`
overrides the shapes with explicit replies for one code. Use it as a context manager; stopping it
releases any reply still waiting.
"""

from __future__ import annotations

import json
import threading
from collections import defaultdict, deque
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

PATH = "/sns/jscode2session"


@dataclass(frozen=True)
class Reply:
    body: dict[str, Any] | bytes
    status: int = 200
    delay_s: float = 0.0


def error(errcode: int, errmsg: str = "error") -> Reply:
    return Reply({"errcode": errcode, "errmsg": f"{errmsg}, rid: 6561f0a1-0000"})


def session_key_of(openid: str) -> str:
    """The session key the fake hands out for an openid (tests check it never leaks)."""
    return f"SESSIONKEY-{openid}-never-log-me"


def ok(openid: str, unionid: str | None = None) -> Reply:
    body: dict[str, Any] = {"openid": openid, "session_key": session_key_of(openid)}
    if unionid:
        body["unionid"] = unionid
    return Reply(body)


class FakeWeChat:
    def __init__(self, app_id: str = "wx-fake-app", app_secret: str = "fake-app-secret") -> None:
        self.app_id = app_id
        self.app_secret = app_secret
        self.requests: list[dict[str, str]] = []
        self._lock = threading.Lock()
        self._scripts: dict[str, deque[Reply]] = defaultdict(deque)
        self._calls: dict[str, int] = defaultdict(int)
        self._used: set[str] = set()
        self._released = threading.Event()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler_class())
        self._server.daemon_threads = True
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, name="fake-wechat", daemon=True
        )

    @property
    def base_url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    def start(self) -> FakeWeChat:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._released.set()
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)

    def __enter__(self) -> FakeWeChat:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def script(self, code: str, *replies: Reply) -> None:
        """The next calls with `code` get these replies, in order (then the code's shape decides)."""
        with self._lock:
            self._scripts[code].extend(replies)

    def calls(self, code: str) -> int:
        with self._lock:
            return self._calls[code]

    def reply_to(self, query: dict[str, str]) -> Reply:
        if query.get("appid") != self.app_id:
            return error(40013, "invalid appid")
        if query.get("secret") != self.app_secret:
            return error(40125, "invalid appsecret")
        if query.get("grant_type") != "authorization_code":
            return error(40002, "invalid grant_type")
        code = query.get("js_code", "")
        if not code:
            return error(41008, "missing code")
        with self._lock:
            self._calls[code] += 1
            calls = self._calls[code]
            if self._scripts[code]:
                return self._scripts[code].popleft()
            if code in self._used:
                return error(40163, "code been used")
            reply = _by_shape(code.split("~", 1)[0], calls)
            if reply.status == 200 and isinstance(reply.body, dict) and "openid" in reply.body:
                self._used.add(code)
            return reply

    def _handler_class(self) -> type[BaseHTTPRequestHandler]:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                url = urlsplit(self.path)
                query = {k: v[0] for k, v in parse_qs(url.query, keep_blank_values=True).items()}
                with fake._lock:
                    fake.requests.append(query)
                reply = fake.reply_to(query) if url.path == PATH else Reply(b"not found", status=404)
                if reply.delay_s:
                    fake._released.wait(reply.delay_s)
                body = json.dumps(reply.body).encode() if isinstance(reply.body, dict) else reply.body
                try:
                    self.send_response(reply.status)
                    # WeChat labels its JSON text/plain; clients must not rely on the content type.
                    self.send_header("Content-Type", "text/plain")
                    self.send_header("Content-Length", str(len(body)))
                    self.end_headers()
                    self.wfile.write(body)
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the client gave up (a timeout test)

            def log_message(self, format: str, *args: Any) -> None:
                pass

        return Handler


def _by_shape(code: str, calls: int) -> Reply:
    kind, _, rest = code.partition(":")
    parts = rest.split(":")
    try:
        if kind == "ok" and parts[0]:
            return ok(parts[0], parts[1] if len(parts) > 1 else None)
        if kind == "err":
            return error(int(parts[0]))
        if kind == "busy":
            return error(-1, "system error") if calls <= int(parts[0]) else ok(parts[1])
        if kind == "slow":
            return Reply(ok(parts[1]).body, delay_s=float(parts[0]))
        if kind == "http":
            return Reply(b"<html>bad gateway</html>", status=int(parts[0]))
        if kind == "garbage":
            return Reply(b"{not json")
    except (IndexError, ValueError):
        pass
    return error(40029, "invalid code")
