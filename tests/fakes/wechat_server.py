"""A fake WeChat server on 127.0.0.1 speaking `GET /sns/jscode2session` as documented, and the
server API behind the access token: `POST /cgi-bin/stable_token`, `POST /wxa/msg_sec_check` and
`POST /wxa/media_check_async` (see "Server API" below).

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

Server API. `stable_token` checks appid, secret and grant_type, counts its calls (`token_fetches`)
and behaves like WeChat's two modes on the fake's `clock`: normal mode returns the live token with
its remaining `expires_in`, and a new one in its last 300 s (the old one stays valid until it ends);
`force_refresh` returns a new one and invalidates the old. Every other API refuses a token it never
issued (40001) or one that has ended (42001). `revoke_tokens()` makes WeChat forget every token.
`msg_sec_check` answers by the content: `risky` in it -> suggest risky (label 20002), `review` in it
-> review (label 21000), else pass (100); an openid starting with `stale` -> 61010. `media_check_async`
answers a new trace id and records the check in `media_checks`. `subscribe/send` records messages in
`subscribe_sent` (43101 for a touser starting with `refused`, 47003 for bad data).
`script_api(path, *replies)` queues explicit replies for a path (after the token check).
"""

from __future__ import annotations

import itertools
import json
import threading
import time
from collections import defaultdict, deque
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs, urlsplit

if TYPE_CHECKING:
    from collections.abc import Callable

PATH = "/sns/jscode2session"
STABLE_TOKEN = "/cgi-bin/stable_token"
MSG_SEC_CHECK = "/wxa/msg_sec_check"
MEDIA_CHECK_ASYNC = "/wxa/media_check_async"
SUBSCRIBE_SEND = "/cgi-bin/message/subscribe/send"
TOKEN_LIFETIME_S = 7200
NORMAL_MODE_RENEWAL_S = 300


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


@dataclass(frozen=True)
class MediaCheck:
    trace_id: str
    media_url: str
    openid: str
    scene: int


