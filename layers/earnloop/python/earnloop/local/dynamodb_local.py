"""DynamoDB Local (AWS's own emulator) in a child JVM: tables, indexes, transactions and streams.

`make ddb-local` copies the jars and the sqlite4java natives into `.local/dynamodb-local/lib`. Where
Java or the jars are missing, `DynamoDBLocalUnavailableError` says so and the caller decides (the
local cloud falls back to moto with a warning, never silently).
"""

from __future__ import annotations

import contextlib
import shutil
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from typing import TYPE_CHECKING, BinaryIO

from earnloop.local.samples import REPO_ROOT
from earnloop.platform.observability import logger

if TYPE_CHECKING:
    from pathlib import Path

LIB_DIR = REPO_ROOT / ".local" / "dynamodb-local" / "lib"
MAIN_CLASS = "software.amazon.dynamodb.services.local.main.ServerRunner"
_PR_SET_PDEATHSIG = 1


class DynamoDBLocalUnavailableError(RuntimeError):
    """Java or the DynamoDB Local jars are missing, or the JVM did not come up."""


def free_port(host: str = "127.0.0.1") -> int:
    """A TCP port nobody listens on right now (the OS picks it)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind((host, 0))
        return int(probe.getsockname()[1])


def find_java() -> str:
    java = shutil.which("java")
    if java is None:
        raise DynamoDBLocalUnavailableError("java is not on PATH (DynamoDB Local needs Java 17+)")
    return java


def find_lib(lib_dir: Path = LIB_DIR) -> Path:
    if not any(lib_dir.glob("DynamoDBLocal*.jar")):
        raise DynamoDBLocalUnavailableError(f"no DynamoDBLocal jar in {lib_dir} (run `make ddb-local`)")
    if not any(lib_dir.glob("libsqlite4java-*")):
        raise DynamoDBLocalUnavailableError(
            f"no sqlite4java native library in {lib_dir} (run `make ddb-local`)"
        )
    return lib_dir


def _die_with_parent() -> None:
    # Runs in the child before exec: if this Python process is killed outright (no chance to stop
    # the JVM), Linux sends the JVM SIGTERM, so no orphaned emulator keeps a port.
    import ctypes
    import signal

    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(_PR_SET_PDEATHSIG, signal.SIGTERM)


class DynamoDBLocal:
    """One DynamoDB Local on a free loopback port, shared by every client (`-sharedDb`): in memory,
    or kept in `db_path` across restarts (`-dbPath`, one sqlite file)."""

    def __init__(
        self,
        lib_dir: Path = LIB_DIR,
        host: str = "127.0.0.1",
        port: int | None = None,
        db_path: Path | None = None,
    ) -> None:
        self.lib_dir = lib_dir
        self.db_path = db_path
        self.host = host
        self.port = port
        self._process: subprocess.Popen[bytes] | None = None
        self._log: BinaryIO | None = None
        self.started_in_s: float | None = None

    @property
    def endpoint(self) -> str:
        if self.port is None:
            raise RuntimeError("DynamoDB Local is not started")
        return f"http://{self.host}:{self.port}"

    @property
    def pid(self) -> int | None:
        """The JVM's process id while it runs (the benchmarks read its CPU time)."""
        return self._process.pid if self._process is not None else None

    @property
    def running(self) -> bool:
        return self._process is not None and self._process.poll() is None

    def start(self, timeout_s: float = 30.0) -> None:
        """Starts the JVM and returns once it answers HTTP.

        Raises:
            DynamoDBLocalUnavailableError: no Java, no jars, or it did not answer within `timeout_s`.
        """
        java = find_java()
        lib = find_lib(self.lib_dir)
        self.port = self.port or free_port(self.host)
        command = [
            java,
            f"-Djava.library.path={lib}",
            "-cp",
            f"{lib}/*",
            MAIN_CLASS,
            *(["-dbPath", str(self.db_path)] if self.db_path is not None else ["-inMemory"]),
            "-sharedDb",
            "-port",
            str(self.port),
        ]
        began = time.monotonic()
        self._log = (lib.parent / "dynamodb-local.log").open("wb")
        self._process = subprocess.Popen(
            command,
            # It writes a metadata file into its working directory; keep it out of the repository.
            cwd=lib.parent,
            stdin=subprocess.DEVNULL,
            stdout=self._log,
            stderr=subprocess.STDOUT,
            # Its own process group: Ctrl-C reaches only us, and we stop it after the pumps.
            start_new_session=True,
            preexec_fn=_die_with_parent if sys.platform == "linux" else None,
        )
        try:
            self._wait_until_answering(began + timeout_s)
        except DynamoDBLocalUnavailableError:
            self.stop()
            raise
        self.started_in_s = time.monotonic() - began
        logger.info(
            "dynamodb local started", extra={"port": self.port, "seconds": round(self.started_in_s, 2)}
        )

    def _wait_until_answering(self, deadline: float) -> None:
        assert self._process is not None
        while time.monotonic() < deadline:
            if self._process.poll() is not None:
                error = (self.lib_dir.parent / "dynamodb-local.log").read_text(errors="replace")
                raise DynamoDBLocalUnavailableError(f"DynamoDB Local exited at start: {error.strip()[-500:]}")
            try:
                # Any HTTP answer (it replies 400 to a bare GET) means the server is accepting requests.
                urllib.request.urlopen(self.endpoint, timeout=0.5).close()
                return
            except urllib.error.HTTPError:
                return
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                time.sleep(0.05)
        raise DynamoDBLocalUnavailableError("DynamoDB Local did not answer in time")

    def stop(self, grace_s: float = 5.0) -> None:
        """Terminates the JVM, then kills it if it has not exited within `grace_s`. Idempotent."""
        process, self._process = self._process, None
        if process is None:
            return
        if process.poll() is None:
            process.terminate()
            try:
                process.wait(grace_s)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(grace_s)
        if self._log is not None:
            self._log.close()
            self._log = None
        logger.info("dynamodb local stopped", extra={"port": self.port})
