"""What `make dev` keeps between runs, in one directory (`.local/dev/` unless told otherwise).

- `dynamodb/`: DynamoDB Local's database (`-dbPath`): users, balances, batches, claims, and the
  tables' streams;
- `secrets.json`: the secret values (session signing key, QR keys, ...), re-provisioned into moto on
  every start, so tokens already issued and codes already printed stay valid;
- `stream-positions.json`: the last stream record each consumer finished, so a restart resumes there;
- `demo.json`: the demo batch, printed again instead of a new one each start;
- `metrics.log`: the EMF metric documents the functions print.

moto (queues, bus, rules, S3, secrets) keeps nothing: every start recreates those from the
definitions. `earnloop dev --clean` deletes the directory first.
"""

from __future__ import annotations

import json
import os
import shutil
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from collections.abc import Callable
    from pathlib import Path

SecretValues = dict[str, dict[str, str]]


class DataDir:
    """The files of a persistent local cloud under `root` (created on first use)."""

    def __init__(self, root: Path) -> None:
        self.root = root

    @property
    def dynamodb(self) -> Path:
        return self.root / "dynamodb"

    @property
    def secrets_file(self) -> Path:
        return self.root / "secrets.json"

    @property
    def stream_positions(self) -> Path:
        return self.root / "stream-positions.json"

    @property
    def demo_file(self) -> Path:
        return self.root / "demo.json"

    @property
    def metrics_log(self) -> Path:
        return self.root / "metrics.log"

    def prepare(self) -> None:
        self.dynamodb.mkdir(parents=True, exist_ok=True)

    def clean(self) -> None:
        """Deletes everything kept: the next start is a first start."""
        shutil.rmtree(self.root, ignore_errors=True)

    def secret_values(self, fresh: Callable[[], SecretValues]) -> SecretValues:
        """The kept secret values; a secret or field added to the definitions since gets `fresh`'s
        value, and the file is written back (owner-only: it holds signing keys)."""
        kept: SecretValues = self._read(self.secrets_file) or {}
        generated = fresh()
        # A field added to a secret since (a signing key's id) is filled in; kept fields win.
        values = {name: {**value, **kept.get(name, {})} for name, value in generated.items()}
        if values != kept:
            self._write(self.secrets_file, values, private=True)
        return values

    def demo_batch(self) -> str | None:
        data = self._read(self.demo_file)
        return str(data["batch_id"]) if isinstance(data, dict) and data.get("batch_id") else None

    def remember_demo_batch(self, batch_id: str) -> None:
        self._write(self.demo_file, {"batch_id": batch_id})

    @staticmethod
    def _read(path: Path) -> Any:
        try:
            return json.loads(path.read_text())
        except FileNotFoundError:
            return None

    @staticmethod
    def _write(path: Path, data: Any, private: bool = False) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        partial = path.with_suffix(".tmp")
        partial.write_text(json.dumps(data, indent=2) + "\n")
        if private:
            partial.chmod(0o600)
        os.replace(partial, path)
