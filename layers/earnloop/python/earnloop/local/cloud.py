"""The local cloud: DynamoDB Local + moto server, every resource provisioned from the definitions the
CDK app deploys, and the pumps that stand in for Lambda's event sources.

    with LocalCloud() as cloud:          # `make dev`, the e2e tests
        ...                              # boto3 in this process now reaches the emulators
        cloud.pump_until_idle()          # streams -> publisher -> bus -> queues -> workers, until quiet

Everything runs in this process except the DynamoDB Local JVM, so the handlers the pumps invoke
share the process's settings and clients exactly as a warm Lambda container would.
"""

from __future__ import annotations

import json
import os
import threading
import time
import warnings
from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING, Any, Literal

from earnloop.contexts import all_functions
from earnloop.local import lambdas
from earnloop.local.data_dir import DataDir
from earnloop.local.dynamodb_local import LIB_DIR, DynamoDBLocal, DynamoDBLocalUnavailableError
from earnloop.local.moto_server import MotoServer
from earnloop.local.provision import (
    TableMismatchError,
    create_buckets,
    create_keys,
    create_messaging,
    create_secrets,
    create_stream_failure_queues,
    ensure_tables,
    local_secret_values,
)
from earnloop.local.pumps import QueuePump
from earnloop.local.s3_front import S3Front
from earnloop.local.scheduler import Scheduler
from earnloop.local.stream_pump import StreamPositions, StreamPump
from earnloop.platform import aws, secrets, signing
from earnloop.platform.auth import Principal, issue_token
from earnloop.platform.clock import utcnow
from earnloop.platform.observability import logger
from earnloop.platform.settings import Settings, get_settings

if TYPE_CHECKING:
    from datetime import datetime
    from pathlib import Path
    from types import TracebackType

DynamoBackend = Literal["dynamodb-local", "moto"]
_FAKE_CREDENTIALS = {"AWS_ACCESS_KEY_ID": "local", "AWS_SECRET_ACCESS_KEY": "local"}
# Variables that could send a local boto3 call somewhere else; cleared while the cloud runs.
CLEARED = ("AWS_SESSION_TOKEN", "AWS_PROFILE", "AWS_IGNORE_CONFIGURED_ENDPOINT_URLS")
ENDPOINT_VARIABLES = (
    "AWS_ENDPOINT_URL",
    "AWS_ENDPOINT_URL_DYNAMODB",
    "AWS_ENDPOINT_URL_DYNAMODB_STREAMS",
    "AWS_ENDPOINT_URL_S3",
)


# Stream records per consumer and shard taken in one pump round, before the queues are drained.
STREAM_STEP = 25
# Receives per queue in one round at most (a loop between consumers must not hold the pump forever).
MAX_QUEUE_STEPS = 1000


class LocalCloudError(RuntimeError):
    """The local cloud could not start, or did not settle."""


def runtime_environment(region: str) -> dict[str, str]:
    """What a local function sees besides endpoints: the local stage, a region, fake credentials."""
    return {
        "AWS_REGION": region,
        "AWS_DEFAULT_REGION": region,
        "EARNLOOP_STAGE": "local",
        **_FAKE_CREDENTIALS,
        # Lambda-only telemetry: no EMF blobs on stdout, no X-Ray daemon to reach.
        "POWERTOOLS_METRICS_DISABLED": "true",
        "POWERTOOLS_TRACE_DISABLED": "true",
    }


@dataclass(frozen=True)
class Endpoints:
    """Where a running local cloud listens (written to `.local/endpoints.json` by `earnloop dev`)."""

    moto: str
    dynamodb: str
    dynamodb_backend: DynamoBackend
    region: str
    # The S3 front (earnloop.local.s3_front): presigned uploads checked as S3 checks them.
    s3: str | None = None

    def environment(self) -> dict[str, str]:
        """The process environment that points boto3 and our settings at this cloud."""
        return {
            "AWS_ENDPOINT_URL": self.moto,
            **({"AWS_ENDPOINT_URL_S3": self.s3} if self.s3 else {}),
            "AWS_ENDPOINT_URL_DYNAMODB": self.dynamodb,
            # botocore derives the name from the service id "DynamoDB Streams": DYNAMODB_STREAMS.
            "AWS_ENDPOINT_URL_DYNAMODB_STREAMS": self.dynamodb,
            **runtime_environment(self.region),
        }

    def as_json(self) -> dict[str, str]:
        return asdict(self)


def reset_process_caches() -> None:
    """Forgets settings, boto3 clients and cached secrets, so the next call sees the new endpoints."""
    get_settings.cache_clear()
    aws.reset_clients()
    secrets.reset_cache()
    signing.forget_keys()


class ProcessEnvironment:
    """Sets variables and puts the previous values back afterwards."""

    def __init__(self) -> None:
        self._saved: dict[str, str | None] = {}

    def apply(self, values: dict[str, str], cleared: tuple[str, ...] = ()) -> None:
        for name in (*values, *cleared):
            self._saved.setdefault(name, os.environ.get(name))
        for name in cleared:
            os.environ.pop(name, None)
        os.environ.update(values)

    def restore(self) -> None:
        for name, value in self._saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
        self._saved.clear()


