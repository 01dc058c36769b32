"""Init is snapshot-safe: what a SnapStart snapshot copies into many environments holds nothing that
must differ between them.

Each handler is imported in a fresh interpreter with a Lambda-like environment (tracing on, as
deployed), with a stand-in for the runtime's `snapshot_restore_py` that records the hooks registered.
The probe then looks at what init left behind (boto3 clients, connection pools, TCP sockets, clock
readings at module level), warms the caches a first request would fill (settings, the secrets
provider and its client), and forks: a fork is a copy of the process's memory, as a restore is a
copy of the snapshot's (except that CPython reseeds `random` in a forked child, which the probe
undoes). Two children run the registered after-restore hooks and report what they
hold; two more run none, to show the copies really do share state without the hooks.
"""

from __future__ import annotations

import json
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
from earnloop.contexts import all_functions

ROOT = Path(__file__).resolve().parents[3]

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


@pytest.fixture(scope="module")
def probed() -> dict[str, dict[str, Any]]:
    """One probe per distinct set of imports: handlers that differ only in the route they serve load
    the same modules, so one of them stands for the others."""
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


def _nothing_connected(held: dict[str, Any]) -> bool:
    return held["clients"] == 0 and held["pools"] == 0 and held["connected_sockets"] == 0


@pytest.mark.parametrize("name", [spec.name for spec in all_functions()])
def test_init_creates_no_client_pool_connection_or_clock_reading(probed, name):
    at_import = probed[name]["at_import"]
    assert at_import["clients"] == 0, "a boto3 client made at import would be in the snapshot"
    assert at_import["pools"] == 0, "a host's connection pool made at import would be in the snapshot"
    # X-Ray's emitter holds an unconnected UDP socket (datagrams to the daemon); nothing holds a stream.
    assert at_import["stream_sockets"] == 0
    assert at_import["connected_sockets"] == 0
    assert at_import["cached_times"] == [], "a clock reading kept at module level"


@pytest.mark.parametrize("name", [spec.name for spec in all_functions()])
def test_a_restored_copy_drops_what_init_cached_and_reads_its_own_environment(probed, name):
    report = probed[name]
    assert report["registered_after_restore"] == 1, "the library registers one hook with the runtime"
    assert report["warmed"]["clients"] >= 1, "the probe's warm-up made a client for the restore to drop"
    assert report["stage_at_init"] == "snapshot"
    for copy, number in zip(report["restored"], (1, 2), strict=True):
        assert copy["client_cache"] == 0
        assert _nothing_connected(copy["held"]), copy["held"]
        assert copy["stage"] == f"restored{number}", "settings are read again after a restore"
    # Without the hook, the cached settings of the snapshot win: the case the hook exists for.
    assert [copy["stage"] for copy in report["not_restored"]] == ["snapshot", "snapshot"]


@pytest.mark.parametrize("name", [spec.name for spec in all_functions()])
def test_restored_copies_draw_different_random_numbers_and_never_the_same_id(probed, name):
    first, second = probed[name]["restored"]
    assert first["random"] != second["random"]
    assert not set(first["ids"]) & set(second["ids"])
    assert len(set(first["ids"])) == len(first["ids"])
    # The copies share the snapshot's random state until the hook reseeds it.
    unseeded = probed[name]["not_restored"]
    assert unseeded[0]["random"] == unseeded[1]["random"]


def test_the_probe_sees_a_client_a_pool_and_a_clock_reading_made_at_import(tmp_path):
    handler = tmp_path / "careless" / "handler.py"
    handler.parent.mkdir()
    handler.write_text(
        "import datetime, boto3, urllib3\n"
        "import earnloop.platform.clock as clock\n"
        "client = boto3.client('dynamodb', region_name='ap-east-1')\n"
        "wechat = urllib3.PoolManager().connection_from_url('https://api.weixin.qq.com')\n"
        "clock.STARTED = datetime.datetime.now(datetime.UTC)\n"
        "def lambda_handler(event, context):\n"
        "    return client\n"
    )
    at_import = probe(handler)["at_import"]
    assert at_import["clients"] == 1
    assert at_import["pools"] == 1
    assert at_import["cached_times"] == ["earnloop.platform.clock.STARTED"]


@pytest.mark.parametrize("spec", [s for s in all_functions() if s.kind != "http"], ids=lambda s: s.name)
def test_an_event_function_loads_no_http_framework_or_token_library(probed, spec):
    # Half of an HTTP function's cold start is FastAPI, PyJWT and cryptography; a worker, the stream
    # publisher and a schedule serve no request and check no token (bench/cold_start.py).
    assert probed[spec.name]["http_and_token_libraries"] == []
