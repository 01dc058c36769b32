"""Where `earnloop dev` sends CloudWatch metrics: a file under `.local/`, not the terminal.

In Lambda, Powertools prints each metric as an EMF JSON document on stdout and CloudWatch Logs turns
it into a metric. In a terminal those documents are noise between the lines a developer reads, and
`single_metric` prints even when metrics are disabled. `MetricsLog` stands in for `sys.stdout`
while the local cloud runs: a line that is an EMF document is appended to the metrics file, anything
else reaches the terminal unchanged.
"""

from __future__ import annotations

import io
import json
import threading
from typing import TYPE_CHECKING, TextIO

if TYPE_CHECKING:
    from pathlib import Path


def is_emf(line: str) -> bool:
    """True for one CloudWatch embedded-metric-format document (a JSON object with `_aws` metrics)."""
    text = line.strip()
    if not (text.startswith("{") and '"_aws"' in text):
        return False
    try:
        document = json.loads(text)
    except ValueError:
        return False
    return isinstance(document, dict) and isinstance(document.get("_aws"), dict)


class MetricsLog(io.TextIOBase):
    """A text stream: EMF lines go to `path`, every other line to `terminal`.

    Lines are routed whole (`print` writes the text and the newline in two calls), under a lock:
    the API server, the pumps and the scheduler write from different threads.
    """

    def __init__(self, terminal: TextIO, path: Path) -> None:
        super().__init__()
        self.terminal = terminal
        self.path = path
        self.metrics = 0
        self._pending = ""
        self._lock = threading.Lock()
        path.parent.mkdir(parents=True, exist_ok=True)
        self._file = path.open("a", encoding="utf-8")

    def writable(self) -> bool:
        return True

    def write(self, text: str) -> int:
        with self._lock:
            self._pending += text
            *lines, self._pending = self._pending.split("\n")
            for line in lines:
                self._route(line + "\n")
        return len(text)

    def _route(self, line: str) -> None:
        if is_emf(line):
            self._file.write(line)
            self.metrics += 1
        else:
            self.terminal.write(line)

    def flush(self) -> None:
        with self._lock:
            self._file.flush()
            self.terminal.flush()

    def close(self) -> None:
        if self.closed:
            return
        with self._lock:
            if self._pending:
                self._route(self._pending)
                self._pending = ""
        # IOBase.close flushes first, so the file is closed after it.
        super().close()
        self._file.close()
