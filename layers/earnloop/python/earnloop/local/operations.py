"""The operations commands: `earnloop redrive <queue>` and `earnloop replay-stream`, against the
running `make dev` (`--stage local`, the default) or a deployed stage (the caller's AWS credentials).
docs/deploy.md says when to use which."""

from __future__ import annotations

import contextlib
import functools
import sys
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Iterator


def _out(text: str) -> None:
    sys.stdout.write(text + "\n")
    sys.stdout.flush()


def _err(text: str) -> None:
    sys.stderr.write(text + "\n")
    sys.stderr.flush()


@contextlib.contextmanager
def _aws_of(stage: str) -> Iterator[None]:
    """boto3 in this process aimed at `stage`: the running `make dev` for "local", otherwise AWS with
    the caller's own credentials and region.

    Raises:
        OperationError: "local" and no `make dev` is running.
    """
    from earnloop.local import invoke
    from earnloop.local.cloud import CLEARED, ProcessEnvironment, reset_process_caches

    environment = ProcessEnvironment()
    if stage == "local":
        found = invoke.look_for_cloud()
        if found.endpoints is None:
            raise OperationError(f"no `make dev` is running: {found.reason}")
        environment.apply(found.endpoints.environment(), CLEARED)
    reset_process_caches()
    try:
        yield
    finally:
        environment.restore()
        reset_process_caches()


class OperationError(RuntimeError):
    """An operations command cannot run as asked."""


def run_redrive(queue: str, stage: str, wait_s: float) -> int:
    from earnloop.local.redrive import RedriveError, redrive
    from earnloop.platform import aws

    if queue.replace("_", "-") == "stream-publisher":
        _err(
            "error: the stream publisher's DLQ holds stream positions, not messages: `earnloop replay-stream`"
        )
        return 2
    try:
        with _aws_of(stage):
            result = redrive(aws.client("sqs"), queue, stage, wait_s)
    except (OperationError, RedriveError) as error:
        _err(f"error: {error}")
        return 1
    _out(result.summary())
    return 0


def run_replay_stream(stage: str) -> int:
    from earnloop.local import lambdas
    from earnloop.local.redrive import physical
    from earnloop.local.replay import PUBLISHER, Invoke, failure_queue, lambda_invoker, replay
    from earnloop.platform import aws
    from earnloop.platform.settings import get_settings

    try:
        with _aws_of(stage):
            region = get_settings().region
            sqs = aws.client("sqs")
            url = sqs.get_queue_url(QueueName=failure_queue(stage))["QueueUrl"]
            invoke: Invoke
            if stage == "local":
                invoke = functools.partial(lambdas.invoke, PUBLISHER, region=region)
            else:
                invoke = lambda_invoker(aws.client("lambda"), physical(stage, PUBLISHER))
            report = replay(sqs, aws.client("dynamodbstreams"), url, invoke, region)
    except OperationError as error:
        _err(f"error: {error}")
        return 1
    for label in report.replayed:
        _out(f"replayed  {label}")
    for label in report.failed:
        _out(f"FAILED    {label}")
    for label in report.expired:
        _out(f"EXPIRED   {label}")
    _out(report.summary())
    return 0 if not (report.failed or report.expired) else 1


def run_admin_role(change: str, user_id: str, stage: str, operator: str | None, reason: str) -> int:
    """`earnloop admin grant|revoke <user_id>`: the only way the admin role is given or taken."""
    import getpass

    from earnloop.identity.admin_roles import change_admin_role
    from earnloop.platform import aws
    from earnloop.platform.clock import utcnow
    from earnloop.platform.errors import EarnloopError
    from earnloop.platform.settings import get_settings

    who = operator or getpass.getuser()
    try:
        with _aws_of(stage):
            table = get_settings().table_name("identity")
            changed = change_admin_role(
                aws.dynamodb(),
                table,
                user_id,
                "grant" if change == "grant" else "revoke",
                operator=who,
                reason=reason,
                now=utcnow(),
            )
    except (OperationError, EarnloopError) as error:
        _err(f"error: {error}")
        return 1
    _out(f"{change} admin {user_id}: {'done, audited as ops:' + who if changed else 'nothing to change'}")
    return 0
