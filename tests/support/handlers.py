"""Every deployed function's handler imported in a fresh interpreter with a Lambda-like environment
(tracing on, as deployed), as a cold start does, once per distinct handler: what init loaded and
left behind, and what SnapStart copies of it hold (the probe's script says how). Both
`tests/unit/composition` and `tests/unit/platform/test_snapshot_restore.py` read the one report,
computed once per worker (worker_groups puts the two modules on one)."""

from __future__ import annotations

import functools
import json
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from earnloop.contexts import all_functions

if TYPE_CHECKING:
    from collections.abc import Callable

ROOT = Path(__file__).resolve().parents[2]
Report = TypeVar("Report")

_PROBE = r"""
import datetime, gc, importlib.util, json, os, random, socket, sys, types

hooks = {"before": [], "after": []}
runtime = types.ModuleType("snapshot_restore_py")
runtime.register_before_snapshot = lambda f, *a, **k: hooks["before"].append((f, a, k)) or f
runtime.register_after_restore = lambda f, *a, **k: hooks["after"].append((f, a, k)) or f
sys.modules["snapshot_restore_py"] = runtime

spec = importlib.util.spec_from_file_location("handler", sys.argv[1])
handler = importlib.util.module_from_spec(spec)
spec.loader.exec_module(handler)
assert callable(handler.lambda_handler)


def held():
    gc.collect()
    objects = gc.get_objects()
    clients = pools = 0
    if "botocore.client" in sys.modules:
        base = sys.modules["botocore.client"].BaseClient
        clients = sum(1 for o in objects if isinstance(o, base))
    if "urllib3" in sys.modules:
        # A PoolManager is inert until it opens a host's pool (urllib3 keeps one for urllib3.request).
        import urllib3
        kinds = (urllib3.HTTPConnectionPool, urllib3.connection.HTTPConnection)
        pools = sum(1 for o in objects if isinstance(o, kinds))
    streams = connected = 0
    for fd in os.listdir("/proc/self/fd"):
        try:
            if not os.readlink(f"/proc/self/fd/{fd}").startswith("socket:"):
                continue
            probe = socket.socket(fileno=os.dup(int(fd)))
        except OSError:
            continue
        with probe:
            # Network sockets only: an event loop's self-pipe is a local socket pair.
            if probe.family not in (socket.AF_INET, socket.AF_INET6):
                continue
            streams += probe.type == socket.SOCK_STREAM
            try:
                probe.getpeername()
                connected += 1
            except OSError:
                pass
    cached_times = sorted(
        f"{name}.{attribute}"
        for name, module in list(sys.modules.items())
        if name == "earnloop" or name.startswith("earnloop.")
        for attribute, value in vars(module).items()
        if isinstance(value, (datetime.date, datetime.time))
    )
    return {"clients": clients, "pools": pools, "stream_sockets": streams, "connected_sockets": connected,
            "cached_times": cached_times}


at_import = held()
modules_at_import = sorted(m for m in sys.modules if m == "earnloop" or m.startswith("earnloop."))

# What a first request fills, done here so the snapshot holds it: settings, the secrets provider
# (with its boto3 client), a ULID.
from earnloop.platform import aws, secrets
from earnloop.platform.ids import new_id
from earnloop.platform.settings import get_settings
stage_at_init = get_settings().stage
secrets._provider()
new_id()
warmed = held()
for f, a, k in reversed(hooks["before"]):
    f(*a, **k)


# A fork reseeds `random` in the child (CPython's at-fork hook); a restore from a snapshot does not,
# so each copy first puts back the state the "snapshot" had.
snapshot_random = random.getstate()


def restored_copy(write, run_hooks, number):
    random.setstate(snapshot_random)
    os.environ["EARNLOOP_STAGE"] = f"restored{number}"
    if run_hooks:
        for f, a, k in hooks["after"]:
            f(*a, **k)
    report = {
        "random": [random.getrandbits(64) for _ in range(4)],
        "ids": [new_id() for _ in range(500)],
        "stage": get_settings().stage,
        "client_cache": aws.client.cache_info().currsize,
        "held": held(),
    }
    write.write(json.dumps(report).encode())
    write.close()


def fork(run_hooks, number):
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:
        os.close(read)
        try:
            restored_copy(os.fdopen(write, "wb"), run_hooks, number)
        finally:
            os._exit(0)
    os.close(write)
    with os.fdopen(read, "rb") as reader:
        data = reader.read()
    os.waitpid(pid, 0)
    return json.loads(data)


print(json.dumps({
    "http_and_token_libraries": sorted(m for m in ("fastapi", "jwt", "cryptography") if m in sys.modules),
    "registered_after_restore": len(hooks["after"]),
    "at_import": at_import,
    "modules": modules_at_import,
    "warmed": warmed,
    "stage_at_init": stage_at_init,
    "restored": [fork(True, 1), fork(True, 2)],
    "not_restored": [fork(False, 3), fork(False, 4)],
}))
"""


def _lambda_environment(task_root: Path) -> dict[str, str]:
    # LAMBDA_TASK_ROOT turns Powertools' Tracer on (X-Ray recorder and patches), as in Lambda.
    return {
        "PATH": "/usr/bin:/bin",
        "LAMBDA_TASK_ROOT": str(task_root),
        "AWS_LAMBDA_FUNCTION_NAME": task_root.name,
        "AWS_REGION": "ap-east-1",
        "AWS_ACCESS_KEY_ID": "snapshot",
        "AWS_SECRET_ACCESS_KEY": "snapshot",
        "AWS_EC2_METADATA_DISABLED": "true",
        "EARNLOOP_STAGE": "snapshot",
    }


def probe(handler: Path) -> dict[str, Any]:
    result = subprocess.run(
        [sys.executable, "-c", _PROBE, str(handler)],
        capture_output=True,
        text=True,
        timeout=120,
        env=_lambda_environment(handler.parent),
        cwd=str(handler.parent),
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.splitlines()[-1])  # type: ignore[no-any-return]


def probe_each_handler(probe: Callable[[Path], Report]) -> dict[str, Report]:
    """`probe(handler.py)` for every function, run once per distinct set of import lines: handlers
    that differ only in the route they serve load the same modules, so one stands for the others."""
    handlers = {spec.name: ROOT / "functions" / spec.name / "handler.py" for spec in all_functions()}
    shape = {
        name: tuple(
            sorted(line for line in path.read_text().splitlines() if line.startswith(("from ", "import ")))
        )
        for name, path in handlers.items()
    }
    representative = {name: next(n for n in handlers if shape[n] == shape[name]) for name in handlers}
    distinct = sorted(set(representative.values()))
    with ThreadPoolExecutor(max_workers=2) as pool:
        reports = dict(zip(distinct, pool.map(probe, [handlers[n] for n in distinct]), strict=True))
    return {name: reports[representative[name]] for name in handlers}


@functools.cache
def probed_handlers() -> dict[str, dict[str, Any]]:
    """`probe` of every function's handler, by function name."""
    return probe_each_handler(probe)
