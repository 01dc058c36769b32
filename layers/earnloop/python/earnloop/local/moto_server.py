"""moto in server mode on loopback: S3, SQS, EventBridge and Secrets Manager (and DynamoDB as a
fallback when Java is missing), served from a thread of this process."""

from __future__ import annotations

import logging
import urllib.request

from moto.server import ThreadedMotoServer

from earnloop.platform.observability import logger


class MotoServer:
    """A moto server on a free loopback port. Its state lives in this process's moto backends."""

    def __init__(self, host: str = "127.0.0.1", port: int = 0) -> None:
        self.host = host
        self._requested_port = port
        self._server: ThreadedMotoServer | None = None
        self.port: int | None = None

    @property
    def endpoint(self) -> str:
        if self.port is None:
            raise RuntimeError("moto server is not started")
        return f"http://{self.host}:{self.port}"

    def start(self) -> None:
        # werkzeug logs every request at INFO; the pumps poll twice a second.
        logging.getLogger("werkzeug").setLevel(logging.ERROR)
        server = ThreadedMotoServer(ip_address=self.host, port=self._requested_port, verbose=False)
        server.start()
        self._server = server
        self.port = server.get_host_and_port()[1]
        # moto's backends are process-wide: a second cloud in one process must not inherit the first's.
        reset = urllib.request.Request(f"{self.endpoint}/moto-api/reset", method="POST")
        urllib.request.urlopen(reset, timeout=10).close()
        logger.info("moto server started", extra={"port": self.port})

    def stop(self) -> None:
        """Stops serving and joins the thread. Idempotent."""
        server, self._server = self._server, None
        if server is not None:
            server.stop()
            logger.info("moto server stopped", extra={"port": self.port})
