"""The shapes of every stateful resource: tables and their indexes, queues and their dead-letter
queues, the rules routing events to them, secrets, buckets.

Each context declares its own (`<context>/context.py`) and `earnloop.contexts` gathers them. The CDK
app deploys from these definitions, the local cloud creates its emulated resources from them, and
tests build their moto tables from them. Change an index in its context and all three change.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

KeyType = Literal["S", "N"]


@dataclass(frozen=True)
class Key:
    name: str
    type: KeyType = "S"


@dataclass(frozen=True)
class Index:
    name: str
    pk: Key
    sk: Key | None = None
    # KEYS_ONLY keeps sparse scheduling indexes cheap; ALL where the reader needs the item.
    projection: Literal["ALL", "KEYS_ONLY"] = "ALL"


@dataclass(frozen=True)
class Table:
    """A context's table: generic `pk`/`sk`, streams on, point-in-time recovery on (in AWS)."""

    name: str
    gsis: tuple[Index, ...] = ()
    lsis: tuple[Index, ...] = ()
    ttl_attribute: str | None = "expires_at"
    stream: Literal["NEW_AND_OLD_IMAGES"] = "NEW_AND_OLD_IMAGES"
    pk: Key = Key("pk")
    sk: Key = Key("sk")

    def index(self, name: str) -> Index:
        for index in (*self.gsis, *self.lsis):
            if index.name == name:
                return index
        raise KeyError(name)


@dataclass(frozen=True)
class Queue:
    """An SQS queue feeding one worker function, with its dead-letter queue."""

    name: str
    consumer: str
    max_receive_count: int = 5
    batch_size: int = 10
    # Caps how many worker copies write to the tables at once during a promotional spike.
    max_concurrency: int = 20
    dlq_retention_days: int = 14
    retention_days: int = 4


@dataclass(frozen=True)
class Rule:
    """An EventBridge rule routing events from the bus to a queue."""

    name: str
    source: str
    detail_types: tuple[str, ...]
    queue: str
    # EventBridge content filters on `detail`, e.g. {"reference": [{"prefix": "scan#"}]}.
    detail: dict[str, list[object]] = field(default_factory=dict)

    def pattern(self) -> dict[str, object]:
        pattern: dict[str, object] = {"source": [self.source], "detail-type": list(self.detail_types)}
        if self.detail:
            pattern["detail"] = self.detail
        return pattern


@dataclass(frozen=True)
class Secret:
    """A Secrets Manager secret holding a JSON object.

    `generate` names the key that the deployment fills with a random value; `template` holds the
    other keys, which an operator replaces where they are placeholders (README: deploying).
    """

    name: str
    template: dict[str, str]
    generate: str | None = None


@dataclass(frozen=True)
class SigningKey:
    """An asymmetric KMS key (ECC_NIST_P256, SIGN_VERIFY) whose private half never leaves KMS.

    A stage may hold several versions of it: the first signs, the others only verify until the
    tokens they signed have expired (docs/deploy.md: rotating the session key).
    """

    name: str
    spec: Literal["ECC_NIST_P256"] = "ECC_NIST_P256"
    # The JWS algorithm and KMS signing algorithm that go with `spec`.
    jws_algorithm: Literal["ES256"] = "ES256"
    kms_algorithm: Literal["ECDSA_SHA_256"] = "ECDSA_SHA_256"
    # The table holding the revocations of its tokens (platform/sessions.py): every function that
    # verifies with the key may Query its `REVOKED#` partitions, and nothing else of it.
    revocations: str | None = None


@dataclass(frozen=True)
class ObjectCreated:
    """S3 `ObjectCreated:*` notifications for keys under `prefix`, sent to a queue of the context.

    The local cloud delivers the same S3-shaped event after a presigned upload (earnloop.local.s3).
    """

    prefix: str
    queue: str


@dataclass(frozen=True)
class Expiry:
    """A lifecycle rule: objects under `prefix` are deleted `days` after they were written."""

    prefix: str
    days: int


@dataclass(frozen=True)
class Bucket:
    """A private S3 bucket (public access blocked, TLS only, encrypted) and the prefixes it serves.

    Nothing in it is ever public: clients upload with presigned POSTs and read with presigned GETs.
    """

    name: str
    # Every key lives under one of these ("uploads/", "media/"); grants name them.
    prefixes: tuple[str, ...]
    notifications: tuple[ObjectCreated, ...] = ()
    expiries: tuple[Expiry, ...] = ()

    def __post_init__(self) -> None:
        for prefix in (*(n.prefix for n in self.notifications), *(e.prefix for e in self.expiries)):
            if not any(prefix.startswith(served) for served in self.prefixes):
                raise ValueError(f"bucket {self.name}: {prefix!r} is under none of its prefixes")


BUS = "bus"
# Signs session tokens: only `auth_login` may sign, every HTTP function verifies.
# Revoked sessions are identity's items (identity/sessions.py writes them).
SESSION_KEY = SigningKey("session", revocations="identity")
