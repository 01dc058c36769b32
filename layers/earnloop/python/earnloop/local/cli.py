"""The `earnloop` command: `dev` (the local cloud on 127.0.0.1:8000), `invoke` (one function on a
sample event), `schedule run` (a schedule function now), `clock` (move the local cloud's clock) and
`openapi` (the API document).

This is a terminal program: what it prints on stdout is its output, not logging.
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import sys
import time
import warnings
from pathlib import Path
from typing import TYPE_CHECKING

from earnloop.local.samples import REPO_ROOT

if TYPE_CHECKING:
    from collections.abc import Sequence

    from earnloop.local.cloud import LocalCloud
    from earnloop.local.demo import Demo

HOST = "127.0.0.1"
# What `earnloop dev` keeps between runs: DynamoDB Local's data, the secrets, stream positions, metrics.
DATA_DIR = REPO_ROOT / ".local" / "dev"


def _out(text: str = "") -> None:
    sys.stdout.write(text + "\n")
    sys.stdout.flush()


def _err(text: str) -> None:
    sys.stderr.write(text + "\n")
    sys.stderr.flush()


def quick_start(
    demo: Demo, cloud: LocalCloud, base_url: str, started_in_s: float, data_dir: Path = DATA_DIR
) -> str:
    """The text `earnloop dev` prints once everything is up."""
    assert cloud.endpoints is not None
    dynamo = (
        f"DynamoDB Local {cloud.endpoints.dynamodb}"
        if cloud.endpoints.dynamodb_backend == "dynamodb-local"
        else "DynamoDB on moto (fallback, see the warning above)"
    )
    first, second = demo.codes[0], demo.codes[1]
    lines = [
        "",
        f"earnloop local cloud is up in {started_in_s:.1f}s: {dynamo}, moto {cloud.endpoints.moto}",
        "",
        f"  API        {base_url}",
        f"  docs       {base_url}/docs",
        *(
            [f"  S3         {cloud.endpoints.s3}  (upload forms from POST /v1/media/uploads land here)"]
            if cloud.endpoints.s3
            else []
        ),
        "  logins     any dev:<name> code; dev:admin is the admin",
        f"  admin      user {demo.admin_id}",
        f"  batch      {demo.batch_id}  {demo.sku}, {demo.product_name}, {demo.points} points, "
        f"{len(demo.codes)} codes:",
        *(f"    {c.serial:>3}  {c.code}  {c.url}" for c in demo.codes),
        "",
        "Quick start (bash):",
        "",
        f"  TOKEN=$(curl -s -X POST {base_url}/v1/auth/login -H 'content-type: application/json' \\",
        '      -d \'{"code":"dev:alice"}\' '
        "| python3 -c 'import json,sys; print(json.load(sys.stdin)[\"token\"])')",
        f'  curl -s -X POST {base_url}/v1/scans -H "authorization: Bearer $TOKEN" \\',
        f"      -H 'content-type: application/json' -d '{{\"code\":\"{first.code}\"}}'",
        f'  sleep 1; curl -s {base_url}/v1/points -H "authorization: Bearer $TOKEN"',
        f'  curl -s {base_url}/v1/points/history -H "authorization: Bearer $TOKEN"',
        "",
        f"  Scanning the same code again answers 409; try {second.code} next.",
        "  Run one function on a sample event in another terminal:",
        "    .venv/bin/earnloop invoke points_get --event events/apigw/points_get.json --as <user id>",
        "  Fire a schedule now, or move the clock so the schedules it passes fire:",
        "    .venv/bin/earnloop schedule run claims_sweep;  .venv/bin/earnloop clock advance 3d",
        *_moved_clock(),
        "",
        f"Data (users, balances, batches, keys) is kept in {data_dir} across restarts;",
        "  `make dev-clean` (earnloop dev --clean) starts from nothing.",
        f"Metrics (CloudWatch EMF) go to {data_dir / 'metrics.log'}, not to this terminal.",
        "Every function's logs: POWERTOOLS_LOG_LEVEL=INFO make dev.  Ctrl-C stops everything.",
        "",
    ]
    return "\n".join(lines)


def port_is_free(port: int, host: str = HOST) -> bool:
    """True when a server could listen on `host:port` now.

    The probe sets SO_REUSEADDR, as uvicorn does: after a stop, the old server's closed connections
    linger in TIME_WAIT for about a minute, and a plain bind would call the port busy although the
    server can bind it. A port someone is still listening on fails the bind either way.
    """
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError:
            return False
    return True


def _listen(port: int, host: str = HOST) -> socket.socket:
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listener.bind((host, port))
    listener.listen(2048)
    return listener


def dev(port: int, data_dir: Path = DATA_DIR, clean: bool = False) -> int:
    """Starts the local cloud on the data kept in `data_dir` (after deleting it, with `clean`),
    seeds demo data, serves the API until Ctrl-C, then stops it all."""
    if not port_is_free(port):
        _err(f"error: {HOST}:{port} is already in use (another `make dev`?); pass --port to use another")
        return 1
    os.environ.setdefault("POWERTOOLS_LOG_LEVEL", "WARNING")
    from earnloop.local.data_dir import DataDir
    from earnloop.local.metrics_log import MetricsLog

    if clean:
        DataDir(data_dir).clean()
        _out(f"starting clean: deleted {data_dir}")
    terminal = sys.stdout
    sys.stdout = MetricsLog(terminal, DataDir(data_dir).metrics_log)
    try:
        return _serve(port, data_dir)
    finally:
        routed, sys.stdout = sys.stdout, terminal
        routed.close()


def _serve(port: int, data_dir: Path) -> int:
    import uvicorn

    from earnloop.contexts import routers
    from earnloop.local import clock_file, demo, invoke
    from earnloop.local.cloud import LocalCloud, LocalCloudError
    from earnloop.platform.app import create_app
    from earnloop.platform.clock import utcnow

    began = time.monotonic()
    _out("starting the local cloud (DynamoDB Local, moto server) ...")
    # Metrics are on, as in Lambda: MetricsLog keeps them out of the terminal.
    # Printed codes point at this server, whatever its port, so a code can be tried end to end.
    environment = {
        "POWERTOOLS_METRICS_DISABLED": "false",
        "EARNLOOP_QR_URL_BASE": f"http://{HOST}:{port}/q/",
        # `earnloop clock` moves this process's time (read by utcnow() and the scheduler).
        **clock_file.environment(),
    }
    cloud = LocalCloud(environment=environment, data_dir=data_dir)
    try:
        with warnings.catch_warnings():
            # The fallback is said plainly below; the Python warning would only repeat it.
            warnings.simplefilter("ignore", RuntimeWarning)
            cloud.start()
    except LocalCloudError as error:
        _err(f"error: {error}")
        return 1
    except KeyboardInterrupt:
        # start() has already stopped whatever it had started.
        _out("interrupted while starting; stopped.")
        return 0
    try:
        if cloud.fallback_reason:
            _err(f"WARNING: {cloud.fallback_reason}")
        kept_batch = cloud.data.demo_batch() if cloud.data else None
        seeded = demo.seed(utcnow(), existing_batch=kept_batch)
        if cloud.data:
            cloud.data.remember_demo_batch(seeded.batch_id)
        cloud.pump_until_idle()
        assert cloud.endpoints is not None
        invoke.write_endpoints(cloud.endpoints)
        cloud.start_pumping(interval_s=0.5)
        base_url = f"http://{HOST}:{port}"
        app = create_app(routers())
        server = uvicorn.Server(uvicorn.Config(app, host=HOST, port=port, log_level="warning"))
        # Listening before the quick start is printed: a request sent the moment it appears waits in
        # the backlog instead of being refused while uvicorn is still starting.
        listener = _listen(port)
        _out(quick_start(seeded, cloud, base_url, time.monotonic() - began, data_dir))
        # uvicorn turns Ctrl-C (and SIGTERM) into a graceful shutdown and returns.
        server.run(sockets=[listener])
    except KeyboardInterrupt:
        pass
    finally:
        _out("stopping: delivering what is in flight, then pumps, DynamoDB Local, moto ...")
        _settle(cloud)
        invoke.remove_endpoints()
        cloud.stop()
        _out("stopped.")
    return 0


def _settle(cloud: LocalCloud) -> None:
    """Delivers the events already committed before stopping: moto keeps no queue across a restart,
    so a message left in one would be lost (the table data and stream positions are kept)."""
    from earnloop.local.cloud import LocalCloudError

    cloud.stop_pumping()
    try:
        cloud.pump_until_idle(max_rounds=200)
    except (LocalCloudError, KeyboardInterrupt):
        _err("warning: stopped before everything in flight was delivered")


def run_invoke(function: str, event_file: str, caller_text: str | None, params: Sequence[str]) -> int:
    from earnloop.local import invoke

    try:
        caller = invoke.Caller.parse(caller_text) if caller_text else None
        parsed = dict(p.split("=", 1) for p in params)
    except ValueError as error:
        _err(f"error: {error}")
        return 2
    try:
        result, where = invoke.invoke(function, event_file, caller, parsed)
    except FileNotFoundError as error:
        _err(f"error: {error}")
        return 2
    _err(f"invoked {function} {where}")
    _out(json.dumps(result, indent=2, ensure_ascii=False, default=str))
    return 0


def _moved_clock() -> list[str]:
    from earnloop.local import clock_file

    moved_by = clock_file.offset()
    if not moved_by:
        return []
    return [
        f"  The clock is moved: now is {clock_file.describe(moved_by)}; `earnloop clock reset` undoes it."
    ]


def run_schedule(function: str) -> int:
    from earnloop.local.schedule_now import ScheduleRunError, run_now

    try:
        run = run_now(function)
    except ScheduleRunError as error:
        _err(f"error: {error}")
        return 1
    _err(
        f"fired {function} as its schedule would at {run.event['time']}, against the running local cloud; "
        "what it sends on is delivered by `make dev`"
    )
    _out(json.dumps(run.result, indent=2, ensure_ascii=False, default=str))
    return 0


def run_clock(action: str, value: str | None) -> int:
    from earnloop.local import clock_file

    try:
        if action == "advance":
            moved_by = clock_file.advance(clock_file.parse_duration(value or ""))
        elif action == "set":
            moved_by = clock_file.set_to(clock_file.parse_moment(value or ""))
        elif action == "reset":
            clock_file.reset()
            moved_by = clock_file.offset()
        else:
            moved_by = clock_file.offset()
    except ValueError as error:
        _err(f"error: {error}")
        return 2
    _out(f"local clock: {clock_file.describe(moved_by)}")
    if action != "show":
        _err("a running `make dev` moves with it on its next pump round (schedules passed fire once)")
    return 0


def openapi() -> int:
    from earnloop.contexts import routers
    from earnloop.platform.app import openapi_json

    sys.stdout.write(openapi_json(routers()))
    return 0


def parser() -> argparse.ArgumentParser:
    root = argparse.ArgumentParser(prog="earnloop", description="earnloop's local development commands")
    commands = root.add_subparsers(dest="command", required=True)
    dev_cmd = commands.add_parser("dev", help="run the whole backend locally on http://127.0.0.1:8000")
    dev_cmd.add_argument("--port", type=int, default=8000)
    dev_cmd.add_argument(
        "--data-dir", type=Path, default=DATA_DIR, help=f"where local data is kept (default {DATA_DIR})"
    )
    dev_cmd.add_argument("--clean", action="store_true", help="delete the kept local data first")
    invoke_cmd = commands.add_parser("invoke", help="run one function on a sample event")
    invoke_cmd.add_argument("function", help="a folder name under functions/, e.g. scans_create")
    invoke_cmd.add_argument("--event", required=True, help="e.g. events/apigw/scans_create.json")
    invoke_cmd.add_argument("--as", dest="caller", help="sign a token for <user id>[:admin]")
    invoke_cmd.add_argument(
        "--param", action="append", default=[], help="fill a {name} placeholder of the path: name=value"
    )
    redrive_cmd = commands.add_parser("redrive", help="move a dead-letter queue's messages back to its queue")
    redrive_cmd.add_argument("queue", help="a queue's logical name, e.g. points, tags, claims")
    redrive_cmd.add_argument(
        "--stage", default="local", help="local (the running make dev) or a deployed stage"
    )
    redrive_cmd.add_argument("--wait", type=float, default=0.0, help="seconds to wait for an AWS move task")
    replay_cmd = commands.add_parser(
        "replay-stream", help="feed the stream records the publisher gave up on to it again"
    )
    replay_cmd.add_argument(
        "--stage", default="local", help="local (the running make dev) or a deployed stage"
    )
    schedule_cmd = commands.add_parser("schedule", help="schedule functions on the running `make dev`")
    schedule_actions = schedule_cmd.add_subparsers(dest="action", required=True)
    run_cmd = schedule_actions.add_parser("run", help="fire a schedule function now, as its schedule would")
    run_cmd.add_argument("function", help="a schedule function, e.g. claims_sweep")
    clock_cmd = commands.add_parser("clock", help="move the local cloud's clock (local stage only)")
    clock_actions = clock_cmd.add_subparsers(dest="action", required=True)
    clock_actions.add_parser("show", help="print the local clock")
    advance_cmd = clock_actions.add_parser("advance", help="move the clock forward: 3d, 12h, 90m, 1d12h")
    advance_cmd.add_argument("value", metavar="duration")
    set_cmd = clock_actions.add_parser("set", help="set the clock: 2027-01-01T00:10+08:00")
    set_cmd.add_argument("value", metavar="time")
    clock_actions.add_parser("reset", help="back to the real time")
    commands.add_parser("openapi", help="print the OpenAPI document")
    admin_cmd = commands.add_parser("admin", help="grant or revoke the admin role (audited; no route can)")
    admin_cmd.add_argument("change", choices=("grant", "revoke"))
    admin_cmd.add_argument("user_id")
    admin_cmd.add_argument("--reason", required=True, help="why, for the audit record")
    admin_cmd.add_argument("--operator", help="who runs it, for the audit record (default: your login)")
    admin_cmd.add_argument(
        "--stage", default="local", help="local (the running make dev) or a deployed stage"
    )
    return root


def main(argv: Sequence[str] | None = None) -> int:
    args = parser().parse_args(argv)
    # Powertools warns on every invocation that publishes no metric; in a terminal that is noise.
    warnings.filterwarnings("ignore", message="No application metrics to publish", category=UserWarning)
    if args.command == "dev":
        return dev(args.port, args.data_dir, args.clean)
    if args.command == "invoke":
        return run_invoke(args.function, args.event, args.caller, args.param)
    if args.command == "schedule":
        return run_schedule(args.function)
    if args.command == "clock":
        return run_clock(args.action, getattr(args, "value", None))
    if args.command == "admin":
        from earnloop.local import operations

        return operations.run_admin_role(args.change, args.user_id, args.stage, args.operator, args.reason)
    if args.command in ("redrive", "replay-stream"):
        from earnloop.local import operations

        if args.command == "redrive":
            return operations.run_redrive(args.queue, args.stage, args.wait)
        return operations.run_replay_stream(args.stage)
    return openapi()


if __name__ == "__main__":
    sys.exit(main())