class LocalCloud:
    """Emulators, resources and pumps. `dynamodb`: "auto" tries DynamoDB Local and falls back to moto
    with a warning; "dynamodb-local" fails instead of falling back; "moto" skips the JVM.

    With `data_dir`, DynamoDB Local's data, the secret values and the stream positions are kept
    there and found again by the next start (`make dev`); without it everything is in memory (tests).
    """

    def __init__(
        self,
        dynamodb: Literal["auto", "dynamodb-local", "moto"] = "auto",
        region: str | None = None,
        visibility_timeout_s: int = 30,
        environment: dict[str, str] | None = None,
        dynamodb_lib: Path = LIB_DIR,
        data_dir: Path | None = None,
        stream_retry_attempts: int = 3,
    ) -> None:
        self.dynamodb_mode = dynamodb
        self.data = DataDir(data_dir) if data_dir is not None else None
        self.stream_retry_attempts = stream_retry_attempts
        # On-failure destinations of the stream consumers: function name -> queue URL.
        self.stream_failure_queues: dict[str, str] = {}
        self.dynamodb_lib = dynamodb_lib
        self.region = region or os.environ.get("AWS_REGION") or "ap-east-1"
        self.visibility_timeout_s = visibility_timeout_s
        self.extra_environment = environment or {}
        self.moto = MotoServer()
        self.s3_front: S3Front | None = None
        self.ddb: DynamoDBLocal | None = None
        self.endpoints: Endpoints | None = None
        self.settings: Settings | None = None
        self.secret_values: dict[str, dict[str, str]] = {}
        self.streams: dict[str, str] = {}
        self.stream_pump: StreamPump | None = None
        self.queue_pump: QueuePump | None = None
        self.scheduler: Scheduler | None = None
        self.timings: dict[str, float] = {}
        self.fallback_reason: str | None = None
        self._env = ProcessEnvironment()
        self._pump_lock = threading.RLock()
        self._pumping: threading.Thread | None = None
        self._stop_pumping = threading.Event()

    # -- lifecycle -------------------------------------------------------------------------------

    def start(self) -> LocalCloud:
        """Starts the emulators, points this process at them and provisions every resource.

        Raises:
            LocalCloudError: DynamoDB Local was required but could not start.
        """
        began = time.monotonic()
        try:
            self.moto.start()
            self.s3_front = S3Front(self.moto.endpoint)
            self.s3_front.start()
            dynamodb_endpoint, backend = self._start_dynamodb()
            self.endpoints = Endpoints(
                self.moto.endpoint, dynamodb_endpoint, backend, self.region, s3=self.s3_front.endpoint
            )
            self._env.apply({**self.endpoints.environment(), **self.extra_environment}, CLEARED)
            reset_process_caches()
            lambdas.forget_handlers()
            self.settings = get_settings()
            provisioned = time.monotonic()
            kept = self.data if backend == "dynamodb-local" else None
            self.secret_values = kept.secret_values(local_secret_values) if kept else local_secret_values()
            try:
                self.streams, existed = ensure_tables(self.settings)
            except TableMismatchError as error:
                raise LocalCloudError(str(error)) from error
            create_secrets(self.settings, self.secret_values)
            create_buckets(self.settings)
            create_keys(self.settings, self.secret_values)
            queues = create_messaging(self.settings, visibility_timeout_s=self.visibility_timeout_s)
            self.stream_failure_queues = create_stream_failure_queues(self.settings)
            self.stream_pump = StreamPump(
                self.streams,
                self.region,
                retry_attempts=self.stream_retry_attempts,
                on_failure=self._send_stream_failure,
                positions=StreamPositions(kept.stream_positions if kept else None),
                # A kept table's records before this run were delivered in an earlier one (or are
                # lost with a positions file deleted by hand): never re-deliver them as new.
                start_at_latest=existed,
            )
            self.queue_pump = QueuePump.create({n: (q.main, q.dlq) for n, q in queues.items()}, self.region)
            self.scheduler = Scheduler(
                all_functions(),
                self._invoke,
                self.region,
                utcnow(),
                rule_prefix=f"earnloop-{self.settings.stage}",
            )
        except BaseException:
            self.stop()
            raise
        self.timings["provision_s"] = time.monotonic() - provisioned
        self.timings["start_s"] = time.monotonic() - began
        logger.info("local cloud started", extra={**self.endpoints.as_json(), **self.timings})
        return self

    def _start_dynamodb(self) -> tuple[str, DynamoBackend]:
        if self.dynamodb_mode == "moto":
            return self.moto.endpoint, "moto"
        if self.data is not None:
            self.data.prepare()
        self.ddb = DynamoDBLocal(self.dynamodb_lib, db_path=self.data.dynamodb if self.data else None)
        try:
            self.ddb.start()
        except DynamoDBLocalUnavailableError as error:
            self.ddb = None
            if self.dynamodb_mode == "dynamodb-local":
                raise LocalCloudError(f"DynamoDB Local is required but unavailable: {error}") from error
            message = (
                f"DynamoDB Local unavailable ({error}); falling back to moto for DynamoDB, which is slow for "
                "transactions, leaks memory with every one and keeps no data across restarts. Install "
                "Java 17 and run `make ddb-local`."
            )
            self.fallback_reason = message
            logger.warning(message)
            warnings.warn(message, RuntimeWarning, stacklevel=3)
            return self.moto.endpoint, "moto"
        self.timings["dynamodb_local_start_s"] = self.ddb.started_in_s or 0.0
        return self.ddb.endpoint, "dynamodb-local"

    def stop(self) -> None:
        """Stops the pumps, the JVM and moto, and restores the environment. Idempotent."""
        self.stop_pumping()
        if self.ddb is not None:
            self.ddb.stop()
            self.ddb = None
        if self.s3_front is not None:
            self.s3_front.stop()
            self.s3_front = None
        self.moto.stop()
        self._env.restore()
        reset_process_caches()
        lambdas.forget_handlers()

    def __enter__(self) -> LocalCloud:
        return self.start()

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        self.stop()

    # -- pumps -----------------------------------------------------------------------------------

    def _invoke(self, name: str, event: dict[str, Any]) -> Any:
        return lambdas.invoke(name, event, self.region)

    def _send_stream_failure(self, metadata: dict[str, Any]) -> None:
        """Lambda's on-failure destination: the failed batch's position, on the consumer's queue."""
        function = str(metadata["requestContext"]["functionArn"]).rsplit(":", 1)[-1]
        aws.client("sqs").send_message(
            QueueUrl=self.stream_failure_queues[function], MessageBody=json.dumps(metadata)
        )

    @property
    def queues(self) -> QueuePump:
        if self.queue_pump is None:
            raise LocalCloudError("the local cloud is not started")
        return self.queue_pump

    @property
    def stream(self) -> StreamPump:
        if self.stream_pump is None:
            raise LocalCloudError("the local cloud is not started")
        return self.stream_pump

    def pump_once(self, now: datetime | None = None) -> int:
        """One round: schedules due, a bounded step of every stream, then the queues until they are
        empty. Returns how much moved."""
        with self._pump_lock:
            fired = self.scheduler.tick(now or utcnow()) if self.scheduler else []
            return len(fired) + self._round()

    def _round(self) -> int:
        # Records are taken from the streams in small steps, and the queues drained after each:
        # moto's SQS recounts a queue on every send and receive, so a whole stream backlog published
        # at once (100 records a poll) made every message slower the more were waiting.
        moved = self.stream.step(limit=STREAM_STEP)
        for _ in range(MAX_QUEUE_STEPS):
            delivered = self.queues.step()
            if not delivered:
                break
            moved += delivered
        return moved

    def pump_until_idle(self, redeliver_failures: bool = False, max_rounds: int = 2000) -> int:
        """Pumps until nothing moves; returns how many records and messages were delivered.

        Messages that failed stay in flight (they would come back after the visibility timeout);
        with `redeliver_failures` they are made visible again at once and pumped, until each has
        succeeded or moved to its DLQ.

        Raises:
            LocalCloudError: still moving after `max_rounds` rounds (a loop between consumers).
        """
        total = 0
        with self._pump_lock:
            for _ in range(max_rounds):
                moved = self._round()
                if moved == 0 and not (redeliver_failures and self.queues.release_in_flight()):
                    return total
                total += moved
        raise LocalCloudError(f"the local cloud did not settle within {max_rounds} rounds")

    def start_pumping(self, interval_s: float = 0.5) -> None:
        """Runs the schedules and pumps in a background thread every `interval_s` (`make dev`)."""
        if self._pumping is not None:
            return
        self._stop_pumping.clear()

        def loop() -> None:
            while not self._stop_pumping.is_set():
                try:
                    moved = self.pump_once()
                except Exception:  # the pump thread must outlive one broken round
                    logger.exception("pump round failed")
                    moved = 0
                if not moved:
                    self._stop_pumping.wait(interval_s)

        self._pumping = threading.Thread(target=loop, name="earnloop-pumps", daemon=True)
        self._pumping.start()

    def stop_pumping(self, timeout_s: float = 10.0) -> None:
        thread, self._pumping = self._pumping, None
        if thread is not None:
            self._stop_pumping.set()
            thread.join(timeout_s)

    # -- callers ---------------------------------------------------------------------------------

    def token(self, user_id: str, *roles: str) -> str:
        """A session token for `user_id`, signed by this cloud's session key (KMS on moto)."""
        token, _ = issue_token(Principal(user_id=user_id, roles=frozenset(roles)), utcnow())
        return token

    def auth(self, user_id: str, *roles: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token(user_id, *roles)}"}