class FakeWeChat:
    def __init__(
        self,
        app_id: str = "wx-fake-app",
        app_secret: str = "fake-app-secret",
        *,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.app_id = app_id
        self.app_secret = app_secret
        self.clock = clock
        self.requests: list[dict[str, str]] = []
        self.token_fetches = 0
        self.forced_fetches = 0
        self.api_calls: list[tuple[str, dict[str, Any]]] = []
        self.media_checks: list[MediaCheck] = []
        self.subscribe_sent: list[dict[str, Any]] = []
        # Token -> the moment it ends; the newest is `_live`.
        self._tokens: dict[str, float] = {}
        self._live: str | None = None
        self._serial = itertools.count(1)
        self._api_scripts: dict[str, deque[Reply]] = defaultdict(deque)
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

    def script_api(self, path: str, *replies: Reply) -> None:
        """The next calls of `path` with a valid token get these replies, in order."""
        with self._lock:
            self._api_scripts[path].extend(replies)

    def revoke_tokens(self) -> None:
        """WeChat forgets every token it issued (as after a reset in the console)."""
        with self._lock:
            self._tokens.clear()
            self._live = None

    def api_calls_to(self, path: str) -> list[dict[str, Any]]:
        with self._lock:
            return [body for called, body in self.api_calls if called == path]

    def stable_token(self, body: dict[str, Any]) -> Reply:
        if body.get("grant_type") != "client_credential":
            return error(40002, "invalid grant_type")
        if body.get("appid") != self.app_id:
            return error(40013, "invalid appid")
        if body.get("secret") != self.app_secret:
            return error(40125, "invalid appsecret")
        now = self.clock()
        with self._lock:
            self.token_fetches += 1
            live = self._live
            remaining = self._tokens.get(live, 0) - now if live else 0
            if body.get("force_refresh") is True:
                self.forced_fetches += 1
                self._tokens.pop(live or "", None)
            elif remaining > NORMAL_MODE_RENEWAL_S:
                return Reply({"access_token": live, "expires_in": int(remaining)})
            token = f"TOKEN-{next(self._serial)}"
            self._tokens[token] = now + TOKEN_LIFETIME_S
            self._live = token
            return Reply({"access_token": token, "expires_in": TOKEN_LIFETIME_S})

    def api(self, path: str, query: dict[str, str], body: dict[str, Any]) -> Reply:
        token = query.get("access_token", "")
        with self._lock:
            self.api_calls.append((path, body))
            ends = self._tokens.get(token)
            if ends is None:
                return error(40001, "invalid credential, access_token is invalid or not latest")
            if ends <= self.clock():
                return error(42001, "access_token expired")
            if self._api_scripts[path]:
                return self._api_scripts[path].popleft()
        if path == MSG_SEC_CHECK:
            return self._msg_sec_check(body)
        if path == MEDIA_CHECK_ASYNC:
            return self._media_check_async(body)
        if path == SUBSCRIBE_SEND:
            return self._subscribe_send(body)
        return Reply(b"not found", status=404)

    def _msg_sec_check(self, body: dict[str, Any]) -> Reply:
        content, openid = str(body.get("content", "")), str(body.get("openid", ""))
        if body.get("version") != 2 or body.get("scene") not in (1, 2, 3, 4):
            return error(40129, "invalid scene")
        if len(content) > 2500:
            return error(87014, "content too long")
        if openid.startswith("stale"):
            return error(61010, "user not visited recently")
        suggest, label = (
            ("risky", 20002)
            if "risky" in content
            else ("review", 21000)
            if "review" in content
            else ("pass", 100)
        )
        trace_id = f"trace-text-{next(self._serial)}"
        return Reply(
            {
                "errcode": 0,
                "errmsg": "ok",
                "trace_id": trace_id,
                "result": {"suggest": suggest, "label": label},
                "detail": [{"strategy": "content_model", "errcode": 0, "suggest": suggest, "label": label}],
            }
        )

    def _media_check_async(self, body: dict[str, Any]) -> Reply:
        url = str(body.get("media_url", ""))
        if (
            body.get("media_type") != 2
            or body.get("version") != 2
            or not url.startswith(("http://", "https://"))
        ):
            return error(47001, "data format error")
        trace_id = f"trace-media-{next(self._serial)}"
        with self._lock:
            self.media_checks.append(
                MediaCheck(trace_id, url, str(body.get("openid", "")), int(body.get("scene", 0)))
            )
        return Reply({"errcode": 0, "errmsg": "ok", "trace_id": trace_id})

    def _subscribe_send(self, body: dict[str, Any]) -> Reply:
        """`subscribeMessage.send`: a touser starting with `refused` holds no subscription (43101); a
        data value that is not `{value: <str>}` is 47003; else the message is recorded in
        `subscribe_sent`."""
        touser, template_id, data = body.get("touser"), body.get("template_id"), body.get("data")
        if not isinstance(touser, str) or not touser:
            return error(40003, "invalid openid")
        if not isinstance(template_id, str) or not template_id:
            return error(40037, "invalid template_id")
        if body.get("miniprogram_state", "formal") not in ("developer", "trial", "formal"):
            return error(47001, "data format error")
        if not isinstance(data, dict) or not all(
            isinstance(v, dict) and isinstance(v.get("value"), str) and len(v["value"]) <= 20
            for v in data.values()
        ):
            return error(47003, "argument invalid! data.thing1.value invalid")
        if touser.startswith("refused"):
            return error(43101, "user refuse to accept the msg")
        with self._lock:
            self.subscribe_sent.append(body)
        return Reply({"errcode": 0, "errmsg": "ok", "msgid": next(self._serial)})

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
                self._send(reply)

            def do_POST(self) -> None:
                url = urlsplit(self.path)
                query = {k: v[0] for k, v in parse_qs(url.query, keep_blank_values=True).items()}
                raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                try:
                    body = json.loads(raw)
                except ValueError:
                    body = None
                if not isinstance(body, dict):
                    reply = error(47001, "data format error")
                elif url.path == STABLE_TOKEN:
                    reply = fake.stable_token(body)
                else:
                    reply = fake.api(url.path, query, body)
                self._send(reply)

            def _send(self, reply: Reply) -> None:
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
