"""Runs a function the way Lambda does: its `functions/<name>/handler.py` file, a context object.

One loader for the pumps, the scheduler and `earnloop invoke`, so what runs locally is the entry
point that deploys, not a shortcut into the library.
"""

from __future__ import annotations

import importlib.util
import threading
import uuid
from dataclasses import dataclass, field
from time import monotonic
from typing import TYPE_CHECKING, Any, Protocol

from earnloop.contexts import function
from earnloop.local.samples import REPO_ROOT

if TYPE_CHECKING:
    from pathlib import Path

FUNCTIONS_DIR = REPO_ROOT / "functions"


class Handler(Protocol):
    def __call__(self, event: dict[str, Any], context: Any) -> Any: ...


@dataclass
class LocalLambdaContext:
    """The attributes of Lambda's context object that our handlers and Powertools read."""

    function_name: str
    timeout_s: int = 10
    memory_limit_in_mb: int = 512
    region: str = "ap-east-1"
    account: str = "123456789012"
    aws_request_id: str = field(default_factory=lambda: str(uuid.uuid4()))
    function_version: str = "$LATEST"
    log_group_name: str = ""
    log_stream_name: str = "local"
    _started: float = field(default_factory=monotonic)

    @property
    def invoked_function_arn(self) -> str:
        return f"arn:aws:lambda:{self.region}:{self.account}:function:{self.function_name}"

    def get_remaining_time_in_millis(self) -> int:
        return max(0, int((self.timeout_s - (monotonic() - self._started)) * 1000))


_loaded: dict[str, Handler] = {}
_lock = threading.Lock()


def handler_path(name: str) -> Path:
    return FUNCTIONS_DIR / name / "handler.py"


def load_handler(name: str) -> Handler:
    """The `lambda_handler` of `functions/<name>/handler.py`, imported once per process (a warm
    container).

    Raises:
        FileNotFoundError: no such function folder.
        AttributeError: the file defines no `lambda_handler`.
    """
    with _lock:
        if name in _loaded:
            return _loaded[name]
        path = handler_path(name)
        if not path.is_file():
            raise FileNotFoundError(f"no function {name!r} at {path}")
        spec = importlib.util.spec_from_file_location(f"earnloop_function_{name}", path)
        assert spec is not None and spec.loader is not None
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        handler: Handler = module.lambda_handler
        _loaded[name] = handler
        return handler


def context_for(name: str, region: str) -> LocalLambdaContext:
    try:
        spec = function(name)
        return LocalLambdaContext(
            name, timeout_s=spec.timeout_s, memory_limit_in_mb=spec.memory_mb, region=region
        )
    except KeyError:
        return LocalLambdaContext(name, region=region)


def invoke(name: str, event: dict[str, Any], region: str) -> Any:
    """Calls the function's handler with `event` and a fresh context; returns what it returns."""
    return load_handler(name)(event, context_for(name, region))


def forget_handlers() -> None:
    """Drops the imported handlers (a cold start for each on its next call)."""
    with _lock:
        _loaded.clear()
